# Copyright (c) mmkd contributors. All rights reserved.
"""The edge students' exact eager speed-ups: the 1×1 head convs before the last bilinear upsampling (bilinear weights
sum to 1) in every mode, and eval-mode BN applied through the conv weights (mmcv's ``efficient_conv_bn_eval``).
Outputs and gradients equal the plain computation (upsample 16 channels, then the 1×1 convs; conv → separate BN),
which this file keeps as the reference forward."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule

from mmkd.models.edge import MobileNetV2EdgeNet
from mmkd.models.edge.side_outputs import resize_to
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)

TOLERANCE = 1e-5


def student(side_outputs: bool, align_corners: bool = False, seed: int = 0) -> MobileNetV2EdgeNet:
    """The configs' student (SEM on the deepest feature), BN statistics and biases away from their defaults."""
    torch.manual_seed(seed)
    net = MobileNetV2EdgeNet(side_outputs=side_outputs, sem=dict(dilations=(1, 2, 4)), align_corners=align_corners)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.copy_(torch.rand(module.num_features, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
                module.bias.copy_(torch.rand(module.num_features, generator=generator) - 0.5)
            elif isinstance(module, torch.nn.Conv2d) and module.bias is not None:
                module.bias.copy_(torch.rand(module.bias.shape, generator=generator) - 0.5)
    return net


def plain(net: MobileNetV2EdgeNet) -> MobileNetV2EdgeNet:
    """A copy computing conv → BN as two passes (mmcv's default), for the reference forward."""
    net = copy.deepcopy(net)
    for module in net.modules():
        if isinstance(module, ConvModule):
            module.turn_on_efficient_conv_bn_eval(False)
    return net


def reference_forward(net: MobileNetV2EdgeNet, inputs: torch.Tensor) -> list:
    """The plain order: the last block upsampled to the input size, then ``final_conv`` / ``side_convs`` on it."""
    size = inputs.shape[-2:]
    feats = list(net.encoder(inputs))
    feats[-1] = net.sem(feats[-1])
    blocks = net.decoder(feats, size, upsample_last=True)
    assert blocks[-1].shape[-2:] == size
    outputs = []
    if net.side_outputs:
        outputs += [resize_to(conv(block), size, net.align_corners) for conv, block in zip(net.side_convs, blocks)]
    return outputs + [net.final_conv(blocks[-1])]


def inputs_of(size=(45, 61), seed=1):
    return torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(seed)) * 50


@pytest.mark.parametrize('side_outputs', [False, True])
@pytest.mark.parametrize('align_corners', [False, True])
def test_reordered_head_equals_the_plain_order(side_outputs, align_corners):
    """Eval mode, an odd size (the last upsampling is not an exact 2×): every logit map within 1e-5 (relative to
    the logit scale, which is ~1–10 here), the same count and shapes, state-dict keys unchanged."""
    net = student(side_outputs, align_corners).eval()
    inputs = inputs_of()
    with torch.no_grad():
        expected = reference_forward(plain(net), inputs)
        outputs = net(inputs)
    assert len(outputs) == len(expected) == net.num_outputs == (6 if side_outputs else 1)
    for out, ref in zip(outputs, expected):
        assert out.shape == ref.shape == (1, 1, 45, 61)
        scale = max(1.0, float(ref.abs().max()))
        assert float((out - ref).abs().max()) <= TOLERANCE * scale
    keys = set(net.state_dict())
    assert 'final_conv.weight' in keys and not any(k.startswith('deploy_head') for k in keys)


@pytest.mark.parametrize('side_outputs', [False, True])
def test_reordered_head_trains_like_the_plain_order(side_outputs):
    """Training mode (batch statistics): the summed BCE and every parameter gradient equal the plain order's."""
    net = student(side_outputs).train()
    inputs = torch.cat([inputs_of(seed=1), inputs_of(seed=2)])
    target = (torch.rand(2, 1, 45, 61, generator=torch.Generator().manual_seed(3)) > 0.8).float()

    def loss_and_grads(forward):
        net.zero_grad()
        loss = sum(F.binary_cross_entropy_with_logits(o, target) for o in forward(inputs))
        loss.backward()
        return loss.detach(), {n: p.grad.clone() for n, p in net.named_parameters() if p.grad is not None}

    state = {k: v.clone() for k, v in net.state_dict().items()}
    loss, grads = loss_and_grads(net)
    net.load_state_dict(state)  # the BN running statistics moved; the reference starts from the same ones
    ref_loss, ref_grads = loss_and_grads(lambda x: reference_forward(net, x))
    assert torch.allclose(loss, ref_loss, rtol=1e-5, atol=1e-6)
    assert grads.keys() == ref_grads.keys() and 'final_conv.weight' in grads
    for name, grad in grads.items():
        assert torch.allclose(grad, ref_grads[name], rtol=1e-3, atol=1e-5), name


def test_full_size_upsampling_carries_only_the_head_channels(monkeypatch):
    """Plain (not deploy) forward: the one upsampling to the input size carries 1 channel (Model) / the side-5 +
    final pair (SO Model), never the last block's 16 channels (the plain order upsampled [N, 16, H, W])."""
    for side_outputs, channels in ((False, 1), (True, 2)):
        net = student(side_outputs).eval()
        seen = []
        interpolate = F.interpolate

        def spy(x, *args, **kwargs):
            seen.append((x.shape[1], tuple(kwargs.get('size') or ())))
            return interpolate(x, *args, **kwargs)

        monkeypatch.setattr(F, 'interpolate', spy)
        with torch.no_grad():
            net(inputs_of((64, 64)))
        monkeypatch.setattr(F, 'interpolate', interpolate)
        full = [c for c, size in seen if size == (64, 64)]
        assert max(full) == channels, (side_outputs, seen)


def test_eval_mode_runs_no_separate_batchnorm_pass():
    """Eval mode: no BatchNorm module runs (every BN is applied through its conv's weights); training mode and
    ``efficient_conv_bn_eval=False`` run all of them (the encoder, SEM and decoder have 69; in eval mode those of
    the encoder's row-banded blocks once per band)."""
    def bn_calls(net, train):
        calls = []
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.register_forward_hook(lambda bn, *args: calls.append(id(bn)))
        net.train(train)
        with torch.no_grad():
            net(torch.cat([inputs_of((32, 32), 1), inputs_of((32, 32), 2)]))
        return len(set(calls))

    net = student(False)
    count = sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert count == 69
    assert bn_calls(net, train=False) == 0
    assert bn_calls(student(False), train=True) == count
    off = MobileNetV2EdgeNet(sem=dict(dilations=(1, 2, 4)), efficient_conv_bn_eval=False)
    assert bn_calls(off, train=False) == count
