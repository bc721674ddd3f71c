# Student row, seed 004 Table 7: RetinaNet-R50-FPN, Pascal VOC 07+12. mmdet's config, unchanged.
_base_ = 'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py'
