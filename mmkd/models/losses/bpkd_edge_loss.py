# Copyright (c) mmkd contributors. All rights reserved.
from typing import Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from .utils import temperature_kl

EDGE_REDUCTIONS = ('mean', 'class_sum')


class BPKDEdgeLoss(nn.Module):
    r"""BPKD's edge term: KL distillation restricted to the ground-truth boundary band, given the band.

    From "BPKD: Boundary Privileged Knowledge Distillation for Semantic Segmentation" (Liu et al., WACV 2024),
    Fig. 3 and its supplementary material. No training code was published; this follows the paper's pipeline with
    the defaults of the only public re-implementation (reconstructed, all configurable). A term of
    :class:`mmkd.BPKDLoss`, which builds the edge mask once per step from the labels and passes it here (this class
    is not registered: it has no mask parameters of its own, so it cannot disagree with the body term's mask).

    With the soft edge mask :math:`M_E` [N, C, h, w] (:func:`mmkd.models.utils.bpkd_edge_mask`):

    .. math::
        z^s = Z^s \odot M_E,\quad z^t = Z^t \odot M_E,\qquad
        \phi_{n,h,w} = \sum_c p^t_{c}\,(\log p^t_{c} - \log p^s_{c}),\ p = \mathrm{softmax}(z / T),\qquad
        E_{n,c,h,w} = \alpha_c\,\phi_{n,h,w}\,M_{E,n,c,h,w}

    i.e. pre-mask the logits, KL over classes per pixel, post-mask per class and weight classes by α. Reduction:

    - ``'mean'`` (default): :math:`L_E = \lambda T^2 \frac{1}{NChw}\sum_{n,c,h,w} E_{n,c,h,w}`, the supplementary's
      own words: the edge terms are "finalized by overall weights adaption and average reduction";
    - ``'class_sum'``: :math:`L_E = \lambda T^2 \frac{1}{N}\sum_n\sum_c
      \frac{\sum_{h,w} E_{n,c,h,w}}{\max(1, |\{M_{E,n,c} > 0\}|)}`, each class normalised by its number of mask
      cells and summed over classes: what a third-party re-implementation does (and this project's first version).
      On the CPU demo's training batches it is 154x (student at initialisation) and 169x (trained student) the
      ``'mean'`` value (``benchmarks/seg_kd.py``), and it grows with the number of classes present, which is why
      it overwhelms cross-entropy at λ = 50.

    Args:
        tau (float): temperature T of the softmax. Defaults to 4.0 (reconstructed).
        class_weights (float | Sequence[float]): α, a scalar or one weight per class. Defaults to 2.0
            (reconstructed).
        loss_weight (float): λ_edge. Defaults to 50.0 (reconstructed).
        reduction (str): ``'mean'`` or ``'class_sum'`` (see above). Defaults to ``'mean'``.
    """

    def __init__(self,
                 tau: float = 4.0,
                 class_weights: Union[float, Sequence[float]] = 2.0,
                 loss_weight: float = 50.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'BPKD edge term: tau must be positive, got {tau}.')
        if reduction not in EDGE_REDUCTIONS:
            raise ValueError(f'BPKD edge term: edge_reduction must be one of {EDGE_REDUCTIONS}, got {reduction!r}.')
        weights = torch.as_tensor(class_weights, dtype=torch.float32)
        if weights.dim() > 1 or (weights < 0).any():
            raise ValueError(f'BPKD edge term: class_weights must be a non-negative scalar or a list, got '
                             f'{class_weights}.')
        self.tau = tau
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.register_buffer('class_weights', weights.reshape(-1), persistent=False)

    def forward(self, preds_S: Tensor, preds_T: Tensor, edge_mask: Tensor) -> Tensor:
        """Compute the edge term.

        Args:
            preds_S (Tensor): student logits [N, C, h, w].
            preds_T (Tensor): teacher logits [N, C, h, w], already resized and detached.
            edge_mask (Tensor): M_E [N, C, h, w] in [0, 1], no gradient.

        Returns:
            Tensor: scalar loss.
        """
        num_classes = preds_S.shape[1]
        if self.class_weights.numel() not in (1, num_classes):
            raise ValueError(f'class_weights has {self.class_weights.numel()} entries but the logits have '
                             f'{num_classes} classes.')
        edge_mask = edge_mask.to(preds_S.dtype)
        pixel_kl = temperature_kl(preds_S * edge_mask, preds_T * edge_mask, self.tau).unsqueeze(1)  # phi [N,1,h,w]
        alpha = self.class_weights.to(preds_S).view(1, -1, 1, 1)
        weighted = pixel_kl * edge_mask * alpha  # E [N, C, h, w]
        if self.reduction == 'mean':
            reduced = weighted.mean()
        else:
            mask_cells = (edge_mask > 0).sum(dim=(2, 3)).clamp(min=1)  # [N, C]
            reduced = (weighted.sum(dim=(2, 3)) / mask_cells).sum(dim=1).mean()
        return self.loss_weight * self.tau**2 * reduced
