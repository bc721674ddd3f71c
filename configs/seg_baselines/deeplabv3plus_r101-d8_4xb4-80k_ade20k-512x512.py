# Teacher row, seed 003: DeepLabV3+-R101-D8, ADE20K 512x512, 80k iterations.
# mmseg's config, unchanged.
_base_ = 'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-80k_ade20k-512x512.py'
