# Pair base, Seed 002 Table 2: teacher HRNetV2p-W48 (FCN head) -> student HRNetV2p-W18-Small (FCN head),
# ADE20K 512x512, 40k iterations.
# Dataset, schedule and optimiser are the student row's; a method base adds the distiller's losses (a row is
# [this file, ../methods/<method>.py]). The teacher checkpoint is not shipped: train the teacher row
# (configs/seg_baselines/) or download mmseg's checkpoint of that model, and put it at `teacher_ckpt`.
_base_ = [
    '../../../seg_baselines/fcn_hr18s_4xb4-40k_ade20k-512x512.py',
    '../seg_kd_algorithm.py'
]
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::seg_baselines/fcn_hr48_4xb4-40k_ade20k-512x512.py'
student_cfg_path = 'mmkd::seg_baselines/fcn_hr18s_4xb4-40k_ade20k-512x512.py'
teacher_ckpt = 'checkpoints/fcn_hr48_4xb4-40k_ade20k-512x512.pth'
num_classes = 150
# Widths of the decode heads' penultimate features (inputs of decode_head.conv_seg, recorder `feats`).
teacher_feat_channels = 720
student_feat_channels = 270
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
