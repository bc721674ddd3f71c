# Student row, BPKD supplementary Table 4: SOLOv2-Light-R18 (2 stacked head convs of width 256, mask features of
# width 128, smaller scale ranges), COCO instance segmentation, "1x schedule with multi-scale training disabled",
# 8 GPUs x 2 images. The BPKD / CWD rows (configs/{bpkd,cwd}/*solov2*) train with this row's dataset, schedule and
# optimiser.
# mmdet's light R18 model (mmdet ships it with ms-3x only) with mmdet's 1x schedule (schedule_1x: 12 epochs, steps at
# 8 and 11, linear warm-up over 500 iterations) and one training scale instead of the six of 768x(352-512): the light
# models' test scale 768x448, as mmdet's 1x configs train at their test scale (1333x800).
_base_ = 'mmdet::solov2/solov2-light_r18_fpn_ms-3x_coco.py'
train_pipeline = [
    dict(type='Resize', scale=(768, 448), keep_ratio=True) if step.type == 'RandomChoiceResize' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# mmdet 3.3.0's light configs set `train_cfg = dict(by_epoch=True, max_epochs=36)` on top of the base's
# `type='EpochBasedTrainLoop'`, and mmengine's Runner refuses a loop config with both ("Only one of `type` or
# `by_epoch` can exist"): the loop, stated once.
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
