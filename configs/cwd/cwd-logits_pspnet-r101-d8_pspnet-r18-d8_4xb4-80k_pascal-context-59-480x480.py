# CWD (logits), Seed 003: PSPNet-R101-D8 -> PSPNet-R18-D8,
# Pascal Context 59 480x480, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/pspnet-r101-d8_pspnet-r18-d8_4xb4-80k_pascal-context-59-480x480.py',
    '../_base_/distill/methods/cwd.py'
]
model = dict(distiller=_base_.distiller)
