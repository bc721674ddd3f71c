# Pair base, RM + PFI (AAAI 2022) Tables 1, 2, 4: retinanet-r50 -> retinanet-r18.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: mmdet's released retinanet_r50_fpn_1x_coco, 36.5 AP (the paper's teacher: 36.1);
# mmengine downloads and caches it (weights_only loading).
_base_ = ['../../../../rm_pfi/detectors/retinanet_r18_fpn_8xb2-1x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r50_fpn_8xb2-1x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r18_fpn_8xb2-1x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r50_fpn_1x_coco/retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
