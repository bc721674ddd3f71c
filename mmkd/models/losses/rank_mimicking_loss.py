# Copyright (c) mmkd contributors. All rights reserved.
from typing import TYPE_CHECKING, Dict, FrozenSet, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmkd.registry import MODELS

if TYPE_CHECKING:  # the distiller's per-step inputs; imported for type hints only
    from mmkd.models.det_adapters import DetDistillStepInputs


def grouped_log_softmax(values: Tensor, group_ids: Tensor, num_groups: int) -> Tensor:
    r"""Log-softmax of ``values`` within each group: :math:`\log \frac{e^{v_a}}{\sum_{b \in g(a)} e^{v_b}}`.

    The groups are given by an id per element, so instances with different numbers of positives are handled in one
    vectorised call (no padding, no Python loop over instances). The per-group maximum is subtracted first, which
    keeps large logits finite.

    Args:
        values (Tensor): scores [M].
        group_ids (Tensor): long group id of every element [M], in ``[0, num_groups)``.
        num_groups (int): number of groups G.

    Returns:
        Tensor: [M].
    """
    group_max = values.new_full((num_groups, ), float('-inf')).scatter_reduce(
        0, group_ids, values.detach(), reduce='amax', include_self=True)
    shifted = values - group_max[group_ids]
    group_sum = values.new_zeros(num_groups).index_add(0, group_ids, shifted.exp())
    return shifted - group_sum.log()[group_ids]


