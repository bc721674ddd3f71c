# The losses of RM + PFI (Li et al., "Knowledge Distillation for Object Detection via Rank Mimicking and
# Prediction-guided Feature Imitation", AAAI 2022) and its baselines; a row names the ones it uses.
# Rank Mimicking, cls + loc rank (Table 4's better setting, the one of Tables 1-3, 6, 7), T = 1, alpha = 4.
loss_rm = dict(type='mmkd.RankMimickingLoss', mode='cls+loc', tau=1.0, loss_weight=4.0)
# Rank Mimicking on classification scores only (Table 4, first row).
loss_rm_cls = dict(type='mmkd.RankMimickingLoss', mode='cls', tau=1.0, loss_weight=4.0)
# Prediction-guided Feature Imitation on every FPN level, beta = 1.5; Delta P summed over the A*C score channels and
# Delta F over the K = 256 feature channels (Eq. 7-8: only then do alpha and beta "balance each loss in the same
# scale"; 'mean' would make the term A*C*K = 2e4 to 1.8e5 times smaller).
loss_pfi = dict(type='mmkd.PFILoss', mask='prediction', loss_weight=1.5, pred_reduction='sum', feat_reduction='sum')
# Table 5's hand-made imitation masks, with PFI's weight and feature sum so that only the mask differs (the paper
# gives no separate weight for them): whole map (plain FPN imitation, Eq. 4), positive positions, negative positions
# (ignored anchors and padding excluded), GT boxes; each normalised by the number of positions inside its mask.
loss_imitation_whole = dict(type='mmkd.PFILoss', mask='whole', loss_weight=1.5)
loss_imitation_positive = dict(type='mmkd.PFILoss', mask='positive', loss_weight=1.5)
loss_imitation_negative = dict(type='mmkd.PFILoss', mask='negative', loss_weight=1.5)
loss_imitation_gt_box = dict(type='mmkd.PFILoss', mask='gt_box', loss_weight=1.5)
# Table 2's soft-label baseline (Hinton KD, per-class sigmoid KL, Eq. 2-3): summed over the classes and anchors and
# divided by the number of positives, like the heads' own classification loss. T and weight are not given by the
# paper (chosen here: T = 1, weight 1, i.e. the task loss's scale; untuned).
loss_soft_label = dict(type='mmkd.SigmoidSoftLabelKDLoss', tau=1.0, loss_weight=1.0, reduction='positives')
