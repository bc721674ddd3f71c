# Pair base, RM + PFI (AAAI 2022) Table 7: retinanet-r101 -> retinanet-r50.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: no released VOC RetinaNet-R101: train the teacher row;
# the path of your trained teacher row (or --cfg-options model.teacher_ckpt=...).
_base_ = ['../../../../rm_pfi/detectors/retinanet_r50_fpn_8xb2-18e_voc0712.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r101_fpn_8xb2-18e_voc0712.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/retinanet_r50_fpn_8xb2-18e_voc0712.py'
teacher_ckpt = 'checkpoints/retinanet_r101_fpn_8xb2-18e_voc0712.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
