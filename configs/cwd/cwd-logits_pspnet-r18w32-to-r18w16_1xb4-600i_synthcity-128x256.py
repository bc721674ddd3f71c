# CWD on the decode-head logits (configs/_base_/distill/seg/methods/cwd.py: mmrazor's ChannelWiseDivergence, tau=1,
# loss_weight=5) for the embedded-demo pair (PSPNet-R18 width 32 -> width 16, synthetic city, CPU schedule).
_base_ = ['../_base_/distill/seg/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/seg/methods/cwd.py']
model = dict(distiller=_base_.distiller)
