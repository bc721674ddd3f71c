# BPKD (edge + body loss; Liu et al., WACV 2024) for the embedded-demo pair. Reconstructed "paper settings"
# (configs/bpkd/README.md): edge KL tau=4, edge_width=7, alpha=2, lambda_edge=50; body CWD tau=4, lambda_body=20.
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py']
model = dict(
    distiller=dict(
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
                gt_labels=dict(from_student=True, recorder='gt_labels', data_idx=1)))))
