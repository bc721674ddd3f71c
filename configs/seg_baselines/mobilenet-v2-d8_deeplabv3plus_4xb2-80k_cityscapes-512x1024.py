# Student row, seed 003: DeepLabV3+-MobileNetV2-D8, Cityscapes 512x1024, 80k iterations.
# mmseg's config, unchanged.
_base_ = 'mmseg::mobilenet_v2/mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py'
