# The seed's MobileNetV2 encoder-decoder edge student, "Model" form (one output); SO Model: side_outputs=True.
# Same input normalisation as RCF (BGR minus the BSDS mean, unscaled), so teacher and student share one
# data_preprocessor in the distillation rows. No ImageNet weights can be downloaded here: the encoder starts from
# mmseg's Kaiming init unless init_cfg points at a checkpoint.
_base_ = ['./edge_data_preprocessor.py']
model = dict(
    type='mmkd.EdgeDetector',
    data_preprocessor=_base_.data_preprocessor,
    network=dict(
        type='mmkd.MobileNetV2EdgeNet',
        encoder=dict(type='mmkd.MobileNetV2EdgeEncoder', widen_factor=1.0, out_indices=(0, 1, 2, 4, 6),
                     last_channels=1280),
        decoder_channels=(256, 128, 64, 32, 16),
        skip_indices=(4, 3, 2, 1, 0),  # 320@1/32, 96@1/16, 32@1/8, 24@1/4, 16@1/2
        side_outputs=False,
        sem=None),
    loss_edge=dict(type='mmkd.WeightedEdgeBCELoss', eta=0.5, neg_weight=1.1))
