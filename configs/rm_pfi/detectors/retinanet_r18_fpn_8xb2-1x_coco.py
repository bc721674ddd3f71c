# Student row, seed 004 Tables 1, 2, 4: RetinaNet-R18-FPN, COCO, 1x. mmdet's config, unchanged (mmdet: 31.7 AP).
_base_ = 'mmdet::retinanet/retinanet_r18_fpn_1x_coco.py'
