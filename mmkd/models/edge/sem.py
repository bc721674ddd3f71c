# Copyright (c) mmkd contributors. All rights reserved.
"""Scale Enhancement Module: parallel dilated depthwise ConvBnReLU branches, summed."""
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS


class SEMBranch(nn.Module):
    """One SEM branch: [1×1 ConvBnReLU C → w] → depthwise k×k ConvBnReLU (dilation d) on w → [1×1 ConvBn w → C_out].

    The 1×1 convs exist only where the branch width ``w`` differs from the input width C (reduce) or from the output
    width C_out (expand); with ``w = C = C_out`` the branch is the depthwise ConvBnReLU alone. [N, C, H, W] →
    [N, C_out, H, W].
    """

    def __init__(self, in_channels: int, width: int, out_channels: int, kernel_size: int, dilation: int,
                 norm_cfg: Dict, act_cfg: Dict) -> None:
        super().__init__()
        self.reduce = None if width == in_channels else ConvModule(
            in_channels, width, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv = ConvModule(width, width, kernel_size, padding=dilation * (kernel_size - 1) // 2,
                               dilation=dilation, groups=width, norm_cfg=norm_cfg, act_cfg=act_cfg)
        # Linear projection back (no activation): the branches are summed, as the depthwise branches are.
        self.expand = None if width == out_channels else ConvModule(
            width, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        if self.reduce is not None:
            x = self.reduce(x)
        x = self.conv(x)
        return x if self.expand is None else self.expand(x)


@MODELS.register_module()
class ScaleEnhancementModule(BaseModule):
    """Scale Enhancement Module (SEM) of the edge students of the 2020 article "Accuracy and runtime tradeoff in
    modern edge detection algorithms" (its Figure 4): BDCN's SEM (He et al., "Bi-Directional Cascade Network for
    Perceptual Edge Detection", CVPR 2019) made depthwise, as in the article.

    .. math::
        \\mathrm{SEM}(x) = \\sum_{b=1}^{B} E_b\\big(\\mathrm{ReLU}(\\mathrm{BN}(\\mathrm{DW}_{k_b, d_b}(R_b(x))))\\big)

    Each branch b is a depthwise ``k_b × k_b`` ConvBnReLU with dilation ``d_b`` and padding ``d_b (k_b - 1) / 2`` (the
    size is kept) working at the branch width ``w_b``; :math:`R_b` is a 1×1 ConvBnReLU C → w_b and :math:`E_b` a
    1×1 ConvBn w_b → C_out, both the identity where the widths already match (the default, ``w_b = C = C_out``: pure
    depthwise branches, as the article's figure draws them). The branch outputs are summed.
    Input [N, C, H, W], output [N, C_out, H, W].

    Args:
        channels (int): Input width C.
        kernel_sizes (Sequence[int]): Odd kernel size per branch. Defaults to (3, 3, 3).
        dilations (Sequence[int]): Dilation per branch (same length). Defaults to (1, 2, 4).
        branch_channels (int | Sequence[int], optional): Width w_b of each branch (one int for all). Defaults to
            None: every branch at C.
        out_channels (int, optional): Output width C_out. Defaults to None: C.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 kernel_sizes: Sequence[int] = (3, 3, 3),
                 dilations: Sequence[int] = (1, 2, 4),
                 branch_channels: Optional[Union[int, Sequence[int]]] = None,
                 out_channels: Optional[int] = None,
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
        if branch_channels is None:
            branch_channels = [channels] * len(kernel_sizes)
        elif isinstance(branch_channels, int):
            branch_channels = [branch_channels] * len(kernel_sizes)
        branch_channels = list(branch_channels)
        if len(branch_channels) != len(kernel_sizes) or not all(
                isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in branch_channels):
            raise ValueError(f'ScaleEnhancementModule: branch_channels must be one positive int or one per branch '
                             f'({len(kernel_sizes)}), got {branch_channels!r}')
        out_channels = channels if out_channels is None else out_channels
        if not isinstance(out_channels, int) or out_channels < 1:
            raise ValueError(f'ScaleEnhancementModule: out_channels must be a positive int, got {out_channels!r}')
        self.channels = channels
        self.out_channels = out_channels
        self.branch_channels = branch_channels
        self.branches = nn.ModuleList(
            SEMBranch(channels, w, out_channels, k, d, norm_cfg, act_cfg)
            for w, k, d in zip(branch_channels, kernel_sizes, dilations))

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): [N, C, H, W]. Returns: Tensor: [N, C_out, H, W], the sum of the branches."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'ScaleEnhancementModule expects [N, {self.channels}, H, W], got {tuple(x.shape)}')
        out = self.branches[0](x)
        for branch in self.branches[1:]:
            out = out + branch(x)
        return out


__all__ = ['ScaleEnhancementModule']
