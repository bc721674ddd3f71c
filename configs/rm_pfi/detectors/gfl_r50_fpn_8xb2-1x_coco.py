# Teacher row, seed 004 Tables 1, 2, 5: GFL-R50-FPN, COCO, 1x. mmdet's config, unchanged.
_base_ = 'mmdet::gfl/gfl_r50_fpn_1x_coco.py'
