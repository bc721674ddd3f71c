# SKDS, all three terms (configs/_base_/distill/methods/skds.py: pixel-wise lambda 10, pair-wise lambda 1 on 2x2
# nodes, WGAN-GP discriminator on the logits with its own Adam optimiser) for the embedded-demo pair.
# The demo head's logits are 16x32, below the discriminator's 64-pixel minimum: D scores them resized to 64x128 (half
# the crop), at half the paper's widths (32-64-128-256), which keeps its CPU step well under a second.
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/methods/skds.py']
model = dict(
    _base_.adversarial_algorithm,
    discriminator=dict(_base_.discriminator, in_channels=_base_.num_classes, base_channels=32),
    discriminator_input_size=(64, 128),
    distiller=_base_.distiller)
optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler, discriminator=[])
