# RetinaNet-R50-FPN, COCO, 1x (12 epochs, lr /10 at 8 and 11): teacher of RM + PFI (AAAI 2022) Tables 1, 2, 4
# (student in Table 3). mmdet's config with the paper's lr; mmdet's released model (36.5 AP) is the pairs' teacher.
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
# The paper's optimiser (RM + PFI (AAAI 2022), implementation details): SGD, lr 0.02 for 8 GPUs x 2 images (batch 16;
# mmdet's config has 0.01). On another number of GPUs or images per GPU, enable linear scaling:
# --cfg-options auto_scale_lr.enable=True (lr x actual batch / 16).
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=16)
