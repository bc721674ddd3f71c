# Student row, seed 002 Table 2: DeepLabV3+-MobileNetV2-D8, ADE20K 512x512, 40k iterations.
# The 80k row with the 40k schedule (ADE20K crops are 512x512 already).
_base_ = './mobilenet-v2-d8_deeplabv3plus_4xb4-80k_ade20k-512x512.py'
train_cfg = dict(max_iters=40000, val_interval=4000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=40000, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=4000))
