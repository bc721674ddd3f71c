# SKDS, Seed 003: DeepLabV3+-R101-D8 -> DeepLabV3+-MobileNetV2-D8,
# ADE20K 512x512, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8_4xb4-80k_ade20k-512x512.py',
    '../_base_/distill/methods/skds.py'
]
model = dict(
    _base_.adversarial_algorithm,
    discriminator=dict(_base_.discriminator, in_channels=_base_.num_classes),
    distiller=_base_.distiller)
optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler, discriminator=[])
