# Copyright (c) mmkd contributors. All rights reserved.
"""The MobileNetV2 encoder–decoder edge students of the 2020 article "Accuracy and runtime tradeoff in modern edge
detection algorithms": "Model" (one output) and "SO Model" (side outputs)."""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
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

    **The last upsampling comes after the 1×1 convs that read it** (in every mode, training included): a 1×1 conv
    is a per-pixel affine map and bilinear interpolation (``align_corners`` either way) a per-channel convex
    combination of pixels (its weights sum to 1, so the bias passes through), hence
    :math:`\mathrm{conv}(\mathrm{up}(y)) = \mathrm{up}(\mathrm{conv}(y))` exactly. The last block's output y
    [N, 16, ~H/2, ~W/2] goes through ``final_conv`` (and ``side_convs[-1]`` of the SO Model, both in one conv) before
    the one upsampling to [N, 1 (2), H, W]: the full-resolution work shrinks from upsampling 16 channels + a 16 → 1
    conv at H × W to upsampling 1 (2) channels, and the 16-channel full-size tensor (64 MB at 1000²) is never made.
    Parameters and state-dict keys are those of the plain order; outputs equal it up to float rounding
    (tests/test_models/test_edge/test_edge_student_reorder.py).

    **BatchNorm in eval mode is applied through the conv's weights** (``efficient_conv_bn_eval``, mmcv's
    ``ConvModule`` option after "Tune-Mode ConvBN Blocks For Efficient Transfer Learning", arXiv 2305.11624): with
    frozen statistics :math:`\mathrm{BN}(W * x + b) = (\gamma/\sigma \cdot W) * x + \beta + \gamma/\sigma
    \cdot (b - \mu)`, so ``model.eval()`` computes each conv + BN as one conv whose weights are scaled at every call
    (a few thousand multiplications) instead of a separate pass over the activation and a second full-size tensor:
    the same function and parameters (measured at 1000², 1 thread, with the head re-ordering: 1837 → 1710 ms, and
    the activation peak of both changes together 208 → 174 MB; configs/edge/README.md). Training
    (BN with batch statistics) runs the plain conv → BN. A forward hook on a BN module does not fire in eval mode
    while it is on (hooks on the conv do); ``efficient_conv_bn_eval=False`` restores the separate BN pass.

    **Deploy mode** (:meth:`switch_to_deploy`, irreversible, inference only) additionally stacks the SO Model's two
    head convs into one precomputed ``deploy_head`` (BN folding etc. are :class:`EdgeDetector`'s). The encoder's
    row banding of its widest blocks (:class:`MobileNetV2EdgeEncoder` ``row_bands``) is part of every eval-mode
    forward, deploy mode and the ONNX export included.

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
        efficient_conv_bn_eval (bool): mmcv's ``ConvModule`` option on every conv + BN pair: with the BN in eval
            mode, the conv runs with the BN folded into its weights at each call (see the class docstring).
            Defaults to True.
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
                 efficient_conv_bn_eval: bool = True,
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
        self.efficient_conv_bn_eval = bool(efficient_conv_bn_eval)
        for module in self.modules():  # encoder (mmseg's MobileNetV2 too), SEM, decoder
            if isinstance(module, ConvModule):
                module.turn_on_efficient_conv_bn_eval(self.efficient_conv_bn_eval)

    @property
    def num_outputs(self) -> int:
        """1 for the Model; number of decoder blocks + 1 for the SO Model."""
        return 1 + (len(self.side_convs) if self.side_outputs else 0)

    @torch.no_grad()
    def switch_to_deploy(self) -> None:
        """Precompute the head: ``deploy_head`` is ``final_conv`` (Model) or ``[side_convs[-1]; final_conv]`` stacked
        into one 1×1 conv with 2 outputs (SO Model), applied to the last block before its upsampling (as the plain
        forward does, which stacks the weights at every call); irreversible.
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
        # The last block stops before its upsampling; the 1×1 head convs run first (see the class docstring).
        blocks = self.decoder(feats, size, upsample_last=False)
        outputs = []
        if self.side_outputs:
            outputs += [resize_to(conv(block), size, self.align_corners)
                        for conv, block in zip(self.side_convs[:-1], blocks[:-1])]
        head = resize_to(self.head_logits(blocks[-1]), size, self.align_corners)
        return outputs + list(head.split(1, dim=1)) if self.side_outputs else outputs + [head]

    def head_logits(self, last_block: Tensor) -> Tensor:
        """The 1×1 convs that read the last decoder block, at its resolution (before the last upsampling).

        Args:
            last_block (Tensor): The last block's output before its upsampling [N, C_B, h, w].

        Returns:
            Tensor: [N, 1, h, w] (``final_conv``) for the Model; [N, 2, h, w] (``side_convs[-1]``, ``final_conv``)
            for the SO Model, one conv whose weights are the two stacked.
        """
        if self.deploy_head is not None:
            return self.deploy_head(last_block)
        if not self.side_outputs:
            return self.final_conv(last_block)
        side, final = self.side_convs[-1], self.final_conv
        return F.conv2d(last_block, torch.cat([side.weight, final.weight]), torch.cat([side.bias, final.bias]))

__all__ = ['MobileNetV2EdgeNet']
