# Teacher row, seed 002 Table 2: DeepLabV3+-R101-D8, Pascal Context 59 512x512, 40k iterations.
# The 80k row with the 40k schedule and 512x512 training crops.
_base_ = './deeplabv3plus_r101-d8_4xb4-80k_pascal-context-59-480x480.py'
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor, test_cfg=dict(crop_size=crop_size, stride=(341, 341)))
train_pipeline = [
    dict(step, crop_size=crop_size) if step.type == 'RandomCrop' else step for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
train_cfg = dict(max_iters=40000, val_interval=4000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=40000, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=4000))
