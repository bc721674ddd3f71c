# Copyright (c) mmkd contributors. All rights reserved.
from typing import TYPE_CHECKING, Dict, FrozenSet, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmkd.registry import MODELS

if TYPE_CHECKING:  # the distiller's per-step inputs; imported for type hints only
    from mmkd.models.det_adapters import DetDistillStepInputs

REDUCTIONS = ('sum', 'mean')


@MODELS.register_module()
class PFILoss(nn.Module):
    r"""Prediction-guided Feature Imitation (PFI) and its hand-made-mask baselines, one loss per FPN level averaged.

    From "Knowledge Distillation for Object Detection via Rank Mimicking and Prediction-guided Feature Imitation"
    (Li et al., AAAI 2022), Eq. 7-9. On FPN level :math:`l` with student / teacher features :math:`f^s, f^t \in
    \mathbb{R}^{N \times K \times H \times W}` and classification logits :math:`s, t \in \mathbb{R}^{N \times AC
    \times H \times W}` (A anchors per position, C classes):

    .. math::
        \Delta P_{n,i,j} = \sum_{c=1}^{AC} \big(\sigma(t_{n,c,i,j}) - \sigma(s_{n,c,i,j})\big)^2,
        \qquad
        \Delta F_{n,i,j} = \sum_{k=1}^{K} \big(f^t_{n,k,i,j} - f^s_{n,k,i,j}\big)^2

    (sums, as Eq. 7-8 write them: with them "α and β balance each loss in the same scale"; ``pred_reduction`` /
    ``feat_reduction='mean'`` divide by :math:`AC` / :math:`K` instead, which makes the term
    :math:`AC \cdot K` times smaller, 2·10⁴ for FCOS/ATSS/GFL and 1.8·10⁵ for RetinaNet on COCO).

    .. math::
        L_l = \frac{1}{NHW} \sum_{n,i,j} \Delta P_{n,i,j}\, \Delta F_{n,i,j}, \qquad
        L_{PFI} = \beta \, \frac{1}{L} \sum_l L_l

    :math:`\Delta P` is **detached**: it says where the student's predictions are wrong but is not itself trained,
    so no gradient reaches the classification branch through it. The baselines of RM + PFI (AAAI 2022) Table 5 use
    instead a 0/1 map :math:`M` given by the caller (``masks``): ``'whole'`` (every position: plain FPN imitation,
    Eq. 4), ``'positive'`` (positions with a positive anchor), ``'negative'`` (positions whose anchors are all
    negatives, inside the image), ``'gt_box'`` (positions whose centre lies inside a GT box). A masked level is
    normalised by the number of positions inside its mask (FGFI's convention), and levels whose mask is empty are
    left out of the mean over levels:

    .. math::
        L_l = \frac{\sum_{n,i,j} M_{n,i,j}\, \Delta F_{n,i,j}}{\sum_{n,i,j} M_{n,i,j}}

    so that "positives only" (a few tenths of a per cent of the positions on COCO) imitates with the strength of the
    whole map per position, not a few hundredths of it. Teacher features are detached: gradients reach only the
    student features.

    Statistics (:meth:`forward_step`, logged by the distiller; detached): ``delta_f``, the mean over positions and
    levels of :math:`\Delta F`, and for PFI ``delta_p``, the same of :math:`\Delta P`, so that the scale of both
    factors can be read in the training log.

    Args:
        mask (str): ``'prediction'``, ``'whole'``, ``'positive'``, ``'negative'`` or ``'gt_box'``.
            Defaults to ``'prediction'``.
        loss_weight (float): β. Defaults to 1.5 (the paper).
        pred_reduction (str): ΔP over the A·C score channels, ``'sum'`` (the paper's Eq. 7) or ``'mean'``.
            Defaults to ``'sum'``.
        feat_reduction (str): ΔF over the K feature channels, ``'sum'`` (the paper's Eq. 8) or ``'mean'``.
            Defaults to ``'sum'``.
    """

    MASKS = ('prediction', 'whole', 'positive', 'negative', 'gt_box')
    #: modes whose 0/1 map the caller computes from the assignment or the GT boxes
    GIVEN_MASKS = ('positive', 'negative', 'gt_box')

    def __init__(self, mask: str = 'prediction', loss_weight: float = 1.5, pred_reduction: str = 'sum',
                 feat_reduction: str = 'sum') -> None:
        super().__init__()
        if mask not in self.MASKS:
            raise ValueError(f'PFILoss: mask must be one of {self.MASKS}, got {mask!r}.')
        for name, value in (('pred_reduction', pred_reduction), ('feat_reduction', feat_reduction)):
            if value not in REDUCTIONS:
                raise ValueError(f'PFILoss: {name} must be one of {REDUCTIONS}, got {value!r}.')
        self.mask = mask
        self.loss_weight = float(loss_weight)
        self.pred_reduction = pred_reduction
        self.feat_reduction = feat_reduction

    @property
    def step_inputs(self) -> FrozenSet[str]:
        """What :meth:`forward_step` reads (see :data:`mmkd.models.det_adapters.STEP_INPUTS`)."""
        extra = dict(prediction={'head_outs'}, whole=set(), positive={'positives', 'gt'},
                     negative={'positives', 'gt'}, gt_box={'gt'})[self.mask]
        return frozenset({'feats'} | extra)

    @staticmethod
    def _reduce(values: Tensor, reduction: str) -> Tensor:
        return values.sum(dim=1) if reduction == 'sum' else values.mean(dim=1)

    def prediction_difference(self, cls_score_S: Tensor, cls_score_T: Tensor) -> Tensor:
        """ΔP: squared difference of the sigmoid scores summed (or averaged) over all A·C channels, detached.

        Args:
            cls_score_S (Tensor): student logits [N, A*C, H, W].
            cls_score_T (Tensor): teacher logits [N, A*C, H, W].

        Returns:
            Tensor: [N, H, W], without gradient.
        """
        if cls_score_S.shape != cls_score_T.shape:
            raise ValueError(f'PFILoss: student cls scores {tuple(cls_score_S.shape)} and teacher cls scores '
                             f'{tuple(cls_score_T.shape)} differ: teacher and student need the same anchors and '
                             f'classes.')
        with torch.no_grad():
            return self._reduce((cls_score_T.sigmoid() - cls_score_S.sigmoid()).pow(2), self.pred_reduction)

    def forward(self,
                feats_S: Sequence[Tensor],
                feats_T: Sequence[Tensor],
                cls_scores_S: Optional[Sequence[Tensor]] = None,
                cls_scores_T: Optional[Sequence[Tensor]] = None,
                masks: Optional[Sequence[Tensor]] = None) -> Tensor:
        """Compute the loss.

        Args:
            feats_S (Sequence[Tensor]): student FPN features, per level [N, K, H_l, W_l].
            feats_T (Sequence[Tensor]): teacher FPN features, same shapes (detached here).
            cls_scores_S (Sequence[Tensor], optional): student cls logits per level [N, A*C, H_l, W_l]; needed by
                ``mask='prediction'``.
            cls_scores_T (Sequence[Tensor], optional): teacher cls logits, same shapes.
            masks (Sequence[Tensor], optional): 0/1 maps of the positions to imitate, per level [N, H_l, W_l];
                needed by ``positive``, ``negative`` and ``gt_box``
                (:func:`mmkd.models.det_adapters.imitation_masks` builds them).

        Returns:
            Tensor: scalar loss.
        """
        return self.loss_and_stats(feats_S, feats_T, cls_scores_S, cls_scores_T, masks)[0]

    def loss_and_stats(self,
                       feats_S: Sequence[Tensor],
                       feats_T: Sequence[Tensor],
                       cls_scores_S: Optional[Sequence[Tensor]] = None,
                       cls_scores_T: Optional[Sequence[Tensor]] = None,
                       masks: Optional[Sequence[Tensor]] = None) -> Tuple[Tensor, Dict[str, Tensor]]:
        """:meth:`forward`'s loss and the detached statistics ``delta_f`` (and ``delta_p`` for PFI)."""
        if len(feats_S) != len(feats_T) or len(feats_S) == 0:
            raise ValueError(f'PFILoss: got {len(feats_S)} student and {len(feats_T)} teacher FPN levels.')
        if self.mask == 'prediction' and (cls_scores_S is None or cls_scores_T is None
                                          or len(cls_scores_S) != len(feats_S) or len(cls_scores_T) != len(feats_S)):
            raise ValueError('PFILoss(mask=prediction) needs student and teacher cls scores for every FPN level.')
        if self.mask in self.GIVEN_MASKS and (masks is None or len(masks) != len(feats_S)):
            raise ValueError(f'PFILoss(mask={self.mask!r}) needs one [N, H, W] mask per FPN level.')
        level_losses, delta_f, delta_p = [], [], []
        for level, (feat_S, feat_T) in enumerate(zip(feats_S, feats_T)):
            if feat_S.shape != feat_T.shape:
                raise ValueError(f'PFILoss: FPN level {level}: student features {tuple(feat_S.shape)} and teacher '
                                 f'features {tuple(feat_T.shape)} differ (FPN widths must be equal).')
            feat_diff = self._reduce((feat_T.detach() - feat_S).pow(2), self.feat_reduction)  # [N, H, W]
            delta_f.append(feat_diff.detach().mean())
            if self.mask == 'prediction':
                weight = self.prediction_difference(cls_scores_S[level], cls_scores_T[level])
                delta_p.append(weight.mean())
                level_losses.append((weight * feat_diff).mean())
            elif self.mask == 'whole':
                level_losses.append(feat_diff.mean())
            else:
                weight = masks[level].to(feat_diff.dtype)
                if weight.shape != feat_diff.shape:
                    raise ValueError(f'PFILoss: level {level} mask {tuple(weight.shape)} != features '
                                     f'{tuple(feat_diff.shape)} without channels.')
                inside = weight.sum()
                if inside > 0:  # an empty mask on this level: nothing to imitate, left out of the level mean
                    level_losses.append((weight * feat_diff).sum() / inside)
        if level_losses:
            loss = self.loss_weight * torch.stack(level_losses).mean()
        else:  # no position in any level's mask: 0, still connected to the student features (DDP)
            loss = sum(feat.sum() for feat in feats_S) * 0.
        stats = dict(delta_f=torch.stack(delta_f).mean())
        if delta_p:
            stats['delta_p'] = torch.stack(delta_p).mean()
        return loss, stats

    def forward_step(self, inputs: 'DetDistillStepInputs') -> Dict[str, Tensor]:
        """The loss on one distillation step's inputs (``DenseDetectionDistiller``): ``{'loss': ..., 'delta_f':
        ..., 'delta_p': ...}`` (the statistics detached)."""
        cls_S = cls_T = masks = None
        if self.mask == 'prediction':
            cls_S, cls_T = inputs.student_cls_scores, inputs.teacher_cls_scores
        elif self.mask in self.GIVEN_MASKS:
            masks = inputs.position_masks(self.mask)
        loss, stats = self.loss_and_stats(inputs.student_feats, inputs.teacher_feats, cls_S, cls_T, masks)
        return dict(loss=loss, **stats)
