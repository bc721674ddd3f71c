# CIRKD (cross-image relational KD; Yang et al., CVPR 2022) for any pair base (../pairs/), weights and temperatures of
# the official train_cirkd.py:
# - pixel-wise logit KD: KL(teacher || student) per pixel, tau=1, lambda_kd=1;
# - mini-batch pixel-to-pixel: KL between the rows of the cross-image pixel similarity matrices of every ordered pair
#   of images in the batch, tau=0.1, lambda=1; no pooling (pool_size=None: at 1/8 or 1/4 of 512-pixel crops the
#   feature maps stay below the 256-pixel side from which the spec pools 4x4; set pool_size to trade accuracy for
#   memory, which grows as B^2 (hw)^2);
# - memory pixel-to-pixel and pixel-to-region contrast against per-class queues of teacher embeddings (20000 pixels,
#   2000 regions per class; 4096 / 1024 anchors per step; contrast tau=0.1, KD tau=1), lambda 0.1 each. The pixel
#   queues are buffers of num_classes x 20000 x teacher width floats: 0.8 GB for Cityscapes with a 512-wide teacher,
#   6.1 GB for ADE20K (8.6 GB with HRNet-W48's 720-wide features); lower pixel_queue_size if the GPU lacks it.
# The relational terms use the decode heads' penultimate features (recorder `feats`); the student's are projected to
# the teacher's width by a projection head (connector `proj_S`, 1x1 conv -> SyncBN -> ReLU -> 1x1 conv, trained with
# the student; the distiller runs it once per loss). The widths and the class count depend on the pair, so a row
# assembles the distiller from the pieces below with its pair base's `student_feat_channels`,
# `teacher_feat_channels` and `num_classes`.
projection = dict(type='mmkd.ProjectionHeadConnector', norm_cfg=dict(type='SyncBN', requires_grad=True))
kd_loss = dict(type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=1.0, divergence='kl')
minibatch_loss = dict(type='mmkd.CIRKDMiniBatchLoss', tau=0.1, loss_weight=1.0, pool_size=None)
memory_loss = dict(
    type='mmkd.CIRKDMemoryLoss',
    pixel_queue_size=20000,
    region_queue_size=2000,
    pixels_per_class_per_image=16,
    num_pixel_contrast=4096,
    num_region_contrast=1024,
    contrast_tau=0.1,
    kd_tau=1.0,
    pixel_weight=0.1,
    region_weight=0.1,
    ignore_index=255)
loss_forward_mappings = dict(
    loss_kd=dict(
        preds_S=dict(from_student=True, recorder='logits'),
        preds_T=dict(from_student=False, recorder='logits')),
    loss_minibatch=dict(
        feats_S=dict(from_student=True, recorder='feats', data_idx=0, connector='proj_S'),
        feats_T=dict(from_student=False, recorder='feats', data_idx=0)),
    loss_memory=dict(
        feats_S=dict(from_student=True, recorder='feats', data_idx=0, connector='proj_S'),
        feats_T=dict(from_student=False, recorder='feats', data_idx=0),
        gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1)))
