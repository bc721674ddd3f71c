# CIRKD (cross-image relational KD; Yang et al., CVPR 2022) for the embedded-demo pair: pixel-wise logit KD +
# mini-batch pixel-to-pixel + memory pixel-to-pixel / pixel-to-region distillation on the decode head's penultimate
# features (conv_seg inputs). The student's 32-channel features go through a projection head to the teacher's 64
# channels (connector `proj_S`, shared by both relational losses and trained with the student; the distiller runs it
# once per loss, so its BN statistics update twice per step on the same input). Weights and
# temperatures of the official train_cirkd.py: lambda_kd=1 (tau 1), lambda_minibatch=1 (tau 0.1), memory pixel and
# region 0.1 each (contrast tau 0.1, KD tau 1), queues 20000 pixels / 2000 regions per class, 4096 / 1024 anchors.
# Feature maps are 16x32 here, so the mini-batch loss needs no pooling. The queues are buffers (restored on resume):
# 19 x (20000 + 2000) x 64 floats, about 107 MB in every checkpoint.
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py']
num_classes = 19
teacher_feat_channels = 64  # PSPHead channels of the width-32 teacher
student_feat_channels = 32  # PSPHead channels of the width-16 student
model = dict(
    distiller=dict(
        connectors=dict(
            proj_S=dict(
                type='mmkd.ProjectionHeadConnector',
                in_channels=student_feat_channels,
                out_channels=teacher_feat_channels,
                norm_cfg=dict(type='BN'))),
        distill_losses=dict(
            loss_kd=dict(type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=1.0, divergence='kl'),
            loss_minibatch=dict(type='mmkd.CIRKDMiniBatchLoss', tau=0.1, loss_weight=1.0, pool_size=None),
            loss_memory=dict(
                type='mmkd.CIRKDMemoryLoss',
                num_classes=num_classes,
                feat_channels=teacher_feat_channels,
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
                feats_S=dict(from_student=True, recorder='feats', data_idx=0, connector='proj_S'),
                feats_T=dict(from_student=False, recorder='feats', data_idx=0)),
            loss_memory=dict(
                feats_S=dict(from_student=True, recorder='feats', data_idx=0, connector='proj_S'),
                feats_T=dict(from_student=False, recorder='feats', data_idx=0),
                gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1)))))
