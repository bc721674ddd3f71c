# Teacher row, seed 004 Tables 1-2: FCOS-R50-FPN (GN head), COCO, 1x. mmdet's FCOS 1x config is caffe-style (BGR,
# no std); here with the PyTorch-style ResNet-50 and torchvision normalisation, so that teacher and student (R18,
# which has no caffe weights) see the same preprocessed images.
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')))
