# Pair base, RM + PFI (AAAI 2022) Tables 1, 2: fcos-r50-caffe -> fcos-r18.
# Dataset, schedule and optimiser are the student row's; a row adds its losses (see ../rm_pfi_algorithm.py).
# Teacher: mmdet's released fcos_r50-caffe_fpn_gn-head_1x_coco, 36.6 AP (= the paper's teacher);
# mmengine downloads and caches it (weights_only loading).
_base_ = ['../../../../rm_pfi/detectors/fcos_r18_fpn_gn-head_8xb2-1x_coco.py', '../rm_pfi_algorithm.py']
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::rm_pfi/detectors/fcos_r50-caffe_fpn_gn-head_8xb2-1x_coco.py'
student_cfg_path = 'mmkd::rm_pfi/detectors/fcos_r18_fpn_gn-head_8xb2-1x_coco.py'
teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/fcos/fcos_r50_caffe_fpn_gn-head_1x_coco/fcos_r50_caffe_fpn_gn-head_1x_coco-821213aa.pth'
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
