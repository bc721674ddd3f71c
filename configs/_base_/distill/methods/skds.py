# SKDS ("Structured Knowledge Distillation for Semantic Segmentation", Liu et al., CVPR 2019), all three terms, for
# any pair base (../pairs/):
# - pixel-wise: soft cross-entropy between teacher and student class distributions per pixel, tau=1, lambda=10;
# - pair-wise: similarity graph of the penultimate features (conv_seg inputs, recorder `feats`) on max-pooled nodes,
#   kernel = half the map (2x2 nodes, the official code), lambda=1 (the paper; the official run script uses 0.5);
# - holistic: the adversarial term of adversarial.py (its discriminator takes num_classes input channels).
# A row: model = dict(_base_.adversarial_algorithm, discriminator=dict(_base_.discriminator,
# in_channels=_base_.num_classes), distiller=_base_.distiller) plus the optimiser and schedule dicts (see a row).
_base_ = ['./adversarial.py']
distiller = dict(
    distill_losses=dict(
        loss_pixel=dict(type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=10.0),
        loss_pair=dict(type='mmkd.PairWiseKDLoss', pool_mode='half', loss_weight=1.0)),
    loss_forward_mappings=dict(
        loss_pixel=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits')),
        loss_pair=dict(
            feats_S=dict(from_student=True, recorder='feats', data_idx=0),
            feats_T=dict(from_student=False, recorder='feats', data_idx=0))))
