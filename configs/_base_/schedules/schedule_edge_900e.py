# The seed's edge schedule: SGD, momentum 0.9, weight decay 5e-4, lr x0.1 every 90 of 900 epochs.
# lr 1e-6 because the class-balanced BCE is summed over pixels (RCF); batch 1 with 10-step gradient accumulation
# (RCF's iter_size 10) for every row, so that teacher and students see the same effective batch.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-6, momentum=0.9, weight_decay=5e-4),
    accumulative_counts=10)
param_scheduler = [dict(type='StepLR', step_size=90, gamma=0.1, by_epoch=True, begin=0, end=900)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=900, val_interval=90)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=90, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # tools/test.py --show-dir DIR turns it on: one edge-probability PNG per test image
    visualization=dict(type='mmkd.EdgeVisualizationHook'))
