# FCOS-R18-FPN (GN head), COCO, 1x: student of RM + PFI (AAAI 2022) Tables 1, 2. The teacher's mmdet config (same
# head, points and assignment: center_sampling=False) with a PyTorch-style ResNet-18 (torchvision ImageNet weights,
# trainable BN, RGB input with ImageNet mean/std: there are no caffe R18 weights) and the paper's lr.
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'
model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        depth=18,
        style='pytorch',
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
# The paper's optimiser (RM + PFI (AAAI 2022), implementation details): SGD, lr 0.02 for 8 GPUs x 2 images (batch 16;
# mmdet's config has 0.01). On another number of GPUs or images per GPU, enable linear scaling:
# --cfg-options auto_scale_lr.enable=True (lr x actual batch / 16).
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=16)
