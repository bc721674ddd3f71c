# Pair base, Seed 002 Table 2: teacher DeepLabV3+-R101-D8 -> student DeepLabV3+-MobileNetV2-D8,
# Cityscapes 512x512, 40k iterations.
# Dataset, schedule and optimiser are the student row's; a method base adds the distiller's losses (a row is
# [this file, ../methods/<method>.py]). The teacher checkpoint is not shipped: train the teacher row
# (configs/seg_baselines/) or download mmseg's checkpoint of that model, and put it at `teacher_ckpt`.
_base_ = [
    '../../../seg_baselines/mobilenet-v2-d8_deeplabv3plus_4xb2-40k_cityscapes-512x512.py',
    '../seg_kd_algorithm.py'
]
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::seg_baselines/deeplabv3plus_r101-d8_4xb2-40k_cityscapes-512x512.py'
student_cfg_path = 'mmkd::seg_baselines/mobilenet-v2-d8_deeplabv3plus_4xb2-40k_cityscapes-512x512.py'
teacher_ckpt = 'checkpoints/deeplabv3plus_r101-d8_4xb2-40k_cityscapes-512x512.pth'
num_classes = 19
# Widths of the decode heads' penultimate features (inputs of decode_head.conv_seg, recorder `feats`).
teacher_feat_channels = 512
student_feat_channels = 512
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
