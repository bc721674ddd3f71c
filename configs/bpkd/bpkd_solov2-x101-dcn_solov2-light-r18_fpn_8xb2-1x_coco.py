# BPKD, BPKD supplementary Table 4: SOLOv2-X101-DCN -> SOLOv2-Light-R18, COCO instance segmentation, 1x schedule.
# Reconstructed design (configs/bpkd/README.md, "SOLOv2"): mmkd.BPKDLoss (edge and body terms from one mask) on the
# instance-mask logits of the student's positive grid cells, each cell's mask a 2-class (background / instance) map,
# the band around the matched GT instance's contour at the mask-feature resolution (stride 4). edge_width=3
# (radius 1 at stride 4, i.e. about +-4 image pixels, the closest to the segmentation rows' radius of 3 image
# pixels); T, alpha, the loss weights, the edge "average reduction" and the body softmax are the segmentation rows'
# (configs/_base_/distill/seg/methods/bpkd.py; the paper gives none for SOLOv2). Logged as distill.loss_bpkd_edge /
# distill.loss_bpkd_body (mmkd.MultiTermDistiller, set in ../_base_/distill/seg/solov2_kd_algorithm.py).
_base_ = ['../_base_/distill/seg/pairs/solov2-x101-dcn_solov2-light-r18_8xb2-1x_coco.py',
          '../_base_/distill/seg/methods/bpkd.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_bpkd=dict(
                type='mmkd.SOLOv2InstanceMaskDistillLoss',
                loss=dict(_base_.distiller.distill_losses.loss_bpkd, edge_width=3))),
        loss_forward_mappings=dict(loss_bpkd=_base_.solov2_mask_kd_inputs)))
