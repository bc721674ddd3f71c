# Pair base, RM + PFI (AAAI 2022) Table 3: retinanet-mobilenet-v2 -> retinanet-mobilenet-v2-half.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: no released MobileNetV2 RetinaNet: train the teacher row;
# the path of your trained teacher row (or --cfg-options model.teacher_ckpt=...).
_base_ = ['../../../../rm_pfi/detectors/retinanet_mobilenet-v2-half_fpn_8xb2-1x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_mobilenet-v2_fpn_8xb2-1x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_mobilenet-v2-half_fpn_8xb2-1x_coco.py'
teacher_ckpt = 'checkpoints/retinanet_mobilenet-v2_fpn_8xb2-1x_coco.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
