# Teacher row, seed 004 Table 6: RetinaNet-R101-FPN, COCO, 2x. mmdet's config, unchanged (mmdet: 38.9 AP).
_base_ = 'mmdet::retinanet/retinanet_r101_fpn_2x_coco.py'
