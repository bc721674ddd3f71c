# Channel-wise distillation (Shu et al., ICCV 2021) on the decode-head logits, embedded-demo pair, through mmrazor's
# ChannelWiseDivergence (tau=1, loss_weight=5 as in mmrazor's Cityscapes CWD config).
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py']
model = dict(
    distiller=dict(
        distill_losses=dict(loss_cwd=dict(type='ChannelWiseDivergence', tau=1, loss_weight=5)),
        loss_forward_mappings=dict(
            loss_cwd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
