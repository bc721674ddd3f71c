# Student row, seed 003: HRNetV2p-W18-Small (FCN head), Cityscapes 512x1024, 80k iterations.
# mmseg's config, unchanged.
_base_ = 'mmseg::hrnet/fcn_hr18s_4xb2-80k_cityscapes-512x1024.py'
