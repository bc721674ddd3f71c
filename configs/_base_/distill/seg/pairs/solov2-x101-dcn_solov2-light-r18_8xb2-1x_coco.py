# Pair base, BPKD supplementary Table 4: teacher SOLOv2-X101-DCN -> student SOLOv2-Light-R18, COCO instance
# segmentation, 1x schedule without multi-scale training (the student row's dataset, schedule and optimiser; the
# teacher sees the student's 768x448 images); a row adds the distiller's losses. The teacher is mmdet's released
# checkpoint of its config (mmdet's metafile: solov2_x101-dcn_fpn_ms-3x_coco, 42.4 mask AP; the table's teacher row
# gives 41.7), downloaded and cached by mmengine; a local path works too (--cfg-options model.teacher_ckpt=...).
# Both heads have mmdet's grids num_grids=[40, 36, 24, 16, 12] (required: the teacher's kernels are read at the
# student's positive cells); mask-feature widths differ (teacher 256, student 128), which the mask logits absorb.
_base_ = [
    '../../../../seg_baselines/solov2-light_r18_fpn_8xb2-1x_coco.py',
    '../solov2_kd_algorithm.py'
]
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_cfg_path = 'mmkd::seg_baselines/solov2_x101-dcn_fpn_8xb2-ms-3x_coco.py'
student_cfg_path = 'mmkd::seg_baselines/solov2-light_r18_fpn_8xb2-1x_coco.py'
teacher_ckpt = ('https://download.openmmlab.com/mmdetection/v2.0/solov2/solov2_x101_dcn_fpn_3x_coco/'
                'solov2_x101_dcn_fpn_3x_coco_20220513_214337-aef41095.pth')
num_classes = 80
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path=student_cfg_path, pretrained=False),
    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),
    teacher_ckpt=teacher_ckpt)
