# IFVD (configs/_base_/distill/methods/ifvd.py: IFV term on the penultimate features, lambda_ifv=200, plus pixel-wise
# logit KD, 10/C) for the embedded-demo pair. Unlike the benchmark rows, without IFVD's adversarial term (it needs a
# discriminator with its own optimiser; SKDS's demo config shows that part on CPU).
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/methods/ifvd.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_ifv=dict(_base_.ifv_loss, num_classes=_base_.num_classes),
            loss_kd=dict(_base_.kd_loss, loss_weight=_base_.kd_weight / _base_.num_classes)),
        loss_forward_mappings=_base_.loss_forward_mappings))
# One optimiser here: mmengine's default DDP wrapper, not the adversarial rows' separate one.
model_wrapper_cfg = None
