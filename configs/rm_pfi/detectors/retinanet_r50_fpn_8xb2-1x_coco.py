# Teacher row, seed 004 Tables 1-4: RetinaNet-R50-FPN, COCO, 1x (12 epochs). mmdet's config, unchanged (mmdet: 36.5 AP).
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
