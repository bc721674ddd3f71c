# SKDS, Seed 002 Table 2: PSPNet-R101-D8 -> PSPNet-R18-D8,
# Cityscapes 512x512, 40k iterations.
_base_ = [
    '../_base_/distill/pairs/pspnet-r101-d8_pspnet-r18-d8_4xb2-40k_cityscapes-512x512.py',
    '../_base_/distill/methods/skds.py'
]
model = dict(
    _base_.adversarial_algorithm,
    discriminator=dict(_base_.discriminator, in_channels=_base_.num_classes),
    distiller=_base_.distiller)
optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler, discriminator=[])
