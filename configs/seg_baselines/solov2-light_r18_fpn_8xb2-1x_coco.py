# Student row, seed 002 Table 4: SOLOv2-Light-R18 (2 stacked head convs of width 256, mask features of width 128,
# smaller scale ranges), COCO instance segmentation, multi-scale 768x(352-512) training, 3x schedule, 8 GPUs x 2.
# The BPKD / CWD rows (configs/{bpkd,cwd}/*solov2*) train with this row's dataset, schedule and optimiser.
_base_ = 'mmdet::solov2/solov2-light_r18_fpn_ms-3x_coco.py'
# mmdet 3.3.0's light configs set `train_cfg = dict(by_epoch=True, max_epochs=36)` on top of the base's
# `type='EpochBasedTrainLoop'`, and mmengine's Runner refuses a loop config with both ("Only one of `type` or
# `by_epoch` can exist"): the same loop, stated once.
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=36, val_interval=1)
