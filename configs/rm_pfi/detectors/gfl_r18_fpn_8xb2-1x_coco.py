# Student row, seed 004 Tables 1, 2, 5: GFL-R18-FPN, COCO, 1x. mmdet's R50 1x config with ResNet-18.
_base_ = 'mmdet::gfl/gfl_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(depth=18, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
