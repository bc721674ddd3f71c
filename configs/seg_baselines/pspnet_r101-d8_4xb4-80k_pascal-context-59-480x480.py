# Teacher row, seed 003: PSPNet-R101-D8, Pascal Context 59 480x480, 80k iterations.
# mmseg's config, unchanged.
_base_ = 'mmseg::pspnet/pspnet_r101-d8_4xb4-80k_pascal-context-59-480x480.py'
