# Copyright (c) mmkd contributors. All rights reserved.
from typing import TYPE_CHECKING, FrozenSet, Optional, Sequence, Union

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.registry import MODELS

if TYPE_CHECKING:  # the distiller's per-step inputs; imported for type hints only
    from mmkd.models.det_adapters import DetDistillStepInputs


@MODELS.register_module()
class SigmoidSoftLabelKDLoss(nn.Module):
    r"""Soft-label distillation for sigmoid classification heads: a binary KL per anchor and class.

    Hinton et al., "Distilling the Knowledge in a Neural Network" (2015), in the per-class binary form that sigmoid
    detection heads (RetinaNet, FCOS, ATSS, GFL) need: every class channel is its own Bernoulli distribution. It is
    the soft-label baseline of RM + PFI (AAAI 2022) Table 2 (Li et al.), Eq. 2-3. For logits :math:`s, t` of one
    FPN level [N, A*C, H, W], :math:`q^t = \sigma(t/T)`, :math:`q^s = \sigma(s/T)`:

    .. math::
        \mathrm{KL}_b(q^t \| q^s) = q^t \log\frac{q^t}{q^s} + (1-q^t)\log\frac{1-q^t}{1-q^s}

    .. math::
        L = \lambda\, T^2 \, \frac{1}{N_{pos}} \sum_{l,n,a,i,j} \sum_{c=1}^{C} \mathrm{KL}_b

    a KL per sample (anchor) summed over the classes and over every anchor of all levels, divided by the number of
    positives of the batch, exactly as the heads normalise their own (focal / quality focal) classification loss,
    so that λ = 1 puts it on the scale of the task loss (``reduction='positives'``, the default). The former
    ``reduction='mean'`` divides by every anchor × class × position instead (C × and then positions/positives ×
    weaker). The teacher is detached; computed from log-sigmoids (stable for large logits) and 0 exactly when
    student and teacher logits are equal.

    Args:
        tau (float): temperature T; the loss is multiplied by T². Defaults to 1.0.
        loss_weight (float): λ. Defaults to 1.0.
        reduction (str): ``'positives'`` (sum / ``avg_factor``, the number of positives) or ``'mean'`` (over all
            elements). Defaults to ``'positives'``.
    """

    REDUCTIONS = ('positives', 'mean')

    def __init__(self, tau: float = 1.0, loss_weight: float = 1.0, reduction: str = 'positives') -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'SigmoidSoftLabelKDLoss: tau must be positive, got {tau}.')
        if reduction not in self.REDUCTIONS:
            raise ValueError(f'SigmoidSoftLabelKDLoss: reduction must be one of {self.REDUCTIONS}, got {reduction!r}.')
        self.tau = float(tau)
        self.loss_weight = float(loss_weight)
        self.reduction = reduction

    @property
    def step_inputs(self) -> FrozenSet[str]:
        """What :meth:`forward_step` reads (see :data:`mmkd.models.det_adapters.STEP_INPUTS`)."""
        return frozenset({'head_outs', 'positives'} if self.reduction == 'positives' else {'head_outs'})

    def forward(self, cls_scores_S: Sequence[Tensor], cls_scores_T: Sequence[Tensor],
                avg_factor: Optional[Union[float, Tensor]] = None) -> Tensor:
        """Compute the loss.

        Args:
            cls_scores_S (Sequence[Tensor]): student logits per level [N, A*C, H_l, W_l].
            cls_scores_T (Sequence[Tensor]): teacher logits, same shapes.
            avg_factor (float | Tensor, optional): the number of positives (``reduction='positives'`` needs it).

        Returns:
            Tensor: scalar loss.
        """
        if len(cls_scores_S) != len(cls_scores_T) or len(cls_scores_S) == 0:
            raise ValueError(f'SigmoidSoftLabelKDLoss: got {len(cls_scores_S)} student and {len(cls_scores_T)} '
                             f'teacher levels.')
        if self.reduction == 'positives' and avg_factor is None:
            raise ValueError("SigmoidSoftLabelKDLoss(reduction='positives') needs avg_factor (the number of "
                             "positives, as the head's classification loss); or use reduction='mean'.")
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
        denominator = count if self.reduction == 'mean' else avg_factor
        return self.loss_weight * self.tau**2 * total / denominator

    def forward_step(self, inputs: 'DetDistillStepInputs') -> Tensor:
        """The loss on one distillation step's inputs (``DenseDetectionDistiller``), normalised by the number of
        positives of the student head's assignment."""
        avg_factor = inputs.num_positives if self.reduction == 'positives' else None
        return self(inputs.student_cls_scores, inputs.teacher_cls_scores, avg_factor=avg_factor)
