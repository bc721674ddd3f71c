# BPKD (boundary-privileged KD, WACV 2024; its supplementary material) for any pair base (../pairs/): a row is
# _base_ = [pair base, this file] + `model = dict(distiller=_base_.distiller)`. Everything BPKD-specific is here.
# One loss, mmkd.BPKDLoss, builds the soft GT-boundary mask M_E once per step (band = dilation - erosion with a
# 7x7 kernel, average-pooled to the logit grid) and gives it to both terms:
# - edge: per-pixel KL over classes between T-softened logits on the band (pre- and post-masking), alpha-weighted,
#   "average reduction" (mean over all N*C*h*w cells; the supplementary's words), x T^2 x lambda_edge;
# - body: channel-wise distillation (CWD) on the logits masked with the body mask 1 - M_E.
# mmkd.MultiTermDistiller logs the two terms as distill.loss_bpkd_edge / distill.loss_bpkd_body. The GT labels come
# from the student's `gt_labels` recorder (inputs of decode_head.loss_decode, data_idx=1). No public training code
# exists: the values are the reconstructed "paper settings" (configs/bpkd/README.md): edge T=4, edge_width=7,
# alpha=2 (scalar), lambda_edge=50; body tau=4, lambda_body=20.
distiller = dict(
    type='mmkd.MultiTermDistiller',
    distill_losses=dict(
        loss_bpkd=dict(
            type='mmkd.BPKDLoss',
            edge_width=7,
            edge_tau=4.0,
            class_weights=2.0,
            edge_weight=50.0,
            edge_reduction='mean',
            body_tau=4.0,
            body_weight=20.0,
            body_softmax='zeroed')),
    loss_forward_mappings=dict(
        loss_bpkd=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits'),
            gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1))))
