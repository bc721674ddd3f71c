# Student row, seed 002 Table 4: SOLOv2-Light-R18 (2 stacked head convs of width 256, mask features of width 128,
# smaller scale ranges), COCO instance segmentation, multi-scale 768x(352-512) training, 3x schedule, 8 GPUs x 2.
# mmdet's config, unchanged. The BPKD / CWD rows (configs/{bpkd,cwd}/*solov2*) train with this row's dataset,
# schedule and optimiser.
_base_ = 'mmdet::solov2/solov2-light_r18_fpn_ms-3x_coco.py'
