# Copyright (c) mmkd contributors. All rights reserved.
"""Row-banded inverted residuals: the banded forward returns what the block returns (strides 1 and 2, with and
without expansion, odd heights, more bands than rows), the edge encoder bands in eval mode only, and what cannot be
banded is refused with a clear message."""
import pytest
import torch
import torch.nn as nn
from mmseg.models.backbones import MobileNetV2
from mmseg.models.utils import InvertedResidual

from mmkd.models.edge import MobileNetV2EdgeEncoder
from mmkd.models.utils import banded_block_names, row_banded_forward


def random_eval_block(in_channels: int, out_channels: int, stride: int, expand_ratio: int) -> InvertedResidual:
    torch.manual_seed(in_channels * 100 + out_channels + stride)
    block = InvertedResidual(in_channels, out_channels, stride, expand_ratio, act_cfg=dict(type='ReLU6'))
    for module in block.modules():  # non-trivial BN statistics, so a padded row would not pass for a real one
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.bias.data.uniform_(-1, 1)
    return block.eval()


def record_conv_inputs(block: nn.Module) -> list:
    """Heights and widths of the inputs of ``block.conv`` (one entry per band)."""
    calls = []
    block.conv.register_forward_hook(lambda _m, args, out: calls.append(tuple(args[0].shape[2:])))
    return calls


@pytest.mark.parametrize('in_channels,out_channels,stride,expand_ratio',
                         [(16, 24, 2, 6), (24, 24, 1, 6), (32, 16, 1, 1), (24, 32, 2, 6)])
@pytest.mark.parametrize('height', [17, 32, 45])
@pytest.mark.parametrize('num_bands', [2, 3, 4, 7])
def test_banded_equals_the_block(in_channels, out_channels, stride, expand_ratio, height, num_bands):
    block = random_eval_block(in_channels, out_channels, stride, expand_ratio)
    inputs = torch.randn(2, in_channels, height, 13, generator=torch.Generator().manual_seed(height)) * 3
    calls = record_conv_inputs(block)
    with torch.no_grad():
        reference = block(inputs)
        calls.clear()
        output = row_banded_forward(block, inputs, num_bands)
    assert len(calls) == num_bands  # it did run on bands: one call of the block's convs each
    assert max(rows for rows, _ in calls) < height  # none of them saw the whole input
    assert output.shape == reference.shape
    torch.testing.assert_close(output, reference, rtol=0, atol=1e-5)


def test_bands_without_halo_would_be_caught():
    """With BN biases that make a zero row non-zero after the expansion, bands that pad instead of reading their
    neighbours' rows change the result: the equality above is not trivial."""
    block = random_eval_block(16, 24, 2, 6)
    inputs = torch.randn(1, 16, 32, 9, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = block(inputs)
        naive = torch.cat([block(part) for part in inputs.split(8, dim=2)], dim=2)
    assert naive.shape == reference.shape
    assert (naive - reference).abs().max() > 1e-2


def test_gradients_flow_and_tiny_inputs_run_whole():
    block = random_eval_block(16, 24, 2, 6)
    inputs = torch.randn(1, 16, 32, 8, requires_grad=True)
    row_banded_forward(block, inputs, 4).square().sum().backward()
    banded_grad = inputs.grad.clone()
    inputs.grad = None
    block(inputs).square().sum().backward()
    torch.testing.assert_close(banded_grad, inputs.grad, rtol=0, atol=1e-5)
    calls = record_conv_inputs(block)
    with torch.no_grad():
        row_banded_forward(block, torch.randn(1, 16, 5, 8), 4)  # 3 output rows < 4 bands
    assert calls == [(5, 8)]


def test_unbandable_blocks_are_clear_errors():
    with pytest.raises(TypeError, match='InvertedResidual whose .conv is a Sequential of ConvModules'):
        row_banded_forward(nn.Conv2d(3, 3, 3), torch.zeros(1, 3, 8, 8), 4)
    dilated = random_eval_block(16, 24, 1, 6)
    dilated.conv[1].conv.dilation = (2, 2)
    with pytest.raises(ValueError, match='dilation 1'):
        row_banded_forward(dilated, torch.zeros(1, 16, 8, 8), 4)


def test_banded_block_names_are_the_expanding_high_resolution_blocks():
    stages = MobileNetV2(out_indices=(0, 1, 2, 4, 6))
    # layer1.0 (reads 1/2) has no expansion; layer2.0 reads 1/2, layer2.1 and layer3.0 read 1/4; layer3.1 reads 1/8
    assert banded_block_names(stages, max_input_stride=4) == ('layer2.0', 'layer2.1', 'layer3.0')
    assert banded_block_names(stages, max_input_stride=2) == ('layer2.0', )
    assert banded_block_names(stages, max_input_stride=1) == ()


def test_edge_encoder_bands_in_eval_mode_only():
    torch.manual_seed(0)
    banded, whole = MobileNetV2EdgeEncoder(), MobileNetV2EdgeEncoder(row_bands=0)
    whole.load_state_dict(banded.state_dict())  # the same keys: banding adds no module
    assert banded.banded_blocks == ('layer2.0', 'layer2.1', 'layer3.0') and whole.banded_blocks == ()
    calls = record_conv_inputs(banded.stages.layer2[0])
    inputs = torch.randn(2, 3, 70, 45, generator=torch.Generator().manual_seed(1))
    banded.train(), whole.train()
    torch.testing.assert_close(banded(inputs), whole(inputs), rtol=0, atol=0)  # batch statistics: run whole
    assert calls == [(35, 23)]
    calls.clear()
    banded.eval(), whole.eval()
    with torch.no_grad():
        torch.testing.assert_close(banded(inputs), whole(inputs), rtol=0, atol=1e-5)
    assert len(calls) == 4
    with pytest.raises(ValueError, match='row_bands must be an int >= 0'):
        MobileNetV2EdgeEncoder(row_bands=-1)
