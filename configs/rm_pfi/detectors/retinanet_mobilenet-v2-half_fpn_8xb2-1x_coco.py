# Student row, seed 004 Table 3: RetinaNet on MobileNetV2 at half width, COCO, 1x. The teacher row's config with
# widen_factor=0.5 (C3-C5: 16, 48, 160 channels; the FPN stays 256 wide so PFI compares features one to one).
# No ImageNet weights exist for the half-width backbone: it starts from random initialisation.
_base_ = './retinanet_mobilenet-v2_fpn_8xb2-1x_coco.py'
model = dict(backbone=dict(widen_factor=0.5, init_cfg=None), neck=dict(in_channels=[16, 48, 160]))
