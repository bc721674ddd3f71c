# IFVD (intra-class feature variation distillation; Wang et al., ECCV 2020) for any pair base (../pairs/), weights of
# the official code (YukangWang/IFVD options.py):
# - IFV: per class, the prototype = masked mean of the penultimate features (conv_seg inputs, recorder `feats`);
#   per pixel, cosine similarity to its class prototype; MSE between the student's and the teacher's maps,
#   lambda_ifv=200 (cosine maps are width-free: no projection between different widths);
# - logit KD: the official lambda_kd=10 applies to nn.KLDivLoss's mean over all N*C*h*w elements, i.e.
#   10 / C times the per-pixel KL that mmkd.PixelWiseKDLoss averages: the row divides `kd_weight` by its num_classes;
# - holistic: the adversarial term of adversarial.py (lambda_adv=0.001, as in the official code).
# (CIRKD's re-implementation uses lambda_ifv=20 and a batchmean logit KD of weight 1 instead.)
_base_ = ['./adversarial.py']
ifv_loss = dict(type='mmkd.IFVDLoss', loss_weight=200.0, ignore_index=255)  # num_classes: the pair's
kd_loss = dict(type='mmkd.PixelWiseKDLoss', tau=1.0, divergence='kl')  # loss_weight: kd_weight / num_classes
kd_weight = 10.0
loss_forward_mappings = dict(
    loss_ifv=dict(
        feats_S=dict(from_student=True, recorder='feats', data_idx=0),
        feats_T=dict(from_student=False, recorder='feats', data_idx=0),
        gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1)),
    loss_kd=dict(
        preds_S=dict(from_student=True, recorder='logits'),
        preds_T=dict(from_student=False, recorder='logits')))
