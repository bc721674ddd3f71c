# RetinaNet-R152-FPN, COCO, 2x: teacher of RM + PFI (AAAI 2022) Table 6. mmdet has no R152 RetinaNet: its R101 2x
# config with a ResNet-152 backbone (torchvision ImageNet weights) and the paper's lr. No released checkpoint: train
# this row for the pair's teacher.
_base_ = 'mmdet::retinanet/retinanet_r101_fpn_2x_coco.py'
model = dict(backbone=dict(depth=152, init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet152')))
# The paper's optimiser (RM + PFI (AAAI 2022), implementation details): SGD, lr 0.02 for 8 GPUs x 2 images (batch 16;
# mmdet's config has 0.01). On another number of GPUs or images per GPU, enable linear scaling:
# --cfg-options auto_scale_lr.enable=True (lr x actual batch / 16).
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=16)
