# Copyright (c) mmkd contributors. All rights reserved.
"""MobileNetV2 encoder for the edge students: mmseg's MobileNetV2 plus the 1280-channel final 1×1 conv."""
from typing import Dict, List, Optional, Sequence, Union

from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.backbones import MobileNetV2
from mmseg.models.utils import make_divisible
from torch import Tensor

from mmkd.registry import MODELS
from ..utils.row_banded_inverted_residual import banded_block_names, row_banded_forward


@MODELS.register_module()
class MobileNetV2EdgeEncoder(BaseModule):
    """MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks", CVPR 2018) as the
    encoder of the edge students.

    The 7 inverted-residual stages are mmseg's :class:`~mmseg.models.backbones.MobileNetV2` (t, c, n, s table of the
    paper; with the default strides stage i has width 16, 24, 32, 64, 96, 160, 320 × ``widen_factor`` at
    1/2, 1/4, 1/8, 1/16, 1/16, 1/32, 1/32 of the input). mmseg stops at 320 channels; the paper's final 1×1
    ConvBnReLU6 to ``last_channels`` (1280) is added here as ``last_conv``. It is the "last encoder conv" whose
    features the knowledge-adaptation loss reads (record ``network.encoder.last_conv``).

    **In eval mode the widest blocks run on row bands** (``row_bands``, :func:`~mmkd.models.utils.row_banded_forward`,
    exact): the expanding inverted residuals that read 1/2 and 1/4 of the image (``layer2.0``, ``layer2.1``,
    ``layer3.0``: 16 → 96 channels at 500², 24 → 144 at 250² twice, at 1000²) compute their output in 4 horizontal
    bands, so their expanded tensor (96 MB for ``layer2.0``) is never whole. Training (BatchNorm with batch
    statistics) runs the blocks whole. The deploy graph and the ONNX export trace this eval-mode path.

    Args:
        widen_factor (float): Width multiplier of the stages. Defaults to 1.0.
        out_indices (Sequence[int]): Stages (0–6) whose outputs are returned (the decoder sums with some of them);
            must contain 6, which feeds ``last_conv``. Defaults to (0, 1, 2, 4, 6).
        last_channels (int): Width of the final 1×1 conv. Defaults to 1280.
        norm_cfg (dict): Norm layer config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU6')``.
        row_bands (int): Bands of the banded blocks in eval mode; 0 or 1 runs every block whole. Defaults to 4.
        band_max_stride (int): Band the expanding blocks whose input is at most this many times smaller than the
            image. Defaults to 4.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None (mmseg's Kaiming init for
            the stages; no ImageNet weights are reachable here).
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (0, 1, 2, 4, 6),
                 last_channels: int = 1280,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU6'),
                 row_bands: int = 4,
                 band_max_stride: int = 4,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_indices = tuple(out_indices)
        if not out_indices or list(out_indices) != sorted(set(out_indices)) or out_indices[-1] != 6 \
                or out_indices[0] < 0:
            raise ValueError(f'MobileNetV2EdgeEncoder: out_indices must be increasing stage indices in 0..6 ending '
                             f'with 6 (it feeds last_conv), got {out_indices!r}')
        if not isinstance(last_channels, int) or last_channels < 1:
            raise ValueError(f'MobileNetV2EdgeEncoder: last_channels must be a positive int, got {last_channels!r}')
        self.stages = MobileNetV2(widen_factor=widen_factor, out_indices=out_indices, norm_cfg=norm_cfg,
                                  act_cfg=act_cfg)
        stage_widths = [make_divisible(c * widen_factor, 8) for _, c, _ in MobileNetV2.arch_settings]
        self.last_conv = ConvModule(stage_widths[6], last_channels, kernel_size=1, norm_cfg=norm_cfg,
                                    act_cfg=act_cfg)
        self.out_indices = out_indices
        #: widths of the returned features: the selected stages, then last_conv
        self.out_channels: List[int] = [stage_widths[i] for i in out_indices] + [last_channels]
        #: nominal downsampling factor of each returned feature
        self.out_strides: List[int] = [(2, 4, 8, 16, 16, 32, 32)[i] for i in out_indices] + [32]
        for name, value in (('row_bands', row_bands), ('band_max_stride', band_max_stride)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f'MobileNetV2EdgeEncoder: {name} must be an int >= 0, got {value!r}')
        self.row_bands = row_bands
        #: the blocks run on ``row_bands`` row bands in eval mode
        self.banded_blocks = banded_block_names(self.stages, band_max_stride) if row_bands > 1 else ()

    def forward(self, x: Tensor) -> List[Tensor]:
        """Encode.

        Args:
            x (Tensor): Images [N, 3, H, W].

        Returns:
            list[Tensor]: The ``out_indices`` stage outputs [N, out_channels[i], ~H/s_i, ~W/s_i] (shallow first), then
            the ``last_conv`` output [N, last_channels, ~H/32, ~W/32] (last).
        """
        if self.training or not self.banded_blocks:
            feats = list(self.stages(x))
        else:  # mmseg MobileNetV2.forward's loop, with the banded blocks run on bands
            stages, feats = self.stages, []
            x = stages.conv1(x)
            for stage_index, layer_name in enumerate(stages.layers):
                for block_index, block in enumerate(getattr(stages, layer_name)):
                    if f'{layer_name}.{block_index}' in self.banded_blocks:
                        x = row_banded_forward(block, x, self.row_bands)
                    else:
                        x = block(x)
                if stage_index in stages.out_indices:
                    feats.append(x)
        return feats + [self.last_conv(feats[-1])]


__all__ = ['MobileNetV2EdgeEncoder']
