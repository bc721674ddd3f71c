# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.registry import MODELS


def _final_output(preds: Union[Tensor, Sequence[Tensor]], name: str) -> Tensor:
    """An edge network's final output: the tensor itself, or the last of its list of outputs (side outputs first)."""
    if isinstance(preds, Tensor):
        return preds
    if isinstance(preds, (list, tuple)) and preds and isinstance(preds[-1], Tensor):
        return preds[-1]
    raise TypeError(f'EdgeKDLoss: {name} must be a Tensor or a non-empty list of Tensors, got {type(preds).__name__}')


@MODELS.register_module()
class EdgeKDLoss(nn.Module):
    r"""Hinton-style distillation of edge maps: MSE between the student's and the teacher's final outputs.

    Exp. 2 of the 2020 article "Accuracy and runtime tradeoff in modern edge detection algorithms" (after Hinton et
    al., "Distilling the Knowledge in a Neural Network", 2015): the teacher's soft edge map is a target for the
    student beside the ground truth. For final logits :math:`z^s, z^t` ([N, 1, H, W]) and the image's pixels
    :math:`V` (``valid_mask``; all pixels when it is not given)

    .. math::
        L = w \sum_{(n,i,j) \in V} \big(g(z^s_{nij}) - g(z^t_{nij})\big)^2

    with :math:`g = \sigma` (``target='probability'``, default: edge maps are probabilities) or :math:`g = \mathrm{id}`
    (``target='logits'``). ``reduction='sum'`` (default) sums over pixels like :class:`WeightedEdgeBCELoss`, so
    both terms have the same scale under RCF's recipe; ``'mean'`` divides by :math:`|V|`.

    Padding: a batch is padded to a multiple of 32 (14 % of the 512×352 canvas of a 481×321 BSDS image); the BCE
    ignores those pixels (label 255) and so does this loss when it gets ``valid_mask`` — the edge KD configs record
    it from the student's loss with mmrazor's ``MethodOutputs`` on
    ``mmkd.models.edge.edge_detector.EdgeDetector.valid_pixel_mask``.

    Inputs may be tensors or an edge network's list of outputs (then the last, the fused/final map, is used), so an
    mmrazor ``ModuleOutputs`` recorder on the whole network works. The teacher output is detached.

    Args:
        target (str): ``'probability'`` or ``'logits'``. Defaults to ``'probability'``.
        reduction (str): ``'sum'`` or ``'mean'``. Defaults to ``'sum'``.
        loss_weight (float): w. Defaults to 1.0.
    """

    TARGETS = ('probability', 'logits')
    REDUCTIONS = ('sum', 'mean')

    def __init__(self, target: str = 'probability', reduction: str = 'sum', loss_weight: float = 1.0) -> None:
        super().__init__()
        if target not in self.TARGETS:
            raise ValueError(f'EdgeKDLoss: target must be one of {self.TARGETS}, got {target!r}')
        if reduction not in self.REDUCTIONS:
            raise ValueError(f'EdgeKDLoss: reduction must be one of {self.REDUCTIONS}, got {reduction!r}')
        self.target = target
        self.reduction = reduction
        self.loss_weight = float(loss_weight)

    def forward(self,
                preds_S: Union[Tensor, Sequence[Tensor]],
                preds_T: Union[Tensor, Sequence[Tensor]],
                valid_mask: Optional[Union[Tensor, Sequence[Tensor]]] = None) -> Tensor:
        """Compute the loss.

        Args:
            preds_S: Student final logits [N, 1, H, W] (or its list of outputs, final last).
            preds_T: Teacher final logits [N, 1, H, W] (or its list of outputs); no gradient.
            valid_mask (Tensor, optional): [N, 1, H, W] (or [N, H, W]) bool/0-1 mask of the pixels that count (not
                padding). A one-element list (what an mmrazor recorder hands over) is unpacked. Defaults to None:
                every pixel counts.

        Returns:
            Tensor: Scalar loss.
        """
        student = _final_output(preds_S, 'preds_S')
        teacher = _final_output(preds_T, 'preds_T').detach()
        if student.shape != teacher.shape:
            raise ValueError(f'EdgeKDLoss: student output {tuple(student.shape)} and teacher output '
                             f'{tuple(teacher.shape)} differ; both must be [N, 1, H, W] at the input size')
        if self.target == 'probability':
            student, teacher = torch.sigmoid(student), torch.sigmoid(teacher)
        if valid_mask is None:
            return self.loss_weight * F.mse_loss(student, teacher, reduction=self.reduction)
        mask = _final_output(valid_mask, 'valid_mask')
        if mask.dim() == student.dim() - 1:
            mask = mask.unsqueeze(1)
        if mask.shape != student.shape:
            raise ValueError(f'EdgeKDLoss: valid_mask {tuple(mask.shape)} must match the outputs '
                             f'{tuple(student.shape)}')
        mask = mask.to(student.dtype)
        squared = (student - teacher).pow(2) * mask
        if self.reduction == 'sum':
            return self.loss_weight * squared.sum()
        return self.loss_weight * squared.sum() / mask.sum().clamp(min=1.0)
