# Teacher row, seed 004 Table 1: ATSS-R50-FPN, COCO, 1x. mmdet's config, unchanged.
_base_ = 'mmdet::atss/atss_r50_fpn_1x_coco.py'
