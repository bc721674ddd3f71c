# Pair base, RM + PFI (AAAI 2022) Tables 1, 2, 5: gfl-r50 -> gfl-r18.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: mmdet's released gfl_r50_fpn_1x_coco, 40.2 AP (the paper's teacher: 39.9);
# mmengine downloads and caches it (weights_only loading).
_base_ = ['../../../../rm_pfi/detectors/gfl_r18_fpn_8xb2-1x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/gfl_r50_fpn_8xb2-1x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/gfl_r18_fpn_8xb2-1x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/gfl/gfl_r50_fpn_1x_coco/gfl_r50_fpn_1x_coco_20200629_121244-25944287.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
