# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class PFILoss(nn.Module):
    r"""Prediction-guided Feature Imitation (PFI) and its hand-made-mask baselines, one loss per FPN level averaged.

    From "Knowledge Distillation for Object Detection via Rank Mimicking and Prediction-guided Feature Imitation"
    (Li et al., AAAI 2022). On FPN level :math:`l` with student / teacher features :math:`f^s, f^t \in
    \mathbb{R}^{N \times K \times H \times W}` and classification logits :math:`s, t \in \mathbb{R}^{N \times AC
    \times H \times W}` (A anchors per position, C classes):

    .. math::
        \Delta P_{n,i,j} = \frac{1}{AC} \sum_{c=1}^{AC} \big(\sigma(t_{n,c,i,j}) - \sigma(s_{n,c,i,j})\big)^2,
        \qquad
        \Delta F_{n,i,j} = \frac{1}{K} \sum_{k=1}^{K} \big(f^t_{n,k,i,j} - f^s_{n,k,i,j}\big)^2

    .. math::
        L_l = \frac{1}{NHW} \sum_{n,i,j} W_{n,i,j}\, \Delta F_{n,i,j}, \qquad
        L_{PFI} = \beta \, \frac{1}{L} \sum_l L_l

    The weight map :math:`W` depends on ``mask``: ``'prediction'`` (PFI, the default) uses :math:`W = \Delta P`,
    **detached**: it says where the student's predictions are wrong but is not itself trained, so no gradient
    reaches the classification branch through it. The baselines of seed 004 Table 5 use a 0/1 map given by the caller
    (``masks``): ``'whole'`` (every position: plain FPN MSE imitation), ``'positive'`` (positions with at least one
    positive anchor), ``'negative'`` (the others), ``'gt_box'`` (positions whose centre lies inside a GT box). Every
    mode is normalised by all :math:`NHW` positions, as PFI, so the modes differ only in which positions count.
    Teacher features are detached: gradients reach only the student features.

    Args:
        mask (str): ``'prediction'``, ``'whole'``, ``'positive'``, ``'negative'`` or ``'gt_box'``.
            Defaults to ``'prediction'``.
        loss_weight (float): β. Defaults to 1.5 (the paper).
    """

    MASKS = ('prediction', 'whole', 'positive', 'negative', 'gt_box')
    #: modes whose 0/1 map the caller computes from the assignment or the GT boxes
    GIVEN_MASKS = ('positive', 'negative', 'gt_box')

    def __init__(self, mask: str = 'prediction', loss_weight: float = 1.5) -> None:
        super().__init__()
        if mask not in self.MASKS:
            raise ValueError(f'PFILoss: mask must be one of {self.MASKS}, got {mask!r}.')
        self.mask = mask
        self.loss_weight = float(loss_weight)

    @staticmethod
    def prediction_difference(cls_score_S: Tensor, cls_score_T: Tensor) -> Tensor:
        """ΔP: mean squared difference of the sigmoid scores over all A·C channels, detached.

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
            return (cls_score_T.sigmoid() - cls_score_S.sigmoid()).pow(2).mean(dim=1)

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
        if len(feats_S) != len(feats_T) or len(feats_S) == 0:
            raise ValueError(f'PFILoss: got {len(feats_S)} student and {len(feats_T)} teacher FPN levels.')
        if self.mask == 'prediction' and (cls_scores_S is None or cls_scores_T is None
                                          or len(cls_scores_S) != len(feats_S) or len(cls_scores_T) != len(feats_S)):
            raise ValueError('PFILoss(mask=prediction) needs student and teacher cls scores for every FPN level.')
        if self.mask in self.GIVEN_MASKS and (masks is None or len(masks) != len(feats_S)):
            raise ValueError(f'PFILoss(mask={self.mask!r}) needs one [N, H, W] mask per FPN level.')
        level_losses = []
        for level, (feat_S, feat_T) in enumerate(zip(feats_S, feats_T)):
            if feat_S.shape != feat_T.shape:
                raise ValueError(f'PFILoss: FPN level {level}: student features {tuple(feat_S.shape)} and teacher '
                                 f'features {tuple(feat_T.shape)} differ (FPN widths must be equal).')
            feat_diff = (feat_T.detach() - feat_S).pow(2).mean(dim=1)  # [N, H, W]
            if self.mask == 'prediction':
                weight = self.prediction_difference(cls_scores_S[level], cls_scores_T[level])
            elif self.mask == 'whole':
                weight = None
            else:
                weight = masks[level].to(feat_diff.dtype)
                if weight.shape != feat_diff.shape:
                    raise ValueError(f'PFILoss: level {level} mask {tuple(weight.shape)} != features '
                                     f'{tuple(feat_diff.shape)} without channels.')
            level_losses.append(feat_diff.mean() if weight is None else (weight * feat_diff).mean())
        return self.loss_weight * torch.stack(level_losses).mean()
