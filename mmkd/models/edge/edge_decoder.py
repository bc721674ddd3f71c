# Copyright (c) mmkd contributors. All rights reserved.
"""The edge students' decoder: depthwise + pointwise ConvBnReLU blocks with bilinear upsampling and encoder skips."""
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS


class EdgeDecoderBlock(BaseModule):
    """One decoder block: depthwise 3×3 ConvBnReLU → pointwise 1×1 ConvBnReLU → bilinear upsampling.

    [N, C_in, h, w] → [N, C_out, H', W'] where (H', W') is the requested size (2× in the decoder).

    Args:
        in_channels (int): Input width C_in (the depthwise conv keeps it).
        out_channels (int): Output width C_out.
        norm_cfg (dict): Norm config.
        act_cfg (dict): Activation config.
        align_corners (bool): Bilinear ``align_corners``.
    """

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: Dict, act_cfg: Dict,
                 align_corners: bool = False) -> None:
        super().__init__()
        self.depthwise = ConvModule(in_channels, in_channels, 3, padding=1, groups=in_channels, norm_cfg=norm_cfg,
                                    act_cfg=act_cfg)
        self.pointwise = ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.align_corners = align_corners

    def forward(self, x: Tensor, size: Optional[Sequence[int]]) -> Tensor:
        """Args: x (Tensor): [N, C_in, h, w]; size: output (H', W'), or None to skip the upsampling (deploy mode
        re-orders a following per-pixel linear map before it). Returns: Tensor: [N, C_out, H', W'] ([N, C_out, h, w]
        when ``size`` is None)."""
        x = self.pointwise(self.depthwise(x))
        if size is None:
            return x
        return F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=self.align_corners)


@MODELS.register_module()
class EdgeSkipDecoder(BaseModule):
    """Decoder of the MobileNetV2 edge students of the 2020 article "Accuracy and runtime tradeoff in modern edge
    detection algorithms" (its Figures 5–6): ``len(channels)`` blocks, each ×2.

    With encoder features :math:`e_0 … e_{L}` (shallow first, :math:`e_L` the deepest) and
    ``skip_indices`` :math:`s_1 … s_B`:

    .. math::
        x_1 = e_L + A_1(e_{s_1}),\\qquad y_b = \\mathrm{Block}_b(x_b),\\qquad x_{b+1} = y_b + A_{b+1}(e_{s_{b+1}})

    where :math:`A_b` is a 1×1 ConvBn aligning the skip's width to the block input's (identity when they match; a
    skip index ``None`` adds nothing). Block b upsamples to the size of the next skip (nominally 2×, exact also at odd
    input sizes) and the last block to ``out_size``. Returns the B block outputs [N, channels[b], ·, ·].

    Args:
        in_channels (Sequence[int]): Widths of the encoder features, shallow first, the deepest (decoder input) last.
        channels (Sequence[int]): Output width of each block. Defaults to (256, 128, 64, 32, 16).
        skip_indices (Sequence[int | None]): Per block, the encoder feature summed with the block's input
            (None: nothing). Defaults to (None, 3, 2, 1, 0): with :class:`MobileNetV2EdgeEncoder`'s default outputs
            (widths 16, 24, 32, 96, 320, 1280 at 1/2, 1/4, 1/8, 1/16, 1/32, 1/32) blocks 2–5 sum with the stage of
            their input's size (96@1/16, 32@1/8, 24@1/4, 16@1/2). Block 1 reads the encoder output (the 1280-channel
            final 1×1 conv) alone: the only other 1/32 feature is the 320-channel stage that final conv already
            reads, and a 1×1 ConvBn 320 → 1280 aligning it would be a second projection of the same tensor (0.41 M
            parameters, 13 % of the Model). ``(4, 3, 2, 1, 0)`` restores it.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        align_corners (bool): Bilinear ``align_corners``. Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: Sequence[int] = (256, 128, 64, 32, 16),
                 skip_indices: Sequence[Optional[int]] = (None, 3, 2, 1, 0),
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 align_corners: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels, channels, skip_indices = list(in_channels), list(channels), list(skip_indices)
        if len(skip_indices) != len(channels) or not channels:
            raise ValueError(f'EdgeSkipDecoder: skip_indices {skip_indices} needs one entry per block of channels '
                             f'{channels}')
        for index in skip_indices:
            if index is not None and not 0 <= index < len(in_channels):
                raise ValueError(f'EdgeSkipDecoder: skip index {index} is out of range for {len(in_channels)} '
                                 f'encoder features {in_channels}')
        self.in_channels = in_channels
        self.channels = channels
        self.skip_indices = skip_indices
        block_inputs = [in_channels[-1]] + channels[:-1]
        self.blocks = nn.ModuleList(
            EdgeDecoderBlock(c_in, c_out, norm_cfg, act_cfg, align_corners)
            for c_in, c_out in zip(block_inputs, channels))
        self.align = nn.ModuleList()
        for width, index in zip(block_inputs, skip_indices):
            if index is None or in_channels[index] == width:
                self.align.append(nn.Identity())
            else:
                self.align.append(ConvModule(in_channels[index], width, 1, norm_cfg=norm_cfg, act_cfg=None))

    def forward(self, feats: Sequence[Tensor], out_size: Sequence[int], upsample_last: bool = True) -> List[Tensor]:
        """Decode.

        Args:
            feats (Sequence[Tensor]): Encoder features [N, in_channels[i], H_i, W_i], shallow first.
            out_size (Sequence[int]): (H, W) of the last block's output (the input image size).
            upsample_last (bool): False returns the last block's output before its upsampling (at about half of
                ``out_size``), for a caller that applies a per-pixel linear map first. Defaults to True.

        Returns:
            list[Tensor]: Block outputs [N, channels[b], H_b, W_b]; the last is at ``out_size``.
        """
        if len(feats) != len(self.in_channels):
            raise ValueError(f'EdgeSkipDecoder expects {len(self.in_channels)} encoder features, got {len(feats)}')
        x = feats[-1]
        outputs = []
        for b, (block, align, index) in enumerate(zip(self.blocks, self.align, self.skip_indices)):
            if index is not None:
                x = x + align(feats[index])
            next_index = self.skip_indices[b + 1] if b + 1 < len(self.blocks) else None
            if b + 1 == len(self.blocks):
                size = out_size if upsample_last else None
            elif next_index is not None:
                size = feats[next_index].shape[-2:]
            else:
                size = (x.shape[-2] * 2, x.shape[-1] * 2)
            x = block(x, size)
            outputs.append(x)
        return outputs


__all__ = ['EdgeDecoderBlock', 'EdgeSkipDecoder']
