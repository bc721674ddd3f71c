# Student row, seed 004 Table 6: RetinaNet-R50-FPN, COCO, 2x (24 epochs). mmdet's config, unchanged.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_2x_coco.py'
