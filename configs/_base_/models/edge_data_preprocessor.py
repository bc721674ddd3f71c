# Input normalisation of every edge model (teacher and students alike, so distillation rows share it): images stay
# BGR as loaded, the BSDS mean (RCF's 104.007, 116.669, 122.679) is subtracted, nothing is scaled. Sides are padded
# to a multiple of 32 (label padding 255 is ignored by the loss) and predictions cropped back. Defined here only:
# mmkd.EdgeDetector has no default and refuses to build without one.
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor', mean=[104.00699, 116.66877, 122.67892], std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False, pad_val=0, seg_pad_val=255, size_divisor=32, test_cfg=dict(size_divisor=32))