@MODELS.register_module()
class RankMimickingLoss(nn.Module):
    r"""Rank Mimicking: the student mimics how the teacher ranks the positive anchors of every instance.

    From "Knowledge Distillation for Object Detection via Rank Mimicking and Prediction-guided Feature Imitation"
    (Li et al., AAAI 2022). For each image and each GT instance :math:`m` let :math:`A_m` be the anchors (points)
    that the student head's own assigner made positive for :math:`m`, and :math:`s_a` a score of anchor
    :math:`a \in A_m`. With temperature :math:`T`,

    .. math::
        p^t_a = \frac{e^{s^t_a / T}}{\sum_{b \in A_m} e^{s^t_b / T}}, \qquad
        p^s_a = \frac{e^{s^s_a / T}}{\sum_{b \in A_m} e^{s^s_b / T}}, \qquad
        L_m = \mathrm{KL}(p^t \| p^s) = \sum_{a \in A_m} p^t_a \log \frac{p^t_a}{p^s_a}

    .. math::
        L_{RM} = \alpha \, \frac{1}{|\mathcal{M}|} \sum_{m \in \mathcal{M}} L_m,
        \qquad \mathcal{M} = \{m : |A_m| \geq 2\}

    Scores (``mode``): ``'cls'``, the classification logit of :math:`m`'s class at :math:`a` (the sigmoid of it with
    ``use_sigmoid=True``); ``'loc'``, the IoU of the box predicted at :math:`a` with :math:`m`'s GT box (each model
    its own boxes); ``'cls+loc'``, the sum of both terms (RM + PFI (AAAI 2022) Table 4). The anchors keep their order:
    the two distributions are compared anchor by anchor, never sorted. An instance with a single positive has a
    one-point distribution (no rank) and is skipped; with no instance left the loss is a zero that still depends on the
    student's scores (0, no NaN, and the graph stays connected for DDP).

    The inputs are flat: every positive of every instance of every image, with the instance id it belongs to
    (``mmkd.DenseDetectionDistiller`` gathers them from the head outputs). Teacher scores are detached.
    :meth:`forward_step` also returns the weighted ``cls`` and ``loc`` terms (detached) for the training log: with
    T = 1 a softmax over IoUs in [0, 1] is nearly uniform, so the loc term is typically far smaller than the cls
    term, which the log shows.

    Args:
        mode (str): ``'cls'``, ``'loc'`` or ``'cls+loc'``. Defaults to ``'cls'``.
        tau (float): temperature T. Defaults to 1.0.
        use_sigmoid (bool): rank the sigmoid of the classification logits instead of the logits. Defaults to False.
        loss_weight (float): α. Defaults to 4.0 (the paper).
    """

    MODES = ('cls', 'loc', 'cls+loc')

    def __init__(self, mode: str = 'cls', tau: float = 1.0, use_sigmoid: bool = False,
                 loss_weight: float = 4.0) -> None:
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f'RankMimickingLoss: mode must be one of {self.MODES}, got {mode!r}.')
        if tau <= 0:
            raise ValueError(f'RankMimickingLoss: tau must be positive, got {tau}.')
        self.mode = mode
        self.tau = float(tau)
        self.use_sigmoid = bool(use_sigmoid)
        self.loss_weight = float(loss_weight)

    @property
    def uses_cls(self) -> bool:
        return self.mode in ('cls', 'cls+loc')

    @property
    def uses_loc(self) -> bool:
        return self.mode in ('loc', 'cls+loc')

    def rank_kl(self, scores_S: Tensor, scores_T: Tensor, instance_ids: Tensor) -> Tensor:
        """Mean over instances with at least 2 positives of KL(p_t || p_s) (see the class docstring), unweighted.

        Args:
            scores_S (Tensor): student scores [M].
            scores_T (Tensor): teacher scores [M] (detached here).
            instance_ids (Tensor): long instance id of every score [M] (any non-negative ids).

        Returns:
            Tensor: scalar.
        """
        if not (scores_S.shape == scores_T.shape == instance_ids.shape) or scores_S.dim() != 1:
            raise ValueError(f'RankMimickingLoss: scores_S {tuple(scores_S.shape)}, scores_T '
                             f'{tuple(scores_T.shape)} and instance_ids {tuple(instance_ids.shape)} must all be [M].')
        if scores_S.numel() == 0:
            return scores_S.sum() * 0.
        _, groups, counts = torch.unique(instance_ids, return_inverse=True, return_counts=True)
        ranked = counts[groups] >= 2
        num_ranked = int((counts >= 2).sum())
        if num_ranked == 0:
            return scores_S.sum() * 0.
        num_groups = counts.numel()
        log_p_S = grouped_log_softmax(scores_S / self.tau, groups, num_groups)
        log_p_T = grouped_log_softmax(scores_T.detach() / self.tau, groups, num_groups)
        per_anchor = log_p_T.exp() * (log_p_T - log_p_S)
        per_instance = scores_S.new_zeros(num_groups).index_add(0, groups, torch.where(ranked, per_anchor, 0.))
        return per_instance.sum() / num_ranked

    def forward(self,
                instance_ids: Tensor,
                cls_scores_S: Optional[Tensor] = None,
                cls_scores_T: Optional[Tensor] = None,
                ious_S: Optional[Tensor] = None,
                ious_T: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            instance_ids (Tensor): long id of the instance each positive belongs to [M].
            cls_scores_S (Tensor, optional): student logit of the instance's class at each positive [M]. Needed by
                modes ``cls`` and ``cls+loc``.
            cls_scores_T (Tensor, optional): teacher logits [M], same anchors.
            ious_S (Tensor, optional): IoU of the student's predicted box with the instance's GT box [M]. Needed by
                modes ``loc`` and ``cls+loc``.
            ious_T (Tensor, optional): the teacher's IoUs [M].

        Returns:
            Tensor: scalar loss.
        """
        return sum(self.terms(instance_ids, cls_scores_S, cls_scores_T, ious_S, ious_T).values())

    def terms(self,
              instance_ids: Tensor,
              cls_scores_S: Optional[Tensor] = None,
              cls_scores_T: Optional[Tensor] = None,
              ious_S: Optional[Tensor] = None,
              ious_T: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The weighted terms of :meth:`forward` (same arguments): ``{'cls': α·L_cls}`` and/or
        ``{'loc': α·L_loc}``."""
        terms = {}
        if self.uses_cls:
            cls_scores_S, cls_scores_T = self._required(cls_scores_S, cls_scores_T, 'cls_scores')
            if self.use_sigmoid:
                cls_scores_S, cls_scores_T = cls_scores_S.sigmoid(), cls_scores_T.sigmoid()
            terms['cls'] = self.loss_weight * self.rank_kl(cls_scores_S, cls_scores_T, instance_ids)
        if self.uses_loc:
            ious_S, ious_T = self._required(ious_S, ious_T, 'ious')
            terms['loc'] = self.loss_weight * self.rank_kl(ious_S, ious_T, instance_ids)
        return terms

    @property
    def step_inputs(self) -> FrozenSet[str]:
        """What :meth:`forward_step` reads (see :data:`mmkd.models.det_adapters.STEP_INPUTS`)."""
        return frozenset({'head_outs', 'positives', 'gt'})

    def forward_step(self, inputs: 'DetDistillStepInputs') -> Dict[str, Tensor]:
        """The loss on one distillation step's inputs (``DenseDetectionDistiller``): ``{'loss': ..., 'cls': ...,
        'loc': ...}`` (the terms detached, for the log)."""
        kwargs = dict(instance_ids=inputs.instance_ids)
        if self.uses_cls:
            kwargs['cls_scores_S'], kwargs['cls_scores_T'] = inputs.positive_cls_scores
        if self.uses_loc:
            kwargs['ious_S'], kwargs['ious_T'] = inputs.positive_ious
        terms = self.terms(**kwargs)
        return dict(loss=sum(terms.values()), **{name: term.detach() for name, term in terms.items()})

    def _required(self, student: Optional[Tensor], teacher: Optional[Tensor], name: str) -> Tuple[Tensor, Tensor]:
        if student is None or teacher is None:
            raise ValueError(f'RankMimickingLoss(mode={self.mode!r}) needs {name}_S and {name}_T.')
        return student, teacher
