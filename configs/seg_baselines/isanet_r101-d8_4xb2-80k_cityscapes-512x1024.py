# Teacher row, seed 003: ISANet-R101-D8, Cityscapes 512x1024, 80k iterations.
# mmseg's config, unchanged.
_base_ = 'mmseg::isanet/isanet_r101-d8_4xb2-80k_cityscapes-512x1024.py'
