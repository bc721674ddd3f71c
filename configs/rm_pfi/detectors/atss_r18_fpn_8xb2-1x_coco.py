# Student row, seed 004 Table 1: ATSS-R18-FPN, COCO, 1x. mmdet's R50 1x config with ResNet-18.
_base_ = 'mmdet::atss/atss_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
