# Pair base, RM + PFI (AAAI 2022) Table 1: atss-r50 -> atss-r18.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: mmdet's released atss_r50_fpn_1x_coco, 39.4 AP (the paper's teacher: 38.7);
# mmengine downloads and caches it (weights_only loading).
_base_ = ['../../../../rm_pfi/detectors/atss_r18_fpn_8xb2-1x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/atss_r50_fpn_8xb2-1x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/atss_r18_fpn_8xb2-1x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/atss/atss_r50_fpn_1x_coco/atss_r50_fpn_1x_coco_20200209-985f7bd0.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
