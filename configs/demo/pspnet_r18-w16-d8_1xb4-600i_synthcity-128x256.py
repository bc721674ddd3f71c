# Demo student: PSPNet, ResNet-18-V1c at quarter width (16 base channels), 0.8M parameters (1/4 of the teacher).
_base_ = ['./pspnet_r18-w32-d8_1xb4-600i_synthcity-128x256.py']
model = dict(
    backbone=dict(stem_channels=16, base_channels=16),
    decode_head=dict(in_channels=128, channels=32))
