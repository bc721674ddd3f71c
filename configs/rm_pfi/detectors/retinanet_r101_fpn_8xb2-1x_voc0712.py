# Teacher row, seed 004 Table 7: RetinaNet-R101-FPN, Pascal VOC 07+12, mmdet's VOC schedule. mmdet's R50 VOC
# config with a ResNet-101 backbone.
_base_ = 'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py'
model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
