# Copyright (c) mmkd contributors. All rights reserved.
import math
from typing import Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.models.losses.utils import l2_normalize_channels
from mmkd.models.utils import align_teacher_features
from mmkd.registry import MODELS


@MODELS.register_module()
class PairWiseKDLoss(nn.Module):
    r"""Pair-wise distillation: match the cosine-similarity graph between coarse feature nodes.

    The pair-wise term of "Structured Knowledge Distillation for Semantic Segmentation" (Liu et al., CVPR 2019). The
    penultimate feature map [N, D, h, w] (the input of the classifier) is max-pooled to a coarse grid of
    :math:`M = h' w'` nodes, every node vector is L2-normalised over channels (:math:`\hat f`), and the per-image
    similarity matrices :math:`S = \hat F^\top \hat F \in \mathbb{R}^{M \times M}` of teacher and student are compared:

    .. math::
        L_{pa} = \lambda\,\frac{1}{N}\sum_{n=1}^{N}\frac{1}{M^2}\sum_{i,j}\big(S^t_{n,ij} - S^s_{n,ij}\big)^2,
        \qquad S_{n,ij} = \hat f_{n,i}^\top \hat f_{n,j}

    The similarity matrices do not depend on the feature width, so teacher and student widths may differ. Teacher
    features are detached and, if their spatial size differs, resized (bilinear, ``align_corners=False``) to the
    student's before pooling.

    Pooling (``pool_mode``), always stride = kernel with ``ceil_mode=True``:

    - ``'half'``: kernel = ⌈h/2⌉ × ⌈w/2⌉, i.e. 2×2 nodes for any map of at least 2×2 (the official setting, scale 0.5);
    - ``'2x2'``: kernel 2 × 2 (CIRKD's re-implementation: ⌈h/2⌉·⌈w/2⌉ nodes);
    - an int ``k``: kernel k × k (⌈h/k⌉·⌈w/k⌉ nodes; ``1`` keeps every pixel as a node).

    Two details differ from the released SKDS code: its kernel is ⌊0.5·size⌋ (odd sizes give 3 nodes per side, e.g.
    65 → 3; here always 2), and it detaches the channel norm before dividing (here the gradient goes through the
    normalisation, the exact gradient of the loss above).

    Args:
        pool_mode (str | int): ``'half'``, ``'2x2'`` or a positive int kernel size. Defaults to ``'half'``.
        loss_weight (float): λ_pa. Defaults to 1.0 (the paper; the official run script uses 0.5).
    """

    POOL_MODES = ('half', '2x2')

    def __init__(self, pool_mode: Union[str, int] = 'half', loss_weight: float = 1.0) -> None:
        super().__init__()
        is_int = isinstance(pool_mode, int) and not isinstance(pool_mode, bool)
        if not (pool_mode in self.POOL_MODES or (is_int and pool_mode > 0)):
            raise ValueError(f'pool_mode must be one of {self.POOL_MODES} or a positive int kernel size, got '
                             f'{pool_mode!r}.')
        self.pool_mode = pool_mode
        self.loss_weight = float(loss_weight)

    def pool_kernel(self, size: Tuple[int, int]) -> Tuple[int, int]:
        """The max-pool kernel (= stride) for a feature map of spatial ``size`` (h, w)."""
        if self.pool_mode == 'half':
            return math.ceil(size[0] / 2), math.ceil(size[1] / 2)
        if self.pool_mode == '2x2':
            return 2, 2
        return self.pool_mode, self.pool_mode

    def pool(self, feats: Tensor) -> Tensor:
        """Max-pool features [N, D, h, w] to the node grid [N, D, h', w']."""
        kernel = self.pool_kernel(tuple(feats.shape[2:]))
        if kernel == (1, 1):
            return feats
        return F.max_pool2d(feats, kernel_size=kernel, stride=kernel, ceil_mode=True)

    def similarity(self, feats: Tensor) -> Tensor:
        """Cosine-similarity matrices [N, M, M] of pooled node features [N, D, h', w'] (M = h'·w')."""
        nodes = l2_normalize_channels(feats).flatten(2)  # [N, D, M]
        return torch.bmm(nodes.transpose(1, 2), nodes)

    def forward(self, feats_S: Tensor, feats_T: Tensor) -> Tensor:
        """Compute the pair-wise loss.

        Args:
            feats_S (Tensor): student features [N, D_s, h, w].
            feats_T (Tensor): teacher features [N, D_t, h', w'] (resized to (h, w) if different; no gradient).

        Returns:
            Tensor: scalar loss.
        """
        feats_T = align_teacher_features(feats_S, feats_T)
        sim_S = self.similarity(self.pool(feats_S))
        sim_T = self.similarity(self.pool(feats_T))
        num_nodes = sim_S.shape[-1]
        per_image = (sim_T - sim_S).pow(2).sum(dim=(1, 2)) / num_nodes**2
        return self.loss_weight * per_image.mean()
