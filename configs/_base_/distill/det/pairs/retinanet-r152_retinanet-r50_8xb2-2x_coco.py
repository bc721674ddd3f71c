# Pair base, RM + PFI (AAAI 2022) Table 6: retinanet-r152 -> retinanet-r50.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: no released R152 RetinaNet: train the teacher row;
# the path of your trained teacher row (or --cfg-options model.teacher_ckpt=...).
_base_ = ['../../../../rm_pfi/detectors/retinanet_r50_fpn_8xb2-2x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r152_fpn_8xb2-2x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r50_fpn_8xb2-2x_coco.py'
teacher_ckpt = 'checkpoints/retinanet_r152_fpn_8xb2-2x_coco.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
