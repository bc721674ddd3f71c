# Copyright (c) mmkd contributors. All rights reserved.
from typing import Optional, Sequence

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor
from torch.nn.utils.parametrizations import spectral_norm

from mmkd.registry import MODELS
from .self_attention import SAGANSelfAttention


@MODELS.register_module()
class SKDSDiscriminator(BaseModule):
    """The holistic-distillation discriminator of SKDS: a SAGAN-style fully convolutional critic on score maps.

    From "Structured Knowledge Distillation for Semantic Segmentation" (Liu et al., CVPR 2019), Sec. 3.1: a fully
    convolutional embedding network with spectral normalisation (Miyato et al., ICLR 2018) and two self-attention
    blocks (Zhang et al., ICML 2019), mapping a segmentation score map to a map of realness scores.

    Layers, in order:

    1. input ``BatchNorm2d(in_channels)`` (``input_norm``; the released code's default pre-processing, which puts the
       unbounded logits of teacher and student on one scale);
    2. four spectral-normalised 4×4 stride-2 convolutions (padding 1) with ``base_channels`` × 1, 2, 4, 8 output
       channels (64-128-256-512 by default), each followed by LeakyReLU(``negative_slope``);
    3. a :class:`SAGANSelfAttention` block after each conv listed in ``attention_after`` (1-based; the 3rd and 4th);
    4. a plain 4×4 convolution (no padding) to one channel: the score map. Losses average it.

    Each side of the input must be at least 64 pixels (the four convs divide it by 16 and the last kernel needs 4):
    the 1/8-resolution logits of 512-pixel crops (64×64, 64×128) fit, as in the released SKDS code (65×65 at its
    513-pixel crops). What is fed in (raw logits at the head's resolution, by default; only maps below 64 pixels
    enlarged, with the algorithm's ``discriminator_min_input_size``) is decided by the algorithm, see
    :class:`~mmkd.models.algorithms.AdversarialSingleTeacherDistill`.

    Args:
        in_channels (int): channels of the input map (the number of classes, + 3 if conditioned on the image).
        base_channels (int): width of the first conv; doubled at each following one. Defaults to 64.
        attention_after (Sequence[int]): 1-based indices of the convs followed by self-attention. Defaults to (3, 4).
        negative_slope (float): LeakyReLU slope. Defaults to 0.1.
        input_norm (bool): BatchNorm on the input. Defaults to True.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    NUM_CONVS = 4
    MIN_SIZE = 64

    def __init__(self,
                 in_channels: int,
                 base_channels: int = 64,
                 attention_after: Sequence[int] = (3, 4),
                 negative_slope: float = 0.1,
                 input_norm: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1:
            raise ValueError(f'in_channels must be positive, got {in_channels}.')
        if base_channels < 8 or base_channels % 8 != 0:
            # the self-attention query/key width is channels / 8
            raise ValueError(f'base_channels must be a positive multiple of 8, got {base_channels}.')
        bad_indices = [i for i in attention_after if not 1 <= i <= self.NUM_CONVS]
        if bad_indices:
            raise ValueError(f'attention_after must hold conv indices in 1..{self.NUM_CONVS}, got {bad_indices}.')
        self.in_channels = in_channels
        self.attention_after = tuple(sorted(set(attention_after)))
        self.input_norm = nn.BatchNorm2d(in_channels) if input_norm else nn.Identity()

        stages = []
        channels = in_channels
        for index in range(1, self.NUM_CONVS + 1):
            out_channels = base_channels * 2**(index - 1)
            layers = [
                spectral_norm(nn.Conv2d(channels, out_channels, kernel_size=4, stride=2, padding=1)),
                nn.LeakyReLU(negative_slope)
            ]
            if index in self.attention_after:
                layers.append(SAGANSelfAttention(out_channels))
            stages.append(nn.Sequential(*layers))
            channels = out_channels
        self.stages = nn.Sequential(*stages)
        self.score = nn.Conv2d(channels, 1, kernel_size=4)

    def forward(self, x: Tensor) -> Tensor:
        """Score a batch of maps.

        Args:
            x (Tensor): score maps [N, in_channels, H, W], H and W at least 64.

        Returns:
            Tensor: realness scores [N, 1, H // 16 - 3, W // 16 - 3].
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'SKDSDiscriminator expects [N, {self.in_channels}, H, W] inputs, got '
                             f'{tuple(x.shape)}.')
        if min(x.shape[2:]) < self.MIN_SIZE:
            raise ValueError(f'SKDSDiscriminator needs inputs of at least {self.MIN_SIZE}x{self.MIN_SIZE} pixels, got '
                             f'{tuple(x.shape[2:])}: set the algorithm\'s '
                             f'`discriminator_min_input_size={self.MIN_SIZE}` (enlarges only smaller maps) or train on '
                             f'larger crops.')
        return self.score(self.stages(self.input_norm(x)))
