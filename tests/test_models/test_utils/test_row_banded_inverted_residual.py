# Copyright (c) mmkd contributors. All rights reserved.
"""RowBandedInvertedResidual: the banded block returns what the block returns (strides 1 and 2, with and without
expansion, odd heights, more bands than rows), runs on bands only in inference, and refuses what it cannot band."""
import pytest
import torch
import torch.nn as nn
from mmseg.models.backbones import MobileNetV2
from mmseg.models.utils import InvertedResidual

from mmkd.models.edge import MobileNetV2EdgeNet
from mmkd.models.utils import RowBandedInvertedResidual, band_inverted_residuals


def random_eval_block(in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> InvertedResidual:
    torch.manual_seed(in_channels * 100 + out_channels + stride)
    block = InvertedResidual(in_channels, out_channels, stride, expand_ratio, act_cfg=dict(type='ReLU6'))
    for module in block.modules():  # non-trivial BN statistics, so a padded row would not pass for a real one
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.bias.data.uniform_(-1, 1)
    return block.eval()


def count_band_calls(module: RowBandedInvertedResidual) -> list:
    calls = []
    module.block.conv.register_forward_hook(lambda _m, args, out: calls.append(tuple(args[0].shape[2:])))
    return calls


@pytest.mark.parametrize('in_channels,out_channels,stride,expand_ratio',
                         [(16, 24, 2, 6), (24, 24, 1, 6), (32, 16, 1, 1), (24, 32, 2, 6)])
@pytest.mark.parametrize('height', [17, 32, 45])
@pytest.mark.parametrize('num_bands', [2, 3, 4, 7])
def test_banded_equals_the_block(in_channels, out_channels, stride, expand_ratio, height, num_bands):
    block = random_eval_block(in_channels, out_channels, stride, expand_ratio)
    banded = RowBandedInvertedResidual(block, num_bands)
    inputs = torch.randn(2, in_channels, height, 13, generator=torch.Generator().manual_seed(height)) * 3
    calls = count_band_calls(banded)
    with torch.no_grad():
        reference = block.conv(inputs) + (inputs if block.use_res_connect else 0)
        calls.clear()
        output = banded(inputs)
    assert len(calls) == num_bands  # it did run on bands: one call of the block's convs each
    assert max(rows for rows, _ in calls) < height  # none of them saw the whole input
    assert output.shape == reference.shape
    torch.testing.assert_close(output, reference, rtol=0, atol=1e-5)


def test_padding_rows_are_not_mistaken_for_image_rows():
    """With a bias that makes a zero input row non-zero after expansion, recomputing the halo through the block's
    padding (instead of the neighbouring band's real rows) would change the band edges: the equality above is not
    trivial. This checks that such a wrong banding would have been caught."""
    block = random_eval_block(16, 24, 2, 6)
    inputs = torch.randn(1, 16, 32, 9, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = block(inputs)
        naive = torch.cat([block(part) for part in inputs.split(8, dim=2)], dim=2)  # bands without halo
    assert naive.shape == reference.shape
    assert (naive - reference).abs().max() > 1e-2


def test_training_and_tiny_inputs_run_unbanded():
    block = random_eval_block(16, 24, 2, 6)
    banded = RowBandedInvertedResidual(block, 4)
    calls = count_band_calls(banded)
    inputs = torch.randn(1, 16, 32, 8, requires_grad=True)
    output = banded(inputs)  # gradients wanted: one call on the whole input
    output.sum().backward()
    assert calls == [(32, 8)] and inputs.grad is not None
    calls.clear()
    with torch.no_grad():
        banded(torch.randn(1, 16, 5, 8))  # 3 output rows < 4 bands
    assert calls == [(5, 8)]


def test_invalid_arguments_are_clear_errors():
    block = random_eval_block(16, 24, 2, 6)
    with pytest.raises(ValueError, match='num_bands must be an int >= 2'):
        RowBandedInvertedResidual(block, 1)
    with pytest.raises(TypeError, match='wraps an mmseg InvertedResidual'):
        RowBandedInvertedResidual(nn.Conv2d(3, 3, 3), 4)
    dilated = random_eval_block(16, 24, 1, 6)
    dilated.conv[1].conv.dilation = (2, 2)
    with pytest.raises(ValueError, match='dilation 1'):
        RowBandedInvertedResidual(dilated, 4)


def test_band_inverted_residuals_picks_the_expanding_high_resolution_blocks():
    stages = MobileNetV2(out_indices=(0, 1, 2, 4, 6))
    assert band_inverted_residuals(stages, 4, max_input_stride=4) == 3
    banded = [f'{name}.{i}' for name in stages.layers for i, block in enumerate(getattr(stages, name))
              if isinstance(block, RowBandedInvertedResidual)]
    # layer1.0 (1/2) has no expansion; layer2.0 reads 1/2, layer2.1 and layer3.0 read 1/4; layer3.1 reads 1/8
    assert banded == ['layer2.0', 'layer2.1', 'layer3.0']
    assert band_inverted_residuals(stages, 4, max_input_stride=4) == 0  # already banded: left alone


def test_edge_net_bands_in_deploy_mode_only():
    net = MobileNetV2EdgeNet().eval()
    count = lambda: sum(isinstance(m, RowBandedInvertedResidual) for m in net.modules())  # noqa: E731
    assert count() == 0
    net.switch_to_deploy()
    assert count() == 3
    off = MobileNetV2EdgeNet(deploy_row_bands=0).eval()
    off.switch_to_deploy()
    assert not any(isinstance(m, RowBandedInvertedResidual) for m in off.modules())
    with pytest.raises(ValueError, match='deploy_row_bands must be an int >= 0'):
        MobileNetV2EdgeNet(deploy_row_bands=-1)
