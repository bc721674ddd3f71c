# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmkd.models.utils import band_kernel_passes, bpkd_edge_mask, match_teacher_logits
from mmkd.registry import MODELS
from .utils import temperature_kl


@MODELS.register_module()
class BPKDEdgeLoss(nn.Module):
    r"""BPKD edge loss: KL distillation restricted to the ground-truth boundary band.

    From "BPKD: Boundary Privileged Knowledge Distillation for Semantic Segmentation" (Liu et al., WACV 2024),
    Fig. 3. No training code was published; this follows the paper's pipeline, with the defaults of the only public
    re-implementation (reconstructed, all configurable).

    With the edge mask :math:`M_E` [N, C, h, w] (:func:`mmkd.models.utils.bpkd_edge_mask`, from the labels only):

    .. math::
        z^s = Z^s \odot M_E,\quad z^t = Z^t \odot M_E,\qquad
        \phi_{n,h,w} = \sum_c p^t_{c}\,(\log p^t_{c} - \log p^s_{c}),\ p = \mathrm{softmax}(z / T)

        L_E = \lambda\,T^2\,\frac{1}{N}\sum_n \sum_c \alpha_c
              \frac{\sum_{h,w} \phi_{n,h,w}\,M_{E,n,c,h,w}}{\max(1, |\{M_{E,n,c} > 0\}|)}

    i.e. pre-mask the logits, KL over classes per pixel, post-mask per class, weight classes by α, normalise each class
    by its number of mask pixels, sum over classes and average over the batch.

    Args:
        tau (float): temperature T of the softmax. Defaults to 4.0 (reconstructed).
        edge_width (int): odd kernel size of the boundary band at label resolution. Defaults to 7 (radius 3).
        compute_iters (int, optional): split the band's max pooling into this many passes (same mask, less memory;
            see :func:`mmkd.models.utils.class_boundary_mask`). Defaults to None (one pass).
        class_weights (float | Sequence[float]): α, a scalar or one weight per class. Defaults to 2.0
            (reconstructed).
        loss_weight (float): λ_edge. Defaults to 50.0 (reconstructed).
        ignore_index (int): label of ignored pixels. Defaults to 255.
    """

    def __init__(self,
                 tau: float = 4.0,
                 edge_width: int = 7,
                 compute_iters: Optional[int] = None,
                 class_weights: Union[float, Sequence[float]] = 2.0,
                 loss_weight: float = 50.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}.')
        band_kernel_passes(edge_width, compute_iters)  # validates both now rather than at the first step
        self.tau = tau
        self.edge_width = edge_width
        self.compute_iters = compute_iters
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        weights = torch.as_tensor(class_weights, dtype=torch.float32)
        if weights.dim() > 1 or (weights < 0).any():
            raise ValueError(f'class_weights must be a non-negative scalar or a list, got {class_weights}.')
        self.register_buffer('class_weights', weights.reshape(-1), persistent=False)

    def forward(self, preds_S: Tensor, preds_T: Tensor, gt_labels: Tensor) -> Tensor:
        """Compute the edge loss.

        Args:
            preds_S (Tensor): student logits [N, C, h, w].
            preds_T (Tensor): teacher logits [N, C, h', w'] (resized to (h, w) if different; no gradient).
            gt_labels (Tensor): labels [N, H, W] (``ignore_index`` = ignore), e.g. recorded from the student's
                ``decode_head.loss_decode`` input 1.

        Returns:
            Tensor: scalar loss.
        """
        preds_T = match_teacher_logits(preds_S, preds_T)
        num_classes = preds_S.shape[1]
        if self.class_weights.numel() not in (1, num_classes):
            raise ValueError(f'class_weights has {self.class_weights.numel()} entries but the logits have '
                             f'{num_classes} classes.')
        edge_mask, _ = bpkd_edge_mask(gt_labels, num_classes, preds_S.shape[2:], self.edge_width, self.ignore_index,
                                      self.compute_iters)
        edge_mask = edge_mask.to(preds_S.dtype)
        pixel_kl = temperature_kl(preds_S * edge_mask, preds_T * edge_mask, self.tau).unsqueeze(1)  # phi [N,1,h,w]
        per_class = (pixel_kl * edge_mask).sum(dim=(2, 3))  # [N, C]
        mask_pixels = (edge_mask > 0).sum(dim=(2, 3)).clamp(min=1)
        per_class = per_class * self.class_weights.to(per_class) / mask_pixels
        return self.loss_weight * self.tau**2 * per_class.sum(dim=1).mean()
