# Copyright (c) mmkd contributors. All rights reserved.
"""tools/model_converters/timm_mobilenetv2_to_mmdet.py on a randomly initialised model with timm's
``mobilenetv2_050`` layout (tests/data/timm_mobilenetv2_050_layout.json: every key and shape of
``timm.create_model('mobilenetv2_050').state_dict()``, timm 1.0.31; timm itself is not a dependency).

The converted weights must load strictly into mmdet's ``MobileNetV2(widen_factor=0.5)`` and give the same features
as the timm network computed here independently, by hand, from the published architecture with timm's key names.
"""
import json
import os.path as osp
import sys

import pytest
import torch
import torch.nn.functional as F
from mmdet.models.backbones import MobileNetV2

from tests.helpers.tools import REPO_ROOT, run_tool

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'model_converters'))
import timm_mobilenetv2_to_mmdet as converter  # noqa: E402

LAYOUT = osp.join(REPO_ROOT, 'tests', 'data', 'timm_mobilenetv2_050_layout.json')
STRIDES = (1, 2, 2, 2, 1, 2, 1)  # first block of each stage (MobileNetV2, Sandler et al. 2018, Table 2)


def random_timm_state_dict(seed: int = 0) -> dict:
    with open(LAYOUT) as f:
        layout = json.load(f)['layout']
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in layout.items():
        if key.endswith('num_batches_tracked'):
            state[key] = torch.tensor(7)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shape, generator=generator) + 0.5
        else:
            state[key] = torch.randn(shape, generator=generator) * 0.3
    return state


def timm_features(state: dict, x: torch.Tensor) -> list:
    """timm's MobileNetV2 forward (eval mode), written from the architecture: outputs of stages 2, 4 and 6."""
    def bn(h, name, act=True):
        h = F.batch_norm(h, state[f'{name}.running_mean'], state[f'{name}.running_var'], state[f'{name}.weight'],
                         state[f'{name}.bias'], training=False, eps=1e-5)
        return F.relu6(h) if act else h

    def conv(h, name, stride=1):
        weight = state[f'{name}.weight']
        groups = h.shape[1] if weight.shape[1] == 1 else 1
        return F.conv2d(h, weight, stride=stride, padding=weight.shape[-1] // 2, groups=groups)

    h = bn(conv(x, 'conv_stem', 2), 'bn1')
    outs = []
    for stage, stride in enumerate(STRIDES):
        block = 0
        while f'blocks.{stage}.{block}.conv_dw.weight' in state:
            p, s = f'blocks.{stage}.{block}', stride if block == 0 else 1
            if stage == 0:  # depthwise separable: dw 3x3 -> pw linear
                out = bn(conv(bn(conv(h, f'{p}.conv_dw', s), f'{p}.bn1'), f'{p}.conv_pw'), f'{p}.bn2', act=False)
            else:  # inverted residual: pw expand -> dw 3x3 -> pw linear
                out = bn(conv(h, f'{p}.conv_pw'), f'{p}.bn1')
                out = bn(conv(out, f'{p}.conv_dw', s), f'{p}.bn2')
                out = bn(conv(out, f'{p}.conv_pwl'), f'{p}.bn3', act=False)
            h = out + h if s == 1 and out.shape == h.shape else out
            block += 1
        if stage in (2, 4, 6):
            outs.append(h)
    return outs


def test_converted_weights_load_strictly_and_give_timms_features():
    state = random_timm_state_dict()
    converted = converter.convert(state)
    assert converter.widen_factor_of(converted) == 0.5
    assert len(converted) == len(state) - 2  # everything but the classifier's weight and bias
    model = MobileNetV2(widen_factor=0.5, out_indices=(2, 4, 6), act_cfg=dict(type='ReLU6'))
    model.load_state_dict(converted, strict=True)
    model.eval()  # mmdet's train() returns None: no chaining
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours, reference = model(x), timm_features(state, x)
    assert [tuple(o.shape) for o in ours] == [(1, 16, 8, 12), (1, 48, 4, 6), (1, 160, 2, 3)]
    for out, ref in zip(ours, reference):
        assert torch.allclose(out, ref, rtol=1e-4, atol=1e-4)


def test_layout_errors_are_named():
    with pytest.raises(KeyError, match='blocks.0.0.se.fc'):
        converter.convert_key('blocks.0.0.se.fc.weight')
    converted = converter.convert(random_timm_state_dict())
    with pytest.raises(ValueError, match='widen_factor=1.0'):
        converter.check_against_mmdet(converted, 1.0)


def test_cli_writes_a_checkpoint_the_student_config_loads(tmp_path):
    src, dst = tmp_path / 'mobilenetv2_050.pth', tmp_path / 'out' / 'mbv2_050_mmdet.pth'
    torch.save(random_timm_state_dict(), src)
    result = run_tool([sys.executable, 'tools/model_converters/timm_mobilenetv2_to_mmdet.py', str(src), str(dst)])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'widen_factor=0.5' in result.stdout
    from mmengine.runner import load_checkpoint
    model = MobileNetV2(widen_factor=0.5, out_indices=(2, 4, 6), act_cfg=dict(type='ReLU6'))
    load_checkpoint(model, str(dst), strict=True)
    assert torch.equal(model.conv1.conv.weight, random_timm_state_dict()['conv_stem.weight'])
