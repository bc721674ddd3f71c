# BPKD, Seed 003: HRNetV2p-W48 (FCN head) -> HRNetV2p-W18-Small (FCN head),
# Pascal Context 59 480x480, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/fcn-hr48_fcn-hr18s_4xb4-80k_pascal-context-59-480x480.py',
    '../_base_/distill/methods/bpkd.py'
]
model = dict(distiller=_base_.distiller)
