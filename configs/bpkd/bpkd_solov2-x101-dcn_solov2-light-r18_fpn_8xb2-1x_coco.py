# BPKD, seed 002 Table 4: SOLOv2-X101-DCN -> SOLOv2-Light-R18, COCO instance segmentation, 3x schedule.
# Reconstructed design (configs/bpkd/README.md, "SOLOv2"): BPKD's edge and body losses on the instance-mask logits of
# the student's positive grid cells, each cell's mask a 2-class (background / instance) map, the band around the
# matched GT instance's contour at the mask-feature resolution (stride 4). edge_width=3 (radius 1 at stride 4, i.e.
# about +-4 image pixels, the closest to the segmentation rows' radius of 3 image pixels); tau, alpha and the loss
# weights are the segmentation rows' reconstructed "paper settings" (the paper gives none for SOLOv2).
_base_ = ['../_base_/distill/pairs/solov2-x101-dcn_solov2-light-r18_8xb2-1x_coco.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_edge=dict(
                type='mmkd.SOLOv2InstanceMaskDistillLoss',
                loss=dict(type='mmkd.BPKDEdgeLoss', tau=4.0, edge_width=3, class_weights=2.0, loss_weight=50.0)),
            loss_body=dict(
                type='mmkd.SOLOv2InstanceMaskDistillLoss',
                loss=dict(type='mmkd.BPKDBodyLoss', tau=4.0, edge_width=3, loss_weight=20.0))),
        loss_forward_mappings=dict(loss_edge=_base_.solov2_mask_kd_inputs, loss_body=_base_.solov2_mask_kd_inputs)))
