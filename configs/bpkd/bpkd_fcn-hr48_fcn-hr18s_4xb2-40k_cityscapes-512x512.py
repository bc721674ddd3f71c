# BPKD, Seed 002 Table 2: HRNetV2p-W48 (FCN head) -> HRNetV2p-W18-Small (FCN head),
# Cityscapes 512x512, 40k iterations.
_base_ = [
    '../_base_/distill/pairs/fcn-hr48_fcn-hr18s_4xb2-40k_cityscapes-512x512.py',
    '../_base_/distill/methods/bpkd.py'
]
model = dict(distiller=_base_.distiller)
