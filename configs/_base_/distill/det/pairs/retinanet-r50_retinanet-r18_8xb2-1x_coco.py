# Pair base, seed 004 Tables 1, 2, 4: RetinaNet-R50 -> RetinaNet-R18, COCO 1x.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py). The
# teacher checkpoint is not shipped: train the teacher row (configs/rm_pfi/detectors/) or use mmdet's checkpoint of
# that model, and put it at `teacher_ckpt`.
_base_ = ['../../../../rm_pfi/detectors/retinanet_r18_fpn_8xb2-1x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r50_fpn_8xb2-1x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r18_fpn_8xb2-1x_coco.py'
teacher_ckpt = 'checkpoints/retinanet_r50_fpn_8xb2-1x_coco.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
