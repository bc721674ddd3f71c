# CWD (logits), Seed 002 Table 2: ISANet-R101-D8 -> ISANet-R18-D8,
# Pascal Context 59 512x512, 40k iterations.
_base_ = [
    '../_base_/distill/pairs/isanet-r101-d8_isanet-r18-d8_4xb4-40k_pascal-context-59-512x512.py',
    '../_base_/distill/methods/cwd.py'
]
model = dict(distiller=_base_.distiller)
