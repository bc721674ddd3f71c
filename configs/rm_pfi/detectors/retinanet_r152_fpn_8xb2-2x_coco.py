# Teacher row, seed 004 Table 6: RetinaNet-R152-FPN, COCO, 2x. mmdet has no R152 RetinaNet: its R101 2x config with
# a ResNet-152 backbone (torchvision ImageNet weights).
_base_ = 'mmdet::retinanet/retinanet_r101_fpn_2x_coco.py'
model = dict(backbone=dict(depth=152, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet152')))
