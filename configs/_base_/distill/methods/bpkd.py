# BPKD (boundary-privileged KD, WACV 2024; seeds 002/003) for any pair base (../pairs/): a row is
# _base_ = [pair base, this file] + `model = dict(distiller=_base_.distiller)`.
# - edge loss: per-pixel KL over classes between temperature-softened logits on the soft GT-boundary band M_E
#   (pre- and post-masking), per-class weights alpha, normalised by the band's pixel count per class;
# - body loss: channel-wise distillation (CWD) on the logits masked with the body mask 1 - M_E.
# Both on the decode-head logits (recorder `logits`); the GT labels come from the student's `gt_labels` recorder
# (inputs of decode_head.loss_decode, data_idx=1). No public training code exists: all values below are the
# reconstructed "paper settings" (configs/bpkd/README.md): edge tau=4, edge_width=7 (band = dilation - erosion with a
# 7x7 kernel), alpha=2 (scalar), lambda_edge=50; body tau=4, lambda_body=20.
distiller = dict(
    distill_losses=dict(
        loss_edge=dict(type='mmkd.BPKDEdgeLoss', tau=4.0, edge_width=7, class_weights=2.0, loss_weight=50.0),
        loss_body=dict(type='mmkd.BPKDBodyLoss', tau=4.0, edge_width=7, loss_weight=20.0)),
    loss_forward_mappings=dict(
        loss_edge=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits'),
            gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1)),
        loss_body=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits'),
            gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1))))
