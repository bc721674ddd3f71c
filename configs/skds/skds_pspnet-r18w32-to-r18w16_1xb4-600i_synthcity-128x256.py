# SKDS, all three terms (configs/_base_/distill/seg/methods/skds.py, SKDS's official code: pixel-wise 80 as a batch mean,
# pair-wise 1 on 2x2 nodes, WGAN-GP discriminator on the logits with lambda_d 0.1 and its own SGD + poly optimiser)
# for the embedded-demo pair, with the benchmark rows' body.
# The demo head's logits are 16x32, below the discriminator's 64-pixel minimum: discriminator_min_input_size=64
# enlarges them to 64x128 (aspect ratio kept). D is at half the paper's widths (32-64-128-256), which keeps its CPU
# step well under a second.
_base_ = ['../_base_/distill/seg/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/seg/methods/skds.py']
model = dict(
    _base_.adversarial_algorithm,
    distiller=_base_.distiller,
    discriminator=dict(_base_.adversarial_algorithm.discriminator, base_channels=32))
optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler,
                       discriminator=[dict(_base_.discriminator_scheduler, end=_base_.train_cfg.max_iters)])
