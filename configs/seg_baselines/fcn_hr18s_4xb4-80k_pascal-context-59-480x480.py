# Student row, seed 003: HRNetV2p-W18-Small (FCN head), Pascal Context 59 480x480, 80k iterations.
# mmseg's config, unchanged.
_base_ = 'mmseg::hrnet/fcn_hr18s_4xb4-80k_pascal-context-59-480x480.py'
