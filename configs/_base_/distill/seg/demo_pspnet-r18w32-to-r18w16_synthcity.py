# The embedded demo's teacher -> student pair, for any segmentation KD method: PSPNet-R18-V1c width 32 (teacher,
# trained by configs/demo/pspnet_r18-w32-...py) -> width 16 (student), on the synthetic city, CPU schedule.
# A method config adds `distill_losses` and `loss_forward_mappings` to model.distiller.
_base_ = [
    '../../datasets/synthetic_city.py', 'mmseg::_base_/default_runtime.py', '../../schedules/schedule_demo.py',
    './seg_kd_algorithm.py'
]

num_classes = 19
teacher_feat_channels = 64  # PSPHead channels of the width-32 teacher (inputs of conv_seg)
student_feat_channels = 32  # PSPHead channels of the width-16 student
teacher_ckpt = 'work_dirs/demo/teacher/iter_600.pth'
model = dict(
    _base_.distill_algorithm,
    architecture=dict(cfg_path='mmkd::demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py', pretrained=False),
    teacher=dict(cfg_path='mmkd::demo/pspnet_r18-w32-d8_1xb4-600i_synthcity-128x256.py', pretrained=False),
    teacher_ckpt=teacher_ckpt)
