# Teacher row, seed 004 Table 3: RetinaNet on MobileNetV2 (width 1.0), COCO, 1x. mmdet has no such config:
# RetinaNet-R50's with mmdet's MobileNetV2 (ImageNet weights) giving C3-C5 (stride 8/16/32: 32, 96, 320
# channels) to a 256-wide FPN.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.0,
        out_indices=(2, 4, 6),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://mmdet/mobilenet_v2')),
    neck=dict(in_channels=[32, 96, 320], start_level=0))
