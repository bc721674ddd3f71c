# SKDS, Seed 003: HRNetV2p-W48 (FCN head) -> HRNetV2p-W18-Small (FCN head),
# ADE20K 512x512, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/fcn-hr48_fcn-hr18s_4xb4-80k_ade20k-512x512.py',
    '../_base_/distill/methods/skds.py'
]
model = dict(
    _base_.adversarial_algorithm,
    discriminator=dict(_base_.discriminator, in_channels=_base_.num_classes),
    distiller=_base_.distiller)
optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler, discriminator=[])
