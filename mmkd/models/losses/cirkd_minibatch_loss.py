# Copyright (c) mmkd contributors. All rights reserved.
import math
from typing import Optional, Tuple

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

    The similarity matrices are [hw × hw] whatever the feature width, so each network is only compared with itself:
    the loss takes the student's **raw** features (the official ``train_cirkd.py`` feeds it ``s_outputs[-1]``, the
    unprojected decode features; CIRKD's projection head belongs to the memory loss only) and student and teacher
    widths may differ. Teacher features of another spatial size are resized (bilinear) to the student's.

    Memory grows as B²·(hw)² (the pairs' probabilities are kept for backward): at 1/4 resolution of a 512×1024 crop
    (HRNet, DeepLabV3+: 128×256) one [hw × hw] matrix alone is 4 GiB in fp32, 16× the 1/8 grid's. Two pooling
    options (kernel = stride, ``ceil_mode=True``, applied to both maps first):

    - ``max_pixels``: pool by the smallest integer factor k for which ⌈h/k⌉·⌈w/k⌉ ≤ ``max_pixels``, computed from
      each feature map, so one config serves 1/8- and 1/4-resolution students. 8192 (= 64×128, the 1/8 grid of the
      512×1024 crops the official code ran) leaves 1/8 maps of 512×1024, 512×512 and 480×480 crops (64×128, 64×64,
      60×60) alone and brings their 1/4 maps (128×256, 128×128, 120×120) to exactly the 1/8 grid (k = 2);
    - ``pool_size``: a fixed kernel k (the official ``CriterionMiniBatchCrossImagePair`` offers a 2×2 average
      pooling, off by default; the repository's later version pools 4×4 when both sides are ≥ 256).

    Args:
        tau (float): temperature τ of the similarity distributions. Defaults to 0.1.
        loss_weight (float): λ_mini-batch-pixel. Defaults to 1.0.
        pool_size (int, optional): fixed pooling kernel and stride. Defaults to None (no fixed pooling).
        max_pixels (int, optional): pool each map to at most this many pixels (see above); exclusive with
            ``pool_size``. Defaults to None (no pooling).
        pool_type (str): ``'avg'`` (the official code's) or ``'max'`` pooling. Defaults to ``'avg'``.
    """

    def __init__(self,
                 tau: float = 0.1,
                 loss_weight: float = 1.0,
                 pool_size: Optional[int] = None,
                 pool_type: str = 'avg',
                 max_pixels: Optional[int] = None) -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}.')
        if loss_weight < 0:
            raise ValueError(f'loss_weight must be non-negative, got {loss_weight}.')
        for name, value in (('pool_size', pool_size), ('max_pixels', max_pixels)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise ValueError(f'{name} must be None or a positive int, got {value!r}.')
        if pool_size is not None and max_pixels is not None:
            raise ValueError(f'set pool_size ({pool_size}) or max_pixels ({max_pixels}), not both.')
        if pool_type not in ('avg', 'max'):
            raise ValueError(f"pool_type must be 'avg' or 'max', got {pool_type!r}.")
        self.tau = tau
        self.loss_weight = loss_weight
        self.pool_size = pool_size
        self.max_pixels = max_pixels
        self.pool_type = pool_type

    def pool_factor(self, size: Tuple[int, int]) -> int:
        """Pooling kernel (= stride) for a feature map of spatial ``size`` (h, w); 1 means no pooling."""
        if self.pool_size is not None:
            return self.pool_size
        if self.max_pixels is None:
            return 1
        height, width = size
        factor = 1
        while math.ceil(height / factor) * math.ceil(width / factor) > self.max_pixels:
            factor += 1
        return factor

    def _pool(self, feats: Tensor) -> Tensor:
        factor = self.pool_factor(tuple(feats.shape[2:]))
        if factor == 1:
            return feats
        pool = F.avg_pool2d if self.pool_type == 'avg' else F.max_pool2d
        return pool(feats, kernel_size=factor, stride=factor, ceil_mode=True)

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Compute the mini-batch pixel-to-pixel loss.

        Args:
            feats_S (Tensor): raw student features [B, D_s, h, w].
            feats_T (Tensor): teacher features [B, D_t, h', w'] (no gradient; resized to (h, w) if needed).

        Returns:
            Tensor: scalar loss.
        """
        feats_T = align_teacher_features(feats_S, feats_T)
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
