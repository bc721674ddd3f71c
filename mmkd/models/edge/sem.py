# Copyright (c) mmkd contributors. All rights reserved.
"""Scale Enhancement Module: parallel dilated depthwise ConvBnReLU branches, summed."""
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class ScaleEnhancementModule(BaseModule):
    """Scale Enhancement Module (SEM) of the seed's students (its Figure 4): BDCN's SEM (He et al., "Bi-Directional
    Cascade Network for Perceptual Edge Detection", CVPR 2019) made depthwise, as in the seed.

    .. math::
        \\mathrm{SEM}(x) = \\sum_{b=1}^{B} \\mathrm{ReLU}(\\mathrm{BN}(\\mathrm{DWConv}_{k_b, d_b}(x)))

    Each branch b is a depthwise ``k_b × k_b`` ConvBnReLU with dilation ``d_b`` and padding ``d_b (k_b - 1) / 2`` (so
    the size is kept); the branch outputs are summed. Input and output are [N, C, H, W].

    Args:
        channels (int): Feature width C (depthwise: groups = C).
        kernel_sizes (Sequence[int]): Odd kernel size per branch. Defaults to (3, 3, 3).
        dilations (Sequence[int]): Dilation per branch (same length). Defaults to (1, 2, 4).
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 kernel_sizes: Sequence[int] = (3, 3, 3),
                 dilations: Sequence[int] = (1, 2, 4),
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f'ScaleEnhancementModule: channels must be a positive int, got {channels!r}')
        if len(kernel_sizes) != len(dilations) or not kernel_sizes:
            raise ValueError(f'ScaleEnhancementModule: kernel_sizes {tuple(kernel_sizes)} and dilations '
                             f'{tuple(dilations)} must be non-empty and of the same length')
        if any(k < 1 or k % 2 == 0 for k in kernel_sizes) or any(d < 1 for d in dilations):
            raise ValueError(f'ScaleEnhancementModule: kernel sizes must be odd and dilations >= 1, got '
                             f'{tuple(kernel_sizes)}, {tuple(dilations)}')
        self.channels = channels
        self.branches = nn.ModuleList(
            ConvModule(channels, channels, k, padding=d * (k - 1) // 2, dilation=d, groups=channels,
                       norm_cfg=norm_cfg, act_cfg=act_cfg) for k, d in zip(kernel_sizes, dilations))

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): [N, C, H, W]. Returns: Tensor: [N, C, H, W], the sum of the branches."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'ScaleEnhancementModule expects [N, {self.channels}, H, W], got {tuple(x.shape)}')
        return sum(branch(x) for branch in self.branches)


__all__ = ['ScaleEnhancementModule']
