# Student row, seed 004 Tables 1-2: FCOS-R18-FPN (GN head), COCO, 1x. The teacher row's config with ResNet-18.
_base_ = './fcos_r50_fpn_gn-head_8xb2-1x_coco.py'
model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
