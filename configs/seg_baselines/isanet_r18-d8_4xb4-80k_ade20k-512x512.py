# Student row, seed 003: ISANet-R18-D8, ADE20K 512x512, 80k iterations.
# Derived: mmseg has no ISANet-R18: the R50/R101 config with mmseg's R18 deltas (depth 18, decode head 512 -> 128
# channels, auxiliary head 256 -> 64); ISA attention width isa_channels 256 -> 64 keeps the R50 ratio
# channels / isa_channels = 2 (our choice).
_base_ = 'mmseg::isanet/isanet_r50-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128, isa_channels=64),
    auxiliary_head=dict(in_channels=256, channels=64))
