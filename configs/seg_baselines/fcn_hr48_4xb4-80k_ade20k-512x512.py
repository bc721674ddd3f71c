# Teacher row, seed 003: HRNetV2p-W48 (FCN head), ADE20K 512x512, 80k iterations.
# mmseg's config, unchanged.
_base_ = 'mmseg::hrnet/fcn_hr48_4xb4-80k_ade20k-512x512.py'
