# RetinaNet on MobileNetV2 (width 1.0), COCO, 1x: teacher of RM + PFI (AAAI 2022) Table 3. mmdet has no such config:
# RetinaNet-R50's with mmdet's MobileNetV2 (ImageNet weights) giving C3-C5 (stride 8/16/32: 32, 96, 320 channels)
# to a 256-wide FPN, and the paper's lr. No released checkpoint: train this row for the pair's teacher.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.0,
        out_indices=(2, 4, 6),
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://mmdet/mobilenet_v2')),
    neck=dict(in_channels=[32, 96, 320], start_level=0))
# The paper's optimiser (RM + PFI (AAAI 2022), implementation details): SGD, lr 0.02 for 8 GPUs x 2 images (batch 16;
# mmdet's config has 0.01). On another number of GPUs or images per GPU, enable linear scaling:
# --cfg-options auto_scale_lr.enable=True (lr x actual batch / 16).
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=16)
