# IFVD (intra-class feature variation distillation; Wang et al., ECCV 2020) for the embedded-demo pair: the IFV term on
# the decode head's penultimate features (conv_seg inputs: teacher 64 channels, student 32; cosine maps need no
# projection) plus the pixel-wise logit KD term. Weights of the official code (YukangWang/IFVD options.py):
# lambda_ifv=200; lambda_kd=10 applied there to nn.KLDivLoss's mean over all N*C*h*w elements, i.e. 10/C times the
# per-pixel KL that mmkd.PixelWiseKDLoss averages (C=19 here). CIRKD's re-implementation uses lambda_ifv=20,
# lambda_kd=1 instead. IFVD's adversarial term (lambda_adv=0.001, needs a discriminator) is not part of this config.
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py']
num_classes = 19
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_ifv=dict(type='mmkd.IFVDLoss', loss_weight=200.0, num_classes=num_classes, ignore_index=255),
            loss_kd=dict(type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=10.0 / num_classes, divergence='kl')),
        loss_forward_mappings=dict(
            loss_ifv=dict(
                feats_S=dict(from_student=True, recorder='feats', data_idx=0),
                feats_T=dict(from_student=False, recorder='feats', data_idx=0),
                gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1)),
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
