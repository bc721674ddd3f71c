# Copyright (c) mmkd contributors. All rights reserved.
"""The VGG16 convolutional trunk shared by the edge detectors (HED, RCF)."""
from typing import List, Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd.registry import MODELS

# (stage index, number of convs, output width) of VGG16 (Simonyan & Zisserman, ICLR 2015), FC layers dropped.
VGG16_STAGES = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))


@MODELS.register_module()
class EdgeVGG16(BaseModule):
    """VGG16 conv1_1 … conv5_3 (3×3 convs + ReLU, no FC layers), returning every conv output of every stage.

    The trunk of HED (Xie & Tu, "Holistically-Nested Edge Detection", ICCV 2015) and of RCF (Liu et al.,
    "Richer Convolutional Features for Edge Detection", CVPR 2017). The two differ only in the pools and conv5:

    - HED: pool1–pool4 2×2 stride 2, conv5 undilated, so stage k works at 1/2^(k-1) of the input.
    - RCF (official PyTorch port): pools in ceil mode, pool4 2×2 **stride 1** and conv5_x with **dilation 2**,
      so stage 5 stays at 1/8 of the input with a receptive field that still grows.

    The convs are plain ``nn.Conv2d`` attributes ``conv1_1`` … ``conv5_3`` so that state-dict keys read
    ``conv1_1.weight`` etc. (weights converted from other frameworks map one-to-one). Each conv has its own
    (parameter-free, **not** in-place) ReLU ``relu1_1`` … ``relu5_3``: a forward hook or an mmrazor ``ModuleOutputs``
    recorder on ``conv5_3`` sees the conv's output before the ReLU, one on ``relu5_3`` the output after it. (With one
    shared in-place ReLU, a recorder on ``conv5_3`` silently read the post-ReLU values, and a recorder on the shared
    ReLU fired 13 times.) The recorded point of knowledge adaptation is ``relu5_3``.

    Args:
        pool4_stride (int): Stride of pool4: 2 for HED, 1 for RCF. Defaults to 2.
        pool4_kernel (int): Kernel size of pool4. Defaults to 2.
        conv5_dilation (int): Dilation (and padding) of conv5_1 … conv5_3: 1 for HED, 2 for RCF. Defaults to 1.
        pool_ceil_mode (bool): ``ceil_mode`` of all four pools: True keeps odd sides from losing a row (RCF).
            Defaults to False.
        in_channels (int): Input image channels. Defaults to 3.
        channels (Sequence[int], optional): Output width of each of the 13 convs, conv1_1 … conv5_3 in order, for a
            channel-pruned trunk (``tools/pruning/prune_rcf.py`` writes them into the pruned config). Defaults to
            None: VGG16's widths (64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512).
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None (PyTorch's default init).
    """

    def __init__(self,
                 pool4_stride: int = 2,
                 pool4_kernel: int = 2,
                 conv5_dilation: int = 1,
                 pool_ceil_mode: bool = False,
                 in_channels: int = 3,
                 channels: Optional[Sequence[int]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('pool4_stride', pool4_stride), ('pool4_kernel', pool4_kernel),
                            ('conv5_dilation', conv5_dilation), ('in_channels', in_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'EdgeVGG16: {name} must be a positive int, got {value!r}')
        self.pool4_stride = pool4_stride
        self.pool4_kernel = pool4_kernel
        self.conv5_dilation = conv5_dilation
        self.pool_ceil_mode = pool_ceil_mode
        num_convs_total = sum(num_convs for _, num_convs, _ in VGG16_STAGES)
        if channels is None:
            channels = [width for _, num_convs, width in VGG16_STAGES for _ in range(num_convs)]
        if len(channels) != num_convs_total or not all(
                isinstance(width, int) and not isinstance(width, bool) and width > 0 for width in channels):
            raise ValueError(f'EdgeVGG16: channels must be {num_convs_total} positive ints (conv1_1 … conv5_3), '
                             f'got {channels!r}')
        widths = iter(channels)

        self.stage_conv_names: List[List[str]] = []
        # Output width of every conv, per stage: a pruned trunk's convs within one stage may differ.
        self.conv_channels: List[List[int]] = []
        self.stage_channels: List[int] = []
        width_in = in_channels
        for stage, num_convs, _ in VGG16_STAGES:
            dilation = conv5_dilation if stage == 5 else 1
            names, stage_widths = [], []
            for i in range(1, num_convs + 1):
                name = f'conv{stage}_{i}'
                width = next(widths)
                self.add_module(name, nn.Conv2d(width_in, width, 3, padding=dilation, dilation=dilation))
                self.add_module(f'relu{stage}_{i}', nn.ReLU(inplace=False))
                names.append(name)
                stage_widths.append(width)
                width_in = width
            self.stage_conv_names.append(names)
            self.conv_channels.append(stage_widths)
            self.stage_channels.append(stage_widths[-1])
        self.pool1 = nn.MaxPool2d(2, stride=2, ceil_mode=pool_ceil_mode)
        self.pool2 = nn.MaxPool2d(2, stride=2, ceil_mode=pool_ceil_mode)
        self.pool3 = nn.MaxPool2d(2, stride=2, ceil_mode=pool_ceil_mode)
        # With stride 1 a 2×2 window shrinks each side by one pixel unless padded; RCF's port accepts that
        # (the later bilinear upsampling + crop absorbs it).
        self.pool4 = nn.MaxPool2d(pool4_kernel, stride=pool4_stride, ceil_mode=pool_ceil_mode)

    @property
    def stage_strides(self) -> Sequence[int]:
        """Nominal downsampling factor of each stage's outputs relative to the input."""
        return (1, 2, 4, 8, 8 * self.pool4_stride)

    def forward(self, x: Tensor) -> List[List[Tensor]]:
        """Run the trunk.

        Args:
            x (Tensor): Images [N, in_channels, H, W].

        Returns:
            list[list[Tensor]]: For each of the 5 stages, the outputs of that stage's convs after ReLU, in order
            (2, 2, 3, 3, 3 tensors of shapes [N, 64|128|256|512|512, H_k, W_k]). HED uses the last of each stage,
            RCF all of them.
        """
        if x.dim() != 4:
            raise ValueError(f'EdgeVGG16 expects images [N, C, H, W], got shape {tuple(x.shape)}')
        pools = (self.pool1, self.pool2, self.pool3, self.pool4, None)
        stages: List[List[Tensor]] = []
        for names, pool in zip(self.stage_conv_names, pools):
            outputs = []
            for name in names:
                x = getattr(self, 'relu' + name[len('conv'):])(getattr(self, name)(x))
                outputs.append(x)
            stages.append(outputs)
            if pool is not None:
                x = pool(x)
        return stages


def vgg16_conv_state_dict_keys() -> List[str]:
    """State-dict keys of :class:`EdgeVGG16`, for converters that map foreign weights onto it."""
    keys = []
    for stage, num_convs, _ in VGG16_STAGES:
        for i in range(1, num_convs + 1):
            keys += [f'conv{stage}_{i}.weight', f'conv{stage}_{i}.bias']
    return keys


__all__ = ['EdgeVGG16', 'VGG16_STAGES', 'vgg16_conv_state_dict_keys']
