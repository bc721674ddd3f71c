# IFVD (configs/_base_/distill/seg/methods/ifvd.py, IFVD's official code: IFV term on the penultimate features,
# lambda_ifv=200, plus the logit KD of nn.KLDivLoss's element mean, lambda_kd=10) for the embedded-demo pair. Unlike
# the benchmark rows, without IFVD's adversarial term (it needs a discriminator with its own optimiser; SKDS's demo
# config shows that part on CPU).
_base_ = ['../_base_/distill/seg/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/seg/methods/ifvd.py']
model = dict(distiller=_base_.distiller)
# One optimiser here: mmengine's default DDP wrapper, not the adversarial rows' separate one.
model_wrapper_cfg = None
