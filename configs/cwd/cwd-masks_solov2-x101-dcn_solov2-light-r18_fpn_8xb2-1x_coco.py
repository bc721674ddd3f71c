# CWD, BPKD supplementary Table 4: SOLOv2-X101-DCN -> SOLOv2-Light-R18, COCO instance segmentation, 1x, no ms.
# mmrazor's ChannelWiseDivergence on the same target as the BPKD row: the instance-mask logits of the student's
# positive grid cells as 2-class (background / instance) maps (mmkd.SOLOv2InstanceMaskDistillLoss; reconstructed,
# configs/bpkd/README.md "SOLOv2"). tau=1, loss_weight=5 as the segmentation CWD rows (mmrazor's setting).
_base_ = ['../_base_/distill/seg/pairs/solov2-x101-dcn_solov2-light-r18_8xb2-1x_coco.py']
model = dict(
    distiller=dict(
        distill_losses=dict(
            loss_cwd=dict(
                type='mmkd.SOLOv2InstanceMaskDistillLoss',
                loss=dict(type='mmrazor.ChannelWiseDivergence', tau=1, loss_weight=5))),
        loss_forward_mappings=dict(loss_cwd=_base_.solov2_mask_kd_inputs)))
