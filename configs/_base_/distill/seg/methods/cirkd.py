# CIRKD ("Cross-Image Relational Knowledge Distillation for Semantic Segmentation", Yang et al., CVPR 2022) for any
# pair base (../pairs/), weights and temperatures of the official train_cirkd.py (winycg/CIRKD):
# - pixel-wise logit KD: KL(teacher || student) per pixel, tau=1, lambda_kd=1;
# - mini-batch pixel-to-pixel: KL between the rows of the cross-image pixel similarity matrices of every ordered pair
#   of images in the batch, tau=0.1, lambda=1, on the student's RAW decode features (recorder `feats`; the official
#   code feeds this term the unprojected s_outputs[-1]: similarity matrices are width-free). Memory is
#   O(B^2 (hw)^2): max_pixels=8192 (the 64x128 grid, 1/8 of the official 512x1024 crops) pools, per feature map, by
#   the smallest factor that brings it to at most 8192 pixels. 1/8-resolution students (PSPNet, ISANet: 64x128,
#   64x64, 60x60) are left alone; 1/4-resolution ones (HRNet, DeepLabV3+: 128x256, 128x128, 120x120) are average-pooled
#   2x2 to exactly the 1/8 grid (one step at 128x256 unpooled: see configs/cirkd/README.md, "Memory");
# - memory pixel-to-pixel and pixel-to-region contrast against per-class queues of teacher embeddings (20000 pixels,
#   2000 regions per class; 4096 / 1024 anchors per step; contrast tau=0.1, KD tau=1), lambda 0.1 each. The student is
#   projected to the teacher's width by CIRKD's projection head (connector `proj_S`, 1x1 conv -> SyncBN -> ReLU ->
#   1x1 conv, trained with the student), used by this loss only, as in the official StudentSegContrast. The pixel
#   queues are buffers of num_classes x 20000 x teacher width floats: 0.8 GB for Cityscapes with a 512-wide teacher,
#   6.1 GB for ADE20K (8.6 GB with HRNet-W48's 720-wide features); lower pixel_queue_size if the GPU lacks it.
# Class count and widths are read from the built models ('@student.num_classes', '@student.feat_channels',
# '@teacher.feat_channels'). A row is `model = dict(distiller=_base_.distiller)`.
distiller = dict(
    connectors=dict(
        proj_S=dict(
            type='mmkd.ProjectionHeadConnector',
            in_channels='@student.feat_channels',
            out_channels='@teacher.feat_channels',
            norm_cfg=dict(type='SyncBN', requires_grad=True))),
    distill_losses=dict(
        loss_kd=dict(type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=1.0, divergence='kl'),
        loss_minibatch=dict(type='mmkd.CIRKDMiniBatchLoss', tau=0.1, loss_weight=1.0, max_pixels=8192, pool_type='avg'),
        loss_memory=dict(
            type='mmkd.CIRKDMemoryLoss',
            num_classes='@student.num_classes',
            feat_channels='@teacher.feat_channels',
            pixel_queue_size=20000,
            region_queue_size=2000,
            pixels_per_class_per_image=16,
            num_pixel_contrast=4096,
            num_region_contrast=1024,
            contrast_tau=0.1,
            kd_tau=1.0,
            pixel_weight=0.1,
            region_weight=0.1,
            ignore_index=255)),
    loss_forward_mappings=dict(
        loss_kd=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits')),
        loss_minibatch=dict(
            feats_S=dict(from_student=True, recorder='feats', data_idx=0),
            feats_T=dict(from_student=False, recorder='feats', data_idx=0)),
        loss_memory=dict(
            feats_S=dict(from_student=True, recorder='feats', data_idx=0, connector='proj_S'),
            feats_T=dict(from_student=False, recorder='feats', data_idx=0),
            gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1))))
