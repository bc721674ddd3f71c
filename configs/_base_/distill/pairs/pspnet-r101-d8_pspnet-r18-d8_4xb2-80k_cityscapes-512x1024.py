# Pair base, Seed 003: teacher PSPNet-R101-D8 -> student PSPNet-R18-D8,
# Cityscapes 512x1024, 80k iterations.
# Dataset, schedule and optimiser are the student row's; a method base adds the distiller's losses (a row is
# [this file, ../methods/<method>.py]). The teacher checkpoint is not shipped: train the teacher row
# (configs/seg_baselines/) or download mmseg's checkpoint of that model, and put it at `teacher_ckpt`.
_base_ = [
    '../../../seg_baselines/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    '../seg_kd_algorithm.py'
]
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::seg_baselines/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py'
student_cfg_path = 'mmkd::seg_baselines/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
teacher_ckpt = 'checkpoints/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.pth'
num_classes = 19
# Widths of the decode heads' penultimate features (inputs of decode_head.conv_seg, recorder `feats`).
teacher_feat_channels = 512
student_feat_channels = 128
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
