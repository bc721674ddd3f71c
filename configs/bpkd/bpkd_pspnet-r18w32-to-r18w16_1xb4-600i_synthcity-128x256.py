# BPKD (edge + body loss; configs/_base_/distill/seg/methods/bpkd.py) for the embedded-demo pair (PSPNet-R18 width 32
# -> width 16, synthetic city, CPU, 600 iterations), at the method base's weights like every BPKD row
# (lambda_edge=50, lambda_body=20, edge "average reduction"): no demo-only settings.
_base_ = ['../_base_/distill/seg/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/seg/methods/bpkd.py']
model = dict(distiller=_base_.distiller)
