# IFVD, Seed 003: HRNetV2p-W48 (FCN head) -> HRNetV2p-W18-Small (FCN head),
# Cityscapes 512x1024, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/fcn-hr48_fcn-hr18s_4xb2-80k_cityscapes-512x1024.py',
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
