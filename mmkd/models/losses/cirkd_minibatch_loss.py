# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.models.utils import align_teacher_features
from mmkd.registry import MODELS

from .utils import l2_normalize_channels


@MODELS.register_module()
class CIRKDMiniBatchLoss(nn.Module):
    r"""CIRKD mini-batch pixel-to-pixel distillation: cross-image pixel similarity distributions.

    From "Cross-Image Relational Knowledge Distillation for Semantic Segmentation" (Yang et al., CVPR 2022), the
    mini-batch-based pixel-to-pixel term. With :math:`F_i \in \mathbb{R}^{D \times hw}` the channel-L2-normalised
    features of image i, every ordered pair (i, j) of images in the batch (i = j included) gives a pixel similarity
    matrix :math:`S_{ij} = F_i^\top F_j \in \mathbb{R}^{hw \times hw}`; each row is turned into a distribution over the
    pixels of image j and the student's rows are matched to the teacher's:

    .. math::
        L = \frac{\lambda}{B^2} \sum_{i,j} \frac{1}{hw} \sum_{a=1}^{hw}
            \mathrm{KL}\big(\sigma(S^t_{ij}[a,:] / \tau)\ \|\ \sigma(S^s_{ij}[a,:] / \tau)\big)

    (KL with ``batchmean`` over the hw rows of a pair, averaged over the B² pairs; no τ² factor, as in the official
    code, winycg/CIRKD ``losses/cirkd_mini_batch.py``).

    Memory grows as B²·(hw)² (the pairs' log-probabilities are kept for backward). ``pool_size`` pools both feature
    maps first (kernel = stride = ``pool_size``, ``ceil_mode=True``); the official code offers a fixed 2×2 average
    pooling, off by default. Student and teacher must have the same width: the student is projected to the teacher
    width by a connector (e.g. ``mmkd.ProjectionHeadConnector``) before this loss, so that the mini-batch and memory
    losses see the same embedding (the official ``train_cirkd.py`` feeds this term the unprojected student
    features, which the formula allows since each network is only compared with itself). Teacher features of
    another spatial size are resized (bilinear) to the student's.

    Args:
        tau (float): temperature τ of the similarity distributions. Defaults to 0.1.
        loss_weight (float): λ_mini-batch-pixel. Defaults to 1.0.
        pool_size (int, optional): pooling kernel and stride applied before the similarities, e.g. 2 or 4 for large
            feature maps. Defaults to None (no pooling).
        pool_type (str): ``'avg'`` or ``'max'`` pooling when ``pool_size`` is set. Defaults to ``'avg'``.
    """

    def __init__(self,
                 tau: float = 0.1,
                 loss_weight: float = 1.0,
                 pool_size: Optional[int] = None,
                 pool_type: str = 'avg') -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}.')
        if loss_weight < 0:
            raise ValueError(f'loss_weight must be non-negative, got {loss_weight}.')
        if pool_size is not None and (not isinstance(pool_size, int) or pool_size < 1):
            raise ValueError(f'pool_size must be None or a positive int, got {pool_size!r}.')
        if pool_type not in ('avg', 'max'):
            raise ValueError(f"pool_type must be 'avg' or 'max', got {pool_type!r}.")
        self.tau = tau
        self.loss_weight = loss_weight
        self.pool_size = pool_size
        self.pool_type = pool_type

    def _pool(self, feats: Tensor) -> Tensor:
        if self.pool_size is None or self.pool_size == 1:
            return feats
        pool = F.avg_pool2d if self.pool_type == 'avg' else F.max_pool2d
        return pool(feats, kernel_size=self.pool_size, stride=self.pool_size, ceil_mode=True)

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Compute the mini-batch pixel-to-pixel loss.

        Args:
            feats_S (Tensor): student features [B, D, h, w], already projected to the teacher width.
            feats_T (Tensor): teacher features [B, D, h', w'] (no gradient; resized to (h, w) if needed).

        Returns:
            Tensor: scalar loss.
        """
        feats_T = align_teacher_features(feats_S, feats_T, same_width=True)
        student_pixels = l2_normalize_channels(self._pool(feats_S)).flatten(2)  # [B, D, P]
        teacher_pixels = l2_normalize_channels(self._pool(feats_T)).flatten(2)
        batch_size, num_pixels = student_pixels.shape[0], student_pixels.shape[2]

        total = feats_S.new_zeros(())
        # One anchor image at a time: its B similarity matrices [B, P, P] instead of all B² at once.
        for anchor in range(batch_size):
            student_sim = torch.einsum('dp,bdq->bpq', student_pixels[anchor], student_pixels)
            teacher_sim = torch.einsum('dp,bdq->bpq', teacher_pixels[anchor], teacher_pixels)
            student_log_prob = F.log_softmax(student_sim / self.tau, dim=-1)
            teacher_prob = F.softmax(teacher_sim / self.tau, dim=-1)
            # KL summed over all rows of the B pairs, then divided by the rows per pair (batchmean) below
            total = total + F.kl_div(student_log_prob, teacher_prob, reduction='sum')
        return self.loss_weight * total / (num_pixels * batch_size * batch_size)
