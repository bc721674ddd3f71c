# Copyright (c) mmkd contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class WeightedEdgeBCELoss(nn.Module):
    r"""Class-balanced binary cross-entropy of HED/RCF, with an ignore band for uncertain labels.

    From "Holistically-Nested Edge Detection" (Xie & Tu, ICCV 2015) with RCF's ignore band and λ ("Richer
    Convolutional Features for Edge Detection", Liu et al., CVPR 2017). Labels :math:`y \in [0, 1]` are the average of
    several annotators. Over the whole batch, pixels with :math:`y = 0` are negatives :math:`Y_-`, pixels with
    :math:`y \ge \eta` positives :math:`Y_+` (target 1), pixels with :math:`0 < y < \eta` and padding
    (:math:`y =` ``ignore_index``) are ignored. For logits :math:`z` ([N, 1, H, W]):

    .. math::
        L = w \Big( -\alpha \sum_{j \in Y_+} \log \sigma(z_j) - \beta \sum_{j \in Y_-} \log (1 - \sigma(z_j)) \Big),
        \quad \alpha = \frac{|Y_-|}{|Y_+| + |Y_-|},\ \beta = \lambda \frac{|Y_+|}{|Y_+| + |Y_-|}

    summed, not averaged, over pixels (``reduction='sum'``, RCF's code; that is why RCF trains with lr 1e-6).
    ``reduction='mean'`` divides by :math:`|Y_+| + |Y_-|` instead. A batch without positive pixels has β = 0 and no
    positive term, so its loss is 0, as in RCF's code.

    Args:
        eta (float): Threshold η in (0, 1]: labels in (0, η) are ignored. Defaults to 0.5 (RCF; PiDiNet uses 0.3).
        neg_weight (float): λ, the extra weight of negatives. Defaults to 1.1.
        loss_weight (float): w. Defaults to 1.0.
        ignore_index (float): Label value of padded pixels (mmseg's ``seg_pad_val``), ignored. Defaults to 255.
        reduction (str): ``'sum'`` or ``'mean'``. Defaults to ``'sum'``.
    """

    REDUCTIONS = ('sum', 'mean')

    def __init__(self,
                 eta: float = 0.5,
                 neg_weight: float = 1.1,
                 loss_weight: float = 1.0,
                 ignore_index: float = 255,
                 reduction: str = 'sum') -> None:
        super().__init__()
        if not 0 < eta <= 1:
            raise ValueError(f'WeightedEdgeBCELoss: eta must be in (0, 1], got {eta!r}')
        if neg_weight < 0:
            raise ValueError(f'WeightedEdgeBCELoss: neg_weight (lambda) must be >= 0, got {neg_weight!r}')
        if reduction not in self.REDUCTIONS:
            raise ValueError(f'WeightedEdgeBCELoss: reduction must be one of {self.REDUCTIONS}, got {reduction!r}')
        if 0 <= ignore_index <= 1:
            raise ValueError(f'WeightedEdgeBCELoss: ignore_index must lie outside the label range [0, 1], got '
                             f'{ignore_index!r}')
        self.eta = float(eta)
        self.neg_weight = float(neg_weight)
        self.loss_weight = float(loss_weight)
        self.ignore_index = float(ignore_index)
        self.reduction = reduction

    def pixel_weights(self, target: Tensor) -> Tensor:
        """Per-pixel weights α (positives), β (negatives), 0 (ignored), same shape as ``target``."""
        valid = target != self.ignore_index
        positive = valid & (target >= self.eta)
        negative = valid & (target == 0)
        num_pos = positive.sum().to(torch.float32)
        num_neg = negative.sum().to(torch.float32)
        total = (num_pos + num_neg).clamp(min=1.0)
        weights = torch.zeros_like(target, dtype=torch.float32)
        weights[positive] = num_neg / total
        weights[negative] = self.neg_weight * num_pos / total
        return weights

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Edge logits [N, 1, H, W].
            target (Tensor): Annotator-average labels [N, 1, H, W] in [0, 1], or ``ignore_index`` (padding).

        Returns:
            Tensor: Scalar loss.
        """
        if pred.shape != target.shape:
            raise ValueError(f'WeightedEdgeBCELoss: pred {tuple(pred.shape)} and target {tuple(target.shape)} must '
                             f'have the same shape [N, 1, H, W]')
        target = target.to(pred.dtype)
        weights = self.pixel_weights(target).to(pred.dtype)
        binary = (target >= self.eta) & (target != self.ignore_index)
        loss = F.binary_cross_entropy_with_logits(pred, binary.to(pred.dtype), weight=weights, reduction='sum')
        if self.reduction == 'mean':
            loss = loss / (weights > 0).sum().clamp(min=1)
        return self.loss_weight * loss
