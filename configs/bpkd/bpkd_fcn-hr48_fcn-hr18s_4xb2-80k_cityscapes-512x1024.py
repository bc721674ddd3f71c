# BPKD, Seed 003: HRNetV2p-W48 (FCN head) -> HRNetV2p-W18-Small (FCN head),
# Cityscapes 512x1024, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/fcn-hr48_fcn-hr18s_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/distill/methods/bpkd.py'
]
model = dict(distiller=_base_.distiller)
