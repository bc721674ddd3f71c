# CIRKD (configs/_base_/distill/seg/methods/cirkd.py: logit KD, mini-batch pixel-to-pixel on the raw student features,
# memory pixel/region contrast on the student features projected to the teacher width) for the embedded-demo pair,
# with the benchmark rows' body. The 16x32 demo features are below max_pixels: no pooling.
_base_ = ['../_base_/distill/seg/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/seg/methods/cirkd.py']
model = dict(distiller=_base_.distiller)
