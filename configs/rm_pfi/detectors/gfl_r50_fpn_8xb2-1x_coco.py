# GFL-R50-FPN, COCO, 1x: teacher of RM + PFI (AAAI 2022) Table 1, 2, 5. mmdet's config with the paper's lr; mmdet's
# released model is the pair's teacher.
_base_ = 'mmdet::gfl/gfl_r50_fpn_1x_coco.py'
# The paper's optimiser (RM + PFI (AAAI 2022), implementation details): SGD, lr 0.02 for 8 GPUs x 2 images (batch 16;
# mmdet's config has 0.01). On another number of GPUs or images per GPU, enable linear scaling:
# --cfg-options auto_scale_lr.enable=True (lr x actual batch / 16).
optim_wrapper = dict(optimizer=dict(lr=0.02))
auto_scale_lr = dict(enable=False, base_batch_size=16)
