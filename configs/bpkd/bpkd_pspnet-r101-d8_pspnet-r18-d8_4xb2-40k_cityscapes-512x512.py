# BPKD, Seed 002 Table 2: PSPNet-R101-D8 -> PSPNet-R18-D8,
# Cityscapes 512x512, 40k iterations.
_base_ = [
    '../_base_/distill/pairs/pspnet-r101-d8_pspnet-r18-d8_4xb2-40k_cityscapes-512x512.py',
    '../_base_/distill/methods/bpkd.py'
]
model = dict(distiller=_base_.distiller)
