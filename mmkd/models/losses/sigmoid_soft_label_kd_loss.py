# Copyright (c) mmkd contributors. All rights reserved.
from typing import Sequence

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class SigmoidSoftLabelKDLoss(nn.Module):
    r"""Soft-label distillation for sigmoid classification heads: a binary KL per anchor and class.

    Hinton et al., "Distilling the Knowledge in a Neural Network" (2015), in the per-class binary form that sigmoid
    detection heads (RetinaNet, FCOS, ATSS, GFL) need: every class channel is its own Bernoulli distribution. It is
    the soft-label baseline of seed 004 Table 2 (Li et al., AAAI 2022). For logits :math:`s, t` of one FPN level
    [N, A*C, H, W], :math:`q^t = \sigma(t/T)`, :math:`q^s = \sigma(s/T)`:

    .. math::
        \mathrm{KL}_b(q^t \| q^s) = q^t \log\frac{q^t}{q^s} + (1-q^t)\log\frac{1-q^t}{1-q^s}

    .. math::
        L = \lambda\, T^2 \, \frac{1}{\sum_l N A C H_l W_l} \sum_{l,n,c,i,j} \mathrm{KL}_b

    i.e. the mean over every anchor, class and position of all levels (a level with more positions counts more, as
    in the head's own classification loss). The teacher is detached; computed from log-sigmoids (stable for large
    logits) and 0 exactly when student and teacher logits are equal.

    Args:
        tau (float): temperature T; the loss is multiplied by T². Defaults to 1.0.
        loss_weight (float): λ. Defaults to 1.0.
    """

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'SigmoidSoftLabelKDLoss: tau must be positive, got {tau}.')
        self.tau = float(tau)
        self.loss_weight = float(loss_weight)

    def forward(self, cls_scores_S: Sequence[Tensor], cls_scores_T: Sequence[Tensor]) -> Tensor:
        """Compute the loss.

        Args:
            cls_scores_S (Sequence[Tensor]): student logits per level [N, A*C, H_l, W_l].
            cls_scores_T (Sequence[Tensor]): teacher logits, same shapes.

        Returns:
            Tensor: scalar loss.
        """
        if len(cls_scores_S) != len(cls_scores_T) or len(cls_scores_S) == 0:
            raise ValueError(f'SigmoidSoftLabelKDLoss: got {len(cls_scores_S)} student and {len(cls_scores_T)} '
                             f'teacher levels.')
        total, count = 0., 0
        for level, (score_S, score_T) in enumerate(zip(cls_scores_S, cls_scores_T)):
            if score_S.shape != score_T.shape:
                raise ValueError(f'SigmoidSoftLabelKDLoss: level {level}: student {tuple(score_S.shape)} and '
                                 f'teacher {tuple(score_T.shape)} logits differ.')
            logit_S, logit_T = score_S / self.tau, score_T.detach() / self.tau
            # with log(1 - σ(x)) = logσ(x) - x the binary KL takes two log-sigmoids instead of four:
            # KL_b = logσ(t) - logσ(s) - (1 - σ(t)) (t - s)
            kl = F.logsigmoid(logit_T) - F.logsigmoid(logit_S) - (1 - logit_T.sigmoid()) * (logit_T - logit_S)
            total = total + kl.sum()
            count += kl.numel()
        return self.loss_weight * self.tau**2 * total / count
