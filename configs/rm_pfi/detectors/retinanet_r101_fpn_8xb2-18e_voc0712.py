# RetinaNet-R101-FPN, Pascal VOC 07+12: teacher of RM + PFI (AAAI 2022) Table 7. The student row (mmdet's VOC
# config, the paper's schedule) with a ResNet-101 backbone. No released checkpoint: train this row for the teacher.
_base_ = './retinanet_r50_fpn_8xb2-18e_voc0712.py'
model = dict(backbone=dict(depth=101, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')))
