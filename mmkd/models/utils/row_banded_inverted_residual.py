# Copyright (c) mmkd contributors. All rights reserved.
"""Row-banded inference of an inverted residual block: the same function, a fraction of its widest tensor."""
from typing import Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor


def bandable_geometry(block: nn.Module) -> Tuple[int, int, int]:
    """Check that :func:`row_banded_forward` can run ``block`` and return its spatial conv's (kernel, stride,
    padding) along the rows.

    Args:
        block (nn.Module): An mmseg ``InvertedResidual``: ``block.conv`` a ``Sequential`` of ``ConvModule`` s, exactly
            one of them spatial (kernel k > 1 or stride s > 1, dilation 1, zero padding inside the conv), the others
            1×1 with stride 1 and no padding.

    Raises:
        TypeError / ValueError: For any other block, saying what does not fit.
    """
    convs = getattr(block, 'conv', None)
    if not isinstance(convs, nn.Sequential) or not all(isinstance(m, ConvModule) for m in convs):
        raise TypeError(f'row banding runs an mmseg InvertedResidual whose .conv is a Sequential of ConvModules; got '
                        f'{type(block).__name__}')
    spatial = [m for m in convs if m.conv.kernel_size[0] > 1 or m.conv.stride[0] > 1]
    for module in convs:
        conv = module.conv
        if module not in spatial and (conv.kernel_size != (1, 1) or conv.stride != (1, 1) or conv.padding != (0, 0)):
            raise ValueError(f'row banding: {type(block).__name__} has a non-pointwise conv {conv} besides its '
                             'depthwise one: its halo is not handled')
    if len(spatial) != 1 or spatial[0].conv.dilation[0] != 1 or spatial[0].with_explicit_padding:
        raise ValueError(f'row banding: {type(block).__name__} needs exactly one spatial conv with dilation 1 and zero '
                         f'padding inside the conv; got {[m.conv for m in spatial]}')
    conv = spatial[0].conv
    return conv.kernel_size[0], conv.stride[0], conv.padding[0]


def row_banded_forward(block: nn.Module, x: Tensor, num_bands: int) -> Tensor:
    r"""Run an mmseg ``InvertedResidual`` in eval mode (1×1 expansion → k×k depthwise, stride s → 1×1 projection
    [+ identity]) on ``num_bands`` horizontal bands of its output, one after the other, and concatenate them.

    The expanded tensor [N, t·C, H, W] is a block's widest by far: at 1000² MobileNetV2's first 1/4-stage block
    expands 16 → 96 channels at 500² (96 MB), several times everything else alive at that point. Banded, only one
    band of it, [N, t·C, ~H/num_bands + halo, W], exists at a time; the result is the block's.

    Why it is exact: the 1×1 convs (and BatchNorm with running statistics) are per-pixel, and output row r of the
    k×k conv (padding p, dilation 1) reads the expanded rows s·r − p … s·r − p + k − 1 only. Band [a, b) of the
    output rows therefore runs the unchanged convs (their own zero padding included) on input rows
    [s·(a − c), s·(b − 1) − p + k) with c = ⌈p / s⌉ rows of halo above (none for the first band) and drops the c
    leading output rows that read the padding instead of real rows. The first and last bands see the image border,
    where the padding is the real one. Every output pixel is computed from the same numbers by the same convs,
    equal up to float rounding (a conv kernel may sum in another order on a smaller tensor); the halo costs c·s
    recomputed input rows per band boundary. Not for training: BatchNorm with batch statistics is not per-pixel.

    Band edges are computed from the input's height at run time, so an ONNX export keeps dynamic H/W (the traced
    sizes become graph ops; a band may be empty on a tiny image, never the first). Outside tracing, an output with
    fewer rows than bands runs unbanded. Forward hooks on the block's submodules fire once per band; the block's own
    ``forward`` (and hooks on the block) is not called.

    Args:
        block (nn.Module): See :func:`bandable_geometry`.
        x (Tensor): The block's input [N, C, H, W].
        num_bands (int): Number of bands (≥ 2).

    Returns:
        Tensor: The block's output [N, C', H', W'].
    """
    kernel, stride, padding = bandable_geometry(block)
    rows = (x.shape[2] + 2 * padding - kernel) // stride + 1
    if not torch.jit.is_tracing() and rows < num_bands:
        return block(x)
    halo = -(-padding // stride)  # c = ceil(p / s) output rows read the padding
    bands, first = [], 0
    for index in range(num_bands):
        # rounded up, so the first band is never empty
        end = ((index + 1) * rows + num_bands - 1) // num_bands
        # input rows of the band; slicing clamps the end at the image's last row (the convs pad there)
        start = stride * (first - halo) if index else 0
        stop = stride * (end - 1) - padding + kernel
        skip = halo if index else 0
        band = block.conv(x[:, :, start:stop])
        bands.append(band[:, :, skip:skip + (end - first)])
        first = end
    out = torch.cat(bands, dim=2)
    return x + out if block.use_res_connect else out


def banded_block_names(stages: nn.Module, max_input_stride: int) -> Tuple[str, ...]:
    """Names (``'layer2.0'``, ...) of the expanding inverted residuals (expand ratio > 1) of an mmseg ``MobileNetV2``
    whose input is at most ``max_input_stride`` times smaller than the image: the blocks worth banding. A block without
    expansion holds no tensor wider than its input and output; banding it cost more memory on ONNX Runtime (band
    copies + concatenation) than it saved.

    Args:
        stages (nn.Module): An mmseg ``MobileNetV2`` (``conv1`` then the ``layers`` of inverted residuals).
        max_input_stride (int): E.g. 4: the blocks reading 1/2 and 1/4 of the image.
    """
    stride = stages.conv1.conv.stride[0]
    names = []
    for layer_name in stages.layers:
        for index, block in enumerate(getattr(stages, layer_name)):
            first = block.conv[0].conv
            if stride <= max_input_stride and first.out_channels > first.in_channels:
                bandable_geometry(block)
                names.append(f'{layer_name}.{index}')
            stride *= max(m.conv.stride[0] for m in block.conv)
    return tuple(names)


__all__ = ['bandable_geometry', 'row_banded_forward', 'banded_block_names']
