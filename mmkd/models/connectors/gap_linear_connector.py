# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, Optional

import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import BaseConnector
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class GAPLinearConnector(BaseConnector):
    r"""Global average pooling followed by a fully connected projection: [N, C, H, W] → [N, D].

    The adaptation projections of Exp. 3 of the 2020 article "Accuracy and runtime tradeoff in modern edge
    detection algorithms", after "Knowledge Adaptation for Efficient Semantic Segmentation"
    (He et al., CVPR 2019): the teacher's last encoder feature (VGG16 conv5_3, 512 ch) and the student's (MobileNetV2's
    final 1×1 conv, 1280 ch) are each pooled and projected to one common width D, then compared with an MSE
    (mmrazor's ``L2Loss(normalize=False, div_element=True)``, weight 1e4):

    .. math::
        p = W \, \frac{1}{HW} \sum_{i,j} f_{:, i, j} + b

    Used as an mmrazor connector (``ConfigurableDistiller(connectors=...)``): its parameters belong to the distiller
    and train with the student, including the one applied to the teacher's features (the teacher itself stays
    frozen), as the article describes. When both projections train, the MSE has a trivial minimum (both constant);
    ``trainable=False`` on the teacher's connector keeps it a fixed (randomly initialised, saved in checkpoints)
    projection instead, which removes that minimum. He et al. use a pre-trained auto-encoder there.

    Args:
        in_channels (int): Feature width C.
        out_channels (int): Common width D.
        trainable (bool): Whether the projection's parameters receive gradients. Defaults to True (the article).
        init_cfg (dict, optional): mmengine init config. Defaults to None (PyTorch's Linear init).
    """

    def __init__(self, in_channels: int, out_channels: int, trainable: bool = True,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in dict(in_channels=in_channels, out_channels=out_channels).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'GAPLinearConnector: {name} must be a positive int, got {value!r}')
        if not isinstance(trainable, bool):
            raise TypeError(f'GAPLinearConnector: trainable must be a bool, got {trainable!r}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.trainable = trainable
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_channels, out_channels)
        self.fc.requires_grad_(trainable)

    def forward_train(self, feature: Tensor) -> Tensor:
        """Args: feature (Tensor): [N, in_channels, H, W]. Returns: Tensor: [N, out_channels]."""
        if feature.dim() != 4 or feature.shape[1] != self.in_channels:
            raise ValueError(f'GAPLinearConnector expects [N, {self.in_channels}, H, W] features, got '
                             f'{tuple(feature.shape)}')
        return self.fc(self.pool(feature).flatten(1))
