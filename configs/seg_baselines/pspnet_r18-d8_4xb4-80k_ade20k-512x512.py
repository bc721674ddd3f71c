# Student row, seed 003: PSPNet-R18-D8, ADE20K 512x512, 80k iterations.
# Derived: mmseg's R50 config with the deltas of mmseg's own PSPNet-R18 configs.
_base_ = 'mmseg::pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
