# Student row, seed 003: DeepLabV3+-MobileNetV2-D8, ADE20K 512x512, 80k iterations.
# Derived: mmseg's R101 config + the MobileNetV2 deltas of mmseg's MobileNetV2 configs
# (mmseg ships this model on ADE20K at 160k only).
_base_ = 'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-80k_ade20k-512x512.py'
model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.,
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    decode_head=dict(in_channels=320, c1_in_channels=24),
    auxiliary_head=dict(in_channels=96))
