# Teacher row, seed 004 Table 3: RetinaNet-R101-FPN, COCO, 1x. mmdet's config, unchanged.
_base_ = 'mmdet::retinanet/retinanet_r101_fpn_1x_coco.py'
