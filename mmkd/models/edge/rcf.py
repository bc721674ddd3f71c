# Copyright (c) mmkd contributors. All rights reserved.
"""RCF: richer convolutional features for edge detection, on the shared VGG16 trunk."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS
from .side_outputs import fuse_side_outputs


@MODELS.register_module()
class RCF(BaseModule):
    """Richer Convolutional Features for edge detection (Liu et al., CVPR 2017, arXiv 1612.02103).

    Every conv of VGG16 (:class:`EdgeVGG16`) contributes: for stage :math:`k` with conv outputs
    :math:`f_{k,1} … f_{k,m_k}` ([N, C_k, H_k, W_k]),

    .. math::
        S_k = \\mathrm{up}\\Big(v_k^\\top \\sum_{j=1}^{m_k} (W_{k,j} f_{k,j} + b_{k,j}) + c_k\\Big),\\qquad
        S_{fuse} = \\sum_{k=1}^{5} h_k S_k + d,

    where :math:`W_{k,j}` are 1×1 convs to ``side_channels`` (21) channels, :math:`v_k` a 1×1 conv to one channel,
    ``up`` bilinear upsampling to the input size, and :math:`h_k` the fuse 1×1 conv over the 5 side outputs.
    The edge probability is :math:`\\sigma(S_{fuse})`; training supervises all six maps.

    Upsampling is ``F.interpolate(mode='bilinear')`` straight to the input size. The official port uses fixed
    (non-trainable) bilinear transposed convs followed by a crop; both are bilinear interpolation and differ only in
    the sub-pixel alignment chosen by the crop offset.

    Initialisation as in the official port: the 21-channel and 1-channel side convs N(0, 0.01) with bias 0, the fuse
    weights 0.2 each (1 / number of sides) with bias 0; the trunk keeps PyTorch's default init unless ``init_cfg``
    (or ``backbone.init_cfg``) loads weights. A channel-pruned trunk works unchanged: the side convs take their input
    widths from the trunk's ``conv_channels`` (per conv) when it has them.

    **Deploy mode** (:meth:`switch_to_deploy`, irreversible, inference only): the 21-channel convs and the score conv
    of a stage are all linear, so :math:`v_k^\\top \\sum_j (W_{k,j} f_{k,j} + b_{k,j}) + c_k =
    \\sum_j (v_k^\\top W_{k,j}) f_{k,j} + (v_k^\\top \\sum_j b_{k,j} + c_k)`: one 1-channel 1×1 conv per trunk conv
    (``deploy_side``), composed in float64. The 21-channel maps (at full resolution for stage 1) are never formed;
    outputs are unchanged up to float rounding.

    Args:
        backbone (dict): Config of the VGG16 trunk returning, per stage, the list of conv outputs. RCF's (the
            official PyTorch port's: ceil-mode pools, pool4 2×2 stride 1, conv5 dilated by 2, so the deepest stage
            stays at 1/8 of the input) is ``model.network.backbone`` of ``configs/_base_/models/edge_rcf.py``, its
            only definition. Required: None raises, naming that config.
        side_channels (int): Width of the per-conv 1×1 side convs. Defaults to 21.
        align_corners (bool): ``align_corners`` of the bilinear upsampling. Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 backbone: Optional[dict] = None,
                 side_channels: int = 21,
                 align_corners: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(backbone, dict) or 'type' not in backbone:
            raise TypeError(f'RCF: backbone must be a config dict with a "type" key, got {backbone!r} (RCF\'s trunk '
                            f'is model.network.backbone of configs/_base_/models/edge_rcf.py)')
        if not isinstance(side_channels, int) or side_channels < 1:
            raise ValueError(f'RCF: side_channels must be a positive int, got {side_channels!r}')
        self.backbone = MODELS.build(backbone)
        conv_channels = getattr(self.backbone, 'conv_channels', None)
        if conv_channels is None:  # an unpruned trunk: every conv of a stage has the stage width
            conv_channels = [[width] * len(names) for width, names in
                             zip(self.backbone.stage_channels, self.backbone.stage_conv_names)]
        if len(conv_channels) != 5:
            raise ValueError(f'RCF: backbone {backbone["type"]} must have 5 stages, got {len(conv_channels)}')
        self.side_channels = side_channels
        self.align_corners = align_corners
        # conv_down[k][j]: conv j of stage k -> side_channels; score[k]: summed stage map -> 1 channel.
        self.conv_down = nn.ModuleList(
            nn.ModuleList(nn.Conv2d(width, side_channels, kernel_size=1) for width in widths)
            for widths in conv_channels)
        self.score = nn.ModuleList(nn.Conv2d(side_channels, 1, kernel_size=1) for _ in conv_channels)
        self.fuse = nn.Conv2d(len(conv_channels), 1, kernel_size=1)
        for conv in [c for stage in self.conv_down for c in stage] + list(self.score):
            nn.init.normal_(conv.weight, mean=0.0, std=0.01)
            nn.init.zeros_(conv.bias)
        nn.init.constant_(self.fuse.weight, 1.0 / len(conv_channels))
        nn.init.zeros_(self.fuse.bias)
        self.deploy = False
        self.deploy_side: Optional[nn.ModuleList] = None

    @torch.no_grad()
    def switch_to_deploy(self) -> None:
        """Compose each stage's 21-channel side convs with its score conv (see the class docstring); irreversible."""
        if self.deploy:
            return
        stages = nn.ModuleList()
        for convs, score in zip(self.conv_down, self.score):
            v = score.weight.double().flatten(1)  # [1, side_channels]
            composed = nn.ModuleList()
            for j, conv in enumerate(convs):
                new = nn.Conv2d(conv.in_channels, 1, kernel_size=1, bias=(j == 0)).to(conv.weight)
                new.weight.copy_((v @ conv.weight.double().flatten(1)).view_as(new.weight))
                if j == 0:  # one bias per stage: v^T sum_j b_j + c
                    bias = v @ torch.stack([c.bias.double() for c in convs]).sum(0) + score.bias.double()
                    new.bias.copy_(bias.view_as(new.bias))
                composed.append(new)
            stages.append(composed)
        self.deploy_side = stages
        self.deploy = True

    @property
    def num_outputs(self) -> int:
        """5 side outputs + the fused output."""
        return len(self.score) + 1

    def forward(self, inputs: Tensor) -> List[Tensor]:
        """Edge logits.

        Args:
            inputs (Tensor): Images [N, 3, H, W] (BGR, mean-subtracted, unscaled in RCF's recipe). Any H, W.

        Returns:
            list[Tensor]: 6 logit maps [N, 1, H, W]: side outputs 1–5, then the fused output (last).
        """
        if inputs.dim() != 4:
            raise ValueError(f'RCF expects images [N, C, H, W], got shape {tuple(inputs.shape)}')
        size = inputs.shape[-2:]
        stages = self.backbone(inputs)
        if self.deploy:
            side_logits = [sum(conv(feature) for conv, feature in zip(convs, stage))
                           for convs, stage in zip(self.deploy_side, stages)]
        else:
            side_logits = [
                score(sum(conv(feature) for conv, feature in zip(convs, stage)))
                for convs, score, stage in zip(self.conv_down, self.score, stages)
            ]
        return fuse_side_outputs(side_logits, size, self.fuse, self.align_corners)


__all__ = ['RCF']
