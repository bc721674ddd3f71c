# CWD (logits), Seed 002 Table 2: PSPNet-R101-D8 -> PSPNet-R18-D8,
# ADE20K 512x512, 40k iterations.
_base_ = [
    '../_base_/distill/pairs/pspnet-r101-d8_pspnet-r18-d8_4xb4-40k_ade20k-512x512.py',
    '../_base_/distill/methods/cwd.py'
]
model = dict(distiller=_base_.distiller)
