# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class SAGANSelfAttention(BaseModule):
    r"""Self-attention over spatial positions with a learned residual gate, as in SAGAN.

    From "Self-Attention Generative Adversarial Networks" (Zhang et al., ICML 2019). For x [N, C, h, w] with M = h·w
    positions, 1×1 convolutions give queries and keys of width C/r and values of width C:

    .. math::
        A = \mathrm{softmax}_j(q_i^\top k_j) \in \mathbb{R}^{M \times M},\qquad
        y_i = \gamma \sum_j A_{ij} v_j + x_i

    γ starts at 0, so the block starts as the identity and the discriminator learns how much non-local evidence to
    use.

    Args:
        in_channels (int): C.
        reduction (int): r, the query/key width divisor. Defaults to 8.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self, in_channels: int, reduction: int = 8, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1:
            raise ValueError(f'in_channels must be positive, got {in_channels}.')
        if reduction < 1 or in_channels % reduction != 0:
            raise ValueError(f'reduction must be a positive divisor of in_channels={in_channels}, got {reduction}.')
        self.in_channels = in_channels
        key_channels = in_channels // reduction
        self.query = nn.Conv2d(in_channels, key_channels, kernel_size=1)
        self.key = nn.Conv2d(in_channels, key_channels, kernel_size=1)
        self.value = nn.Conv2d(in_channels, in_channels, kernel_size=1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        """Attend over positions.

        Args:
            x (Tensor): features [N, C, h, w].

        Returns:
            Tensor: features [N, C, h, w].
        """
        queries = self.query(x).flatten(2)  # [N, C/r, M]
        keys = self.key(x).flatten(2)  # [N, C/r, M]
        values = self.value(x).flatten(2)  # [N, C, M]
        attention = torch.softmax(torch.bmm(queries.transpose(1, 2), keys), dim=-1)  # [N, M(i), M(j)]
        attended = torch.bmm(values, attention.transpose(1, 2))  # [N, C, M(i)]
        return self.gamma * attended.view_as(x) + x
