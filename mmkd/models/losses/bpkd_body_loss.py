# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional

import torch.nn as nn
from mmrazor.models.losses import ChannelWiseDivergence
from torch import Tensor

from mmkd.models.utils import band_kernel_passes, bpkd_edge_mask, match_teacher_logits
from mmkd.registry import MODELS


@MODELS.register_module()
class BPKDBodyLoss(nn.Module):
    r"""BPKD body loss: channel-wise distillation on the logits inside object bodies.

    From "BPKD: Boundary Privileged Knowledge Distillation for Semantic Segmentation" (Liu et al., WACV 2024): the
    body term "attends to inner-semantic regions". Reconstructed (no official training code) as in the only public
    re-implementation: CWD (Shu et al., ICCV 2021) on logits masked with the body mask

    .. math::
        M_B = (1 - M_E) \odot V,\qquad L_B = \mathrm{CWD}_\tau(Z^s \odot M_B,\ Z^t \odot M_B)

    where :math:`M_E` is the soft edge mask of :class:`BPKDEdgeLoss` (same parameters) and :math:`V` marks logit
    positions that see at least one non-ignored pixel. CWD is mmrazor's ``ChannelWiseDivergence`` (softmax over
    positions per channel, KL, × τ² / (N·C) × loss_weight).

    Args:
        tau (float): CWD temperature τ. Defaults to 4.0 (reconstructed).
        edge_width (int): odd kernel size of the boundary band. Defaults to 7.
        compute_iters (int, optional): max-pool passes for the band (see :class:`BPKDEdgeLoss`). Defaults to None.
        loss_weight (float): λ_body. Defaults to 20.0 (reconstructed).
        ignore_index (int): label of ignored pixels. Defaults to 255.
    """

    def __init__(self,
                 tau: float = 4.0,
                 edge_width: int = 7,
                 compute_iters: Optional[int] = None,
                 loss_weight: float = 20.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        band_kernel_passes(edge_width, compute_iters)  # validates both now rather than at the first step
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}.')
        self.edge_width = edge_width
        self.compute_iters = compute_iters
        self.ignore_index = ignore_index
        self.cwd = ChannelWiseDivergence(tau=tau, loss_weight=loss_weight)

    def forward(self, preds_S: Tensor, preds_T: Tensor, gt_labels: Tensor) -> Tensor:
        """Compute the body loss.

        Args:
            preds_S (Tensor): student logits [N, C, h, w].
            preds_T (Tensor): teacher logits [N, C, h', w'] (resized to (h, w) if different; no gradient).
            gt_labels (Tensor): labels [N, H, W] (``ignore_index`` = ignore).

        Returns:
            Tensor: scalar loss.
        """
        preds_T = match_teacher_logits(preds_S, preds_T)
        edge_mask, valid = bpkd_edge_mask(gt_labels, preds_S.shape[1], preds_S.shape[2:], self.edge_width,
                                          self.ignore_index, self.compute_iters)
        body_mask = ((1 - edge_mask) * valid).to(preds_S.dtype)
        return self.cwd(preds_S * body_mask, preds_T * body_mask)
