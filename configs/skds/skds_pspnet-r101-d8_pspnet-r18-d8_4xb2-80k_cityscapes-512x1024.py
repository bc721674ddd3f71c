# SKDS, Seed 003: PSPNet-R101-D8 -> PSPNet-R18-D8,
# Cityscapes 512x1024, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/pspnet-r101-d8_pspnet-r18-d8_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/distill/methods/skds.py'
]
model = dict(
    _base_.adversarial_algorithm,
    discriminator=dict(_base_.discriminator, in_channels=_base_.num_classes),
    distiller=_base_.distiller)
optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler, discriminator=[])
