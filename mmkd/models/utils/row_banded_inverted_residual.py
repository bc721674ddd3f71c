# Copyright (c) mmkd contributors. All rights reserved.
"""Row-banded inference of an inverted residual block: the same function, a fraction of its widest tensor."""
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from torch import Tensor


class RowBandedInvertedResidual(nn.Module):
    r"""Runs an mmseg ``InvertedResidual`` (1×1 expansion → k×k depthwise, stride s → 1×1 projection [+ identity])
    on ``num_bands`` horizontal bands of its output, one after the other, and concatenates them.

    The expanded tensor [N, t·C, H, W] is a block's widest by far: at 1000² MobileNetV2's first 1/4-stage block
    expands 16 → 96 channels at 500² (96 MB), several times everything else alive at that point. Banded, only one
    band of it, [N, t·C, ~H/num_bands + halo, W], exists at a time; what the block returns is unchanged.

    Why it is exact: the 1×1 convs are per-pixel, and output row r of the k×k conv (padding p, dilation 1) reads the
    expanded rows s·r − p … s·r − p + k − 1 only. Band [a, b) of the output rows therefore runs the unchanged block
    (its own zero padding included) on input rows [s·(a − c), s·(b − 1) − p + k) with c = ⌈p / s⌉ rows of halo above
    (none for the first band) and drops the c leading output rows that read the block's padding instead of real rows.
    The first and last bands see the image border, where the block's padding is the real one. Every output pixel is
    computed from the same numbers by the same convs as unbanded, equal up to float rounding (the conv kernels may
    sum in another order on a smaller tensor; tests/test_models/test_utils/test_row_banded_inverted_residual.py);
    the halo costs c·s recomputed input rows per band boundary.

    Band edges are computed from the input's height at run time, so an ONNX export keeps dynamic H/W (the traced
    sizes become graph ops). Inference only: a block that needs gradients, or whose output has fewer rows than
    bands, runs unbanded.

    Args:
        block (nn.Module): An mmseg ``InvertedResidual``: ``block.conv`` a ``Sequential`` of ``ConvModule`` s, exactly
            one of them spatial (kernel k > 1 or stride s > 1, dilation 1, padding the same on both sides), the others
            1×1 with stride 1 and no padding; ``block.use_res_connect`` adds the input.
        num_bands (int): Number of bands (≥ 2). Defaults to 4.
    """

    def __init__(self, block: nn.Module, num_bands: int = 4) -> None:
        super().__init__()
        if not isinstance(num_bands, int) or num_bands < 2:
            raise ValueError(f'RowBandedInvertedResidual: num_bands must be an int >= 2, got {num_bands!r}')
        convs = getattr(block, 'conv', None)
        if not isinstance(convs, nn.Sequential) or not all(isinstance(m, ConvModule) for m in convs):
            raise TypeError(f'RowBandedInvertedResidual wraps an mmseg InvertedResidual whose .conv is a Sequential of '
                            f'ConvModules; got {type(block).__name__}')
        spatial = [m for m in convs if m.conv.kernel_size[0] > 1 or m.conv.stride[0] > 1]
        for module in convs:
            conv = module.conv
            if module in spatial:
                continue
            if conv.kernel_size != (1, 1) or conv.stride != (1, 1) or conv.padding != (0, 0):
                raise ValueError(f'RowBandedInvertedResidual: {type(block).__name__} has a non-pointwise conv {conv} '
                                 'besides its depthwise one: its halo is not handled')
        if len(spatial) != 1 or spatial[0].conv.dilation[0] != 1 or spatial[0].with_explicit_padding:
            raise ValueError(f'RowBandedInvertedResidual: {type(block).__name__} needs exactly one spatial conv with '
                             'dilation 1 and zero padding inside the conv; got '
                             f'{[m.conv for m in spatial]}')
        conv = spatial[0].conv
        self.block = block
        self.num_bands = num_bands
        self.kernel, self.stride, self.padding = conv.kernel_size[0], conv.stride[0], conv.padding[0]
        self.halo_rows = -(-self.padding // self.stride)  # c = ceil(p / s) output rows read the padding

    def output_rows(self, input_rows):
        """Output height of the block for an input height (an int, or a traced size during ONNX export)."""
        return (input_rows + 2 * self.padding - self.kernel) // self.stride + 1

    def forward(self, x: Tensor) -> Tensor:
        """Args: x (Tensor): [N, C, H, W]. Returns: Tensor: the block's output [N, C', H', W']."""
        tracing = torch.jit.is_tracing()
        height = x.shape[2]
        rows = self.output_rows(height)
        if not tracing and (x.requires_grad and torch.is_grad_enabled() or rows < self.num_bands):
            return self.block(x)
        stride, halo = self.stride, self.halo_rows
        bands = []
        first = 0
        for index in range(self.num_bands):
            # rounded up: the first band is never empty (a graph exported with dynamic sizes may meet a tiny image)
            end = ((index + 1) * rows + self.num_bands - 1) // self.num_bands
            # input rows of the band; slicing clamps the end at the image's last row (the block pads there)
            start = stride * (first - halo) if index else 0
            stop = stride * (end - 1) - self.padding + self.kernel
            skip = halo if index else 0
            band = self.block.conv(x[:, :, start:stop])
            bands.append(band[:, :, skip:skip + (end - first)])
            first = end
        out = torch.cat(bands, dim=2)
        return x + out if self.block.use_res_connect else out


def band_inverted_residuals(stages: nn.Module, num_bands: int, max_input_stride: int) -> int:
    """Replace, in place, the expanding inverted residual blocks (expand ratio > 1) of an mmseg ``MobileNetV2``
    whose input is at most ``max_input_stride`` times smaller than the image by :class:`RowBandedInvertedResidual`
    (``num_bands`` bands).

    Args:
        stages (nn.Module): An mmseg ``MobileNetV2`` (``conv1`` then the ``layers`` of inverted residuals).
        num_bands (int): Bands per block (≥ 2).
        max_input_stride (int): Band the blocks whose input is at stride ≤ this (e.g. 4: the blocks reading 1/2 and
            1/4 of the image).

    Returns:
        int: How many blocks were banded.
    """
    stride = stages.conv1.conv.stride[0]
    banded = 0
    for layer_name in stages.layers:
        layer = getattr(stages, layer_name)
        for index, block in enumerate(layer):
            inner = block.block if isinstance(block, RowBandedInvertedResidual) else block
            block_stride = max(m.conv.stride[0] for m in inner.conv)
            # only an expanding block holds a tensor wider than its input and output: without expansion (t = 1),
            # the band copies and the concatenation cost more than they save (measured on ONNX Runtime)
            expands = inner.conv[0].conv.out_channels > inner.conv[0].conv.in_channels
            if stride <= max_input_stride and expands and inner is block:
                layer[index] = RowBandedInvertedResidual(block, num_bands)
                banded += 1
            stride *= block_stride
    return banded


__all__ = ['RowBandedInvertedResidual', 'band_inverted_residuals']
