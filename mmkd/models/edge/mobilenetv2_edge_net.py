# Copyright (c) mmkd contributors. All rights reserved.
"""The seed's MobileNetV2 encoder–decoder edge students: "Model" (one output) and "SO Model" (side outputs)."""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS
from .edge_decoder import EdgeSkipDecoder
from .side_outputs import resize_to


@MODELS.register_module()
class MobileNetV2EdgeNet(BaseModule):
    """MobileNetV2 encoder → (optional SEM) → :class:`EdgeSkipDecoder` → 1×1 conv to one edge-logit channel.

    The students of the seed (its Figures 5 and 6), after the encoder–decoder design of Knowledge Adaptation
    (He et al., "Knowledge Adaptation for Efficient Semantic Segmentation", CVPR 2019):

    - ``side_outputs=False`` is "Model": one output, the last decoder block → 1×1 conv → logits [N, 1, H, W].
    - ``side_outputs=True`` is "SO Model": additionally each decoder block b → 1×1 conv → bilinear upsampling to the
      input size gives a side output :math:`S_b`; the outputs are ``[S_1, …, S_B, final]`` and all enter the loss with
      equal weights (deep supervision as in HED).

    ``sem`` (a :class:`ScaleEnhancementModule` config without ``channels``) is applied to the encoder's last
    feature before the decoder when given.

    Args:
        encoder (dict): Encoder config; the module must expose ``out_channels`` (widths of its outputs).
            Defaults to ``dict(type='mmkd.MobileNetV2EdgeEncoder')``.
        decoder_channels (Sequence[int]): Width of each decoder block. Defaults to (256, 128, 64, 32, 16).
        skip_indices (Sequence[int | None]): Encoder feature summed with each block's input (see
            :class:`EdgeSkipDecoder`). Defaults to (4, 3, 2, 1, 0).
        side_outputs (bool): True for the SO Model. Defaults to False.
        sem (dict, optional): SEM config, e.g. ``dict(dilations=(1, 2, 4))``. Defaults to None (no SEM).
        norm_cfg (dict): Norm config of the decoder. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config of the decoder. Defaults to ``dict(type='ReLU')``.
        align_corners (bool): Bilinear ``align_corners``. Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 encoder: Dict = dict(type='mmkd.MobileNetV2EdgeEncoder'),
                 decoder_channels: Sequence[int] = (256, 128, 64, 32, 16),
                 skip_indices: Sequence[Optional[int]] = (4, 3, 2, 1, 0),
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
        if sem is not None:
            sem = copy.deepcopy(sem)
            sem.setdefault('type', 'mmkd.ScaleEnhancementModule')
            if 'channels' in sem:
                raise ValueError('MobileNetV2EdgeNet: sem takes its channels from the encoder; remove "channels"')
            self.sem = MODELS.build(dict(sem, channels=encoder_channels[-1]))
        self.decoder = EdgeSkipDecoder(in_channels=list(encoder_channels), channels=list(decoder_channels),
                                       skip_indices=list(skip_indices), norm_cfg=norm_cfg, act_cfg=act_cfg,
                                       align_corners=align_corners)
        self.side_outputs = bool(side_outputs)
        self.align_corners = align_corners
        self.final_conv = nn.Conv2d(decoder_channels[-1], 1, kernel_size=1)
        self.side_convs = nn.ModuleList(nn.Conv2d(c, 1, kernel_size=1)
                                        for c in decoder_channels) if self.side_outputs else None

    @property
    def num_outputs(self) -> int:
        """1 for the Model; number of decoder blocks + 1 for the SO Model."""
        return 1 + (len(self.side_convs) if self.side_outputs else 0)

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
        blocks = self.decoder(feats, size)
        outputs = []
        if self.side_outputs:
            outputs += [resize_to(conv(block), size, self.align_corners)
                        for conv, block in zip(self.side_convs, blocks)]
        outputs.append(self.final_conv(blocks[-1]))
        return outputs


__all__ = ['MobileNetV2EdgeNet']
