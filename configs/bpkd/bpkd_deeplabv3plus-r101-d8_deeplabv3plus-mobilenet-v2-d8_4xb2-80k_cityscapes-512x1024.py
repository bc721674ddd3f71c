# BPKD, Seed 003: DeepLabV3+-R101-D8 -> DeepLabV3+-MobileNetV2-D8,
# Cityscapes 512x1024, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8_4xb2-80k_cityscapes-512x1024.py',
    '../_base_/distill/methods/bpkd.py'
]
model = dict(distiller=_base_.distiller)
