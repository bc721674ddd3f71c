# Demo teacher: PSPNet, ResNet-18-V1c at half width (32 base channels), 3.2M parameters.
_base_ = [
    '../_base_/models/pspnet_r18_tiny.py', '../_base_/datasets/synthetic_city.py',
    'mmseg::_base_/default_runtime.py', '../_base_/schedules/schedule_demo.py'
]
