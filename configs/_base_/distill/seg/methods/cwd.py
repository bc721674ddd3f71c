# Channel-wise distillation (CWD; Shu et al., ICCV 2021) on the decode-head logits for any pair base (../pairs/): a
# row is _base_ = [pair base, this file] + `model = dict(distiller=_base_.distiller)`.
# mmrazor's ChannelWiseDivergence with tau=1, loss_weight=5: the setting of mmrazor's Cityscapes CWD config
# (CIRKD's run scripts use tau=4 and weight 3 on the logits, plus a feature term of weight 50, instead).
distiller = dict(
    distill_losses=dict(loss_cwd=dict(type='ChannelWiseDivergence', tau=1, loss_weight=5)),
    loss_forward_mappings=dict(
        loss_cwd=dict(
            preds_S=dict(from_student=True, recorder='logits'),
            preds_T=dict(from_student=False, recorder='logits'))))
