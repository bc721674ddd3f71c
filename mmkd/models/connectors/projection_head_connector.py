# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, Optional

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmrazor.models.architectures.connectors.base_connector import BaseConnector
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class ProjectionHeadConnector(BaseConnector):
    """Projection head from student to teacher feature width: 1×1 conv → norm → ReLU → 1×1 conv.

    The student projection of CIRKD ("Cross-Image Relational Knowledge Distillation for Semantic Segmentation", Yang
    et al., CVPR 2022), where it maps the student's pixel embeddings into the teacher's embedding space for the
    memory-based pixel-to-pixel and pixel-to-region losses only (the official code keeps it inside that loss; the
    mini-batch pixel-to-pixel term compares each network's raw features with themselves). As a mmrazor connector it
    is built from ``ConfigurableDistiller(connectors=dict(...))`` and applied in ``loss_forward_mappings`` with
    ``connector='name'``; its parameters belong to the distiller and are trained with the student. Both convolutions
    have no bias (the first is followed by a norm layer; the output is L2-normalised by the losses).

    Args:
        in_channels (int): student feature width.
        out_channels (int): teacher feature width.
        mid_channels (int, optional): hidden width. Defaults to None (= ``out_channels``).
        norm_cfg (dict): config of the norm layer (``dict(type='SyncBN')`` for multi-GPU runs). Defaults to
            ``dict(type='BN')``.
        init_cfg (dict, optional): mmengine initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: Optional[int] = None,
                 norm_cfg: Dict = dict(type='BN'),
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        mid_channels = out_channels if mid_channels is None else mid_channels
        for name, value in dict(in_channels=in_channels, out_channels=out_channels,
                                mid_channels=mid_channels).items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got {value!r}.')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.conv_in = nn.Conv2d(in_channels, mid_channels, kernel_size=1, bias=False)
        _, self.norm = build_norm_layer(norm_cfg, mid_channels)
        self.activation = nn.ReLU()
        self.conv_out = nn.Conv2d(mid_channels, out_channels, kernel_size=1, bias=False)

    def forward_train(self, feature: Tensor) -> Tensor:
        """Project features.

        Args:
            feature (Tensor): student features [N, in_channels, H, W].

        Returns:
            Tensor: [N, out_channels, H, W].
        """
        if feature.dim() != 4 or feature.shape[1] != self.in_channels:
            raise ValueError(f'ProjectionHeadConnector expects [N, {self.in_channels}, H, W] features, got '
                             f'{tuple(feature.shape)}.')
        return self.conv_out(self.activation(self.norm(self.conv_in(feature))))
