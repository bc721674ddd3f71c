# Pair base, RM + PFI (AAAI 2022) Table 6: retinanet-r101 -> retinanet-r50.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: mmdet's released retinanet_r101_fpn_1x_coco, 38.5 AP (= the paper's Table 6 teacher, a 1x model);
# mmengine downloads and caches it (weights_only loading).
_base_ = ['../../../../rm_pfi/detectors/retinanet_r50_fpn_8xb2-2x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r101_fpn_8xb2-1x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r50_fpn_8xb2-2x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r101_fpn_1x_coco/retinanet_r101_fpn_1x_coco_20200130-7a93545f.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
