# Copyright (c) mmkd contributors. All rights reserved.
"""The MobileNetV2 encoder–decoder edge students of the 2020 article "Accuracy and runtime tradeoff in modern edge
detection algorithms": "Model" (one output) and "SO Model" (side outputs)."""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS
from .edge_decoder import EdgeSkipDecoder
from .side_outputs import resize_to


@MODELS.register_module()
class MobileNetV2EdgeNet(BaseModule):
    r"""MobileNetV2 encoder → Scale Enhancement Module → :class:`EdgeSkipDecoder` → 1×1 conv to one edge-logit channel.

    The students of the 2020 article "Accuracy and runtime tradeoff in modern edge detection algorithms" (its Figures
    5 and 6), after the encoder–decoder design of Knowledge Adaptation (He et al., "Knowledge Adaptation for Efficient
    Semantic Segmentation", CVPR 2019):

    - ``side_outputs=False`` is "Model": one output, the last decoder block → 1×1 conv → logits [N, 1, H, W].
    - ``side_outputs=True`` is "SO Model": additionally each decoder block b → 1×1 conv → bilinear upsampling to the
      input size gives a side output :math:`S_b`; the outputs are ``[S_1, …, S_B, final]`` and all enter the loss with
      equal weights (deep supervision as in HED).

    ``sem`` (a :class:`ScaleEnhancementModule` config without ``channels``) is applied to the encoder's last feature
    (the 1280-channel final 1×1 conv at 1/32) before the decoder; its ``out_channels`` (default: the same width) is
    the decoder's input width. The article presents the SEM among the students' building blocks (Figure 4, next to
    Figure 3's ConvBnReLU and inverted residual block) without placing it; the rows put it on the deepest feature,
    where BDCN's SEM enlarges the receptive field of the coarsest scale and where it costs least (see
    configs/edge/README.md). ``sem=None`` builds the network without it.

    **Deploy mode** (:meth:`switch_to_deploy`, irreversible, inference only): the last decoder block's bilinear
    upsampling and the 1×1 convs that read its output (final, and side 5 of the SO Model) are swapped: a 1×1 conv
    is a per-pixel affine map and bilinear interpolation a per-channel convex combination of pixels (weights sum to
    1), so :math:`\mathrm{conv}(\mathrm{up}(y)) = \mathrm{up}(\mathrm{conv}(y))` exactly; the full-resolution work
    shrinks from upsampling 16 channels + a 16 → 1 conv to upsampling 1 (2) channels. Outputs are unchanged up to
    float rounding.

    Args:
        encoder (dict): Encoder config; the module must expose ``out_channels`` (widths of its outputs).
            Defaults to ``dict(type='mmkd.MobileNetV2EdgeEncoder')``.
        decoder_channels (Sequence[int]): Width of each decoder block. Defaults to (256, 128, 64, 32, 16).
        skip_indices (Sequence[int | None]): Encoder feature summed with each block's input (see
            :class:`EdgeSkipDecoder`). Defaults to (None, 3, 2, 1, 0).
        side_outputs (bool): True for the SO Model. Defaults to False.
        sem (dict, optional): SEM config, e.g. ``dict(dilations=(1, 2, 4))``. Defaults to None (no SEM; the configs
            of the rows set one).
        norm_cfg (dict): Norm config of the decoder. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config of the decoder. Defaults to ``dict(type='ReLU')``.
        align_corners (bool): Bilinear ``align_corners``. Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 encoder: Dict = dict(type='mmkd.MobileNetV2EdgeEncoder'),
                 decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
                 skip_indices: Sequence[Optional[int]] = (None, 3, 2, 1, 0),
                 side_outputs: bool = False,
                 sem: Optional[Dict] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 align_corners: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(encoder, dict) or 'type' not in encoder:
            raise TypeError(f'MobileNetV2EdgeNet: encoder must be a config dict with a "type" key, got {encoder!r}')
        self.encoder = MODELS.build(encoder)
        encoder_channels = getattr(self.encoder, 'out_channels', None)
        if not encoder_channels:
            raise ValueError(f'MobileNetV2EdgeNet: encoder {encoder["type"]} must expose out_channels')
        self.sem = None
        decoder_in_channels = list(encoder_channels)
        if sem is not None:
            sem = copy.deepcopy(sem)
            sem.setdefault('type', 'mmkd.ScaleEnhancementModule')
            if 'channels' in sem:
                raise ValueError('MobileNetV2EdgeNet: sem takes its channels from the encoder; remove "channels"')
            self.sem = MODELS.build(dict(sem, channels=encoder_channels[-1]))
            decoder_in_channels[-1] = self.sem.out_channels
        self.decoder = EdgeSkipDecoder(in_channels=decoder_in_channels, channels=list(decoder_channels),
                                       skip_indices=list(skip_indices), norm_cfg=norm_cfg, act_cfg=act_cfg,
                                       align_corners=align_corners)
        self.side_outputs = bool(side_outputs)
        self.align_corners = align_corners
        self.final_conv = nn.Conv2d(decoder_channels[-1], 1, kernel_size=1)
        self.side_convs = nn.ModuleList(nn.Conv2d(c, 1, kernel_size=1)
                                        for c in decoder_channels) if self.side_outputs else None
        self.deploy = False
        self.deploy_head: Optional[nn.Conv2d] = None

    @property
    def num_outputs(self) -> int:
        """1 for the Model; number of decoder blocks + 1 for the SO Model."""
        return 1 + (len(self.side_convs) if self.side_outputs else 0)

    @torch.no_grad()
    def switch_to_deploy(self) -> None:
        """Re-order the last upsampling after the 1×1 convs that read it (see the class docstring); irreversible.

        Builds ``deploy_head``: ``final_conv`` (Model) or ``[side_convs[-1]; final_conv]`` stacked into one 1×1 conv
        with 2 outputs (SO Model), applied to the last block before its upsampling.
        """
        if self.deploy:
            return
        convs = ([self.side_convs[-1]] if self.side_outputs else []) + [self.final_conv]
        head = nn.Conv2d(self.final_conv.in_channels, len(convs), kernel_size=1).to(self.final_conv.weight)
        head.weight.copy_(torch.cat([conv.weight for conv in convs]))
        head.bias.copy_(torch.cat([conv.bias for conv in convs]))
        self.deploy_head = head
        self.deploy = True

    def forward(self, inputs: Tensor) -> List[Tensor]:
        """Edge logits.

        Args:
            inputs (Tensor): Images [N, 3, H, W], any H, W.

        Returns:
            list[Tensor]: ``num_outputs`` logit maps [N, 1, H, W]: side outputs (SO Model) first, the final output last.
        """
        if inputs.dim() != 4:
            raise ValueError(f'MobileNetV2EdgeNet expects images [N, C, H, W], got shape {tuple(inputs.shape)}')
        size = inputs.shape[-2:]
        feats = list(self.encoder(inputs))
        if self.sem is not None:
            feats[-1] = self.sem(feats[-1])
        blocks = self.decoder(feats, size, upsample_last=not self.deploy)
        outputs = []
        if self.deploy:
            if self.side_outputs:
                outputs += [resize_to(conv(block), size, self.align_corners)
                            for conv, block in zip(self.side_convs[:-1], blocks[:-1])]
            head = resize_to(self.deploy_head(blocks[-1]), size, self.align_corners)
            return outputs + list(head.split(1, dim=1))
        if self.side_outputs:
            outputs += [resize_to(conv(block), size, self.align_corners)
                        for conv, block in zip(self.side_convs, blocks)]
        outputs.append(self.final_conv(blocks[-1]))
        return outputs


__all__ = ['MobileNetV2EdgeNet']
