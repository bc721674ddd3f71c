# Teacher row, seed 003: ISANet-R101-D8, Pascal Context 59 480x480, 80k iterations.
# Derived: mmseg has no ISANet config on Pascal Context; mmseg's ISANet-R50 model with the Pascal Context 59
# settings of mmseg's PSPNet/DeepLabV3+ Pascal Context 59 configs (480x480 crops, slide test, SGD lr 0.004, wd 1e-4)
# and the R101 deltas.
_base_ = [
    'mmseg::_base_/models/isanet_r50-d8.py', 'mmseg::_base_/datasets/pascal_context_59.py',
    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'
]
crop_size = (480, 480)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained='open-mmlab://resnet101_v1c',
    backbone=dict(depth=101),
    decode_head=dict(num_classes=59),
    auxiliary_head=dict(num_classes=59),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(320, 320)))
optimizer = dict(type='SGD', lr=0.004, momentum=0.9, weight_decay=0.0001)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)
