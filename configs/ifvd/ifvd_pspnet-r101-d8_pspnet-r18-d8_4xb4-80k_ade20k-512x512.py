# IFVD, Seed 003: PSPNet-R101-D8 -> PSPNet-R18-D8,
# ADE20K 512x512, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/pspnet-r101-d8_pspnet-r18-d8_4xb4-80k_ade20k-512x512.py',
    '../_base_/distill/methods/ifvd.py'
]
model = dict(
    _base_.adversarial_algorithm,
    discriminator=dict(_base_.discriminator, in_channels=_base_.num_classes),
    distiller=dict(
        distill_losses=dict(
            loss_ifv=dict(_base_.ifv_loss, num_classes=_base_.num_classes),
            loss_kd=dict(_base_.kd_loss, loss_weight=_base_.kd_weight / _base_.num_classes)),
        loss_forward_mappings=_base_.loss_forward_mappings))
optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler, discriminator=[])
