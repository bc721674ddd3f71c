# IFVD ("Intra-class Feature Variation Distillation for Semantic Segmentation", Wang et al., ECCV 2020) for any pair
# base (../pairs/), following IFVD's official code (YukangWang/IFVD, options.py, networks/kd_model.py,
# utils/criterion.py):
# - IFV: per image and class, the prototype = masked mean of the penultimate features (conv_seg inputs, recorder
#   `feats`); per pixel, cosine similarity to its class prototype; MSE between the student's and the teacher's maps,
#   lambda_ifv=200 (cosine maps are width-free: no projection between different widths);
# - logit KD: nn.KLDivLoss() with its default mean over all N*C*h*w elements, lambda_kd=10: mmkd.PixelWiseKDLoss with
#   reduction='element_mean' (the per-pixel KL / C, C read from the logits), weight 10;
# - holistic: WGAN-GP discriminator on the 1/8 logits (adversarial.py), lambda_adv=0.001 on the generator term,
#   lambda_d=0.1 on the D loss and the gradient penalty (lambda_gp=10); D trained with Adam(lr 4e-4, betas
#   (0.9, 0.99)) under the same poly decay (power 0.9) as the student.
# (CIRKD's re-implementation uses lambda_ifv=20, a batchmean logit KD of weight 1, the hinge loss and a constant-lr
# Adam instead.)
_base_ = ['./adversarial.py']
adversarial_algorithm = dict(
    adversarial_loss=dict(
        type='mmkd.AdversarialKDLoss', adv_type='wgan-gp', generator_weight=0.001, discriminator_weight=0.1,
        gp_weight=10.0))
adversarial_optim_wrapper = dict(
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=4e-4, betas=(0.9, 0.99)), clip_grad=None))
distiller = dict(
    distill_losses=dict(
        loss_ifv=dict(type='mmkd.IFVDLoss', loss_weight=200.0, num_classes='@student.num_classes', ignore_index=255),
        loss_kd=dict(
            type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=10.0, divergence='kl', reduction='element_mean')),
    loss_forward_mappings=dict(
        loss_ifv=dict(
            feats_S=dict(from_student=True, recorder='feats', data_idx=0),
            feats_T=dict(from_student=False, recorder='feats', data_idx=0),
            gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1)),
        loss_kd=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits'))))
