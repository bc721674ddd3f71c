# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd.SideOutputLrMultOptimWrapperConstructor: the RCF and HED rows' optimizers equal, parameter by parameter, what
their configs' hand-written ``paramwise_cfg.custom_keys`` tables gave (captured below from those configs' values),
and the constructor refuses models and parameters it has no group for."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope

from mmkd.engine.optimizers import SideOutputLrMultOptimWrapperConstructor
from tests.helpers.tools import REPO_ROOT
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)

STAGE_CONVS = (2, 2, 3, 3, 3)  # VGG16: convs per stage


def _conv(table: dict, name: str, weight: tuple, bias: tuple) -> None:
    table[f'{name}.weight'], table[f'{name}.bias'] = weight, bias


def rcf_table_before() -> dict:
    """(lr, weight_decay) per parameter as configs/edge/rcf_vgg16_1xb1-900e_bsds.py built them with mmengine's
    custom_keys (SGD lr 1e-6, weight decay 5e-4): conv1-4 not custom (weights at the optimizer's lr and decay,
    biases bias_lr_mult 2.0 and bias_decay_mult 0.0), custom keys conv5 100, conv_down 0.1, score 0.01, fuse 0.001
    (decay_mult 1 by default), each bias its own key with lr_mult 2 * the group's and decay_mult 0.0."""
    table = {}
    for stage, count in enumerate(STAGE_CONVS, start=1):
        for i in range(1, count + 1):
            if stage < 5:
                _conv(table, f'network.backbone.conv{stage}_{i}', (1e-6, 5e-4), (1e-6 * 2.0, 5e-4 * 0.0))
            else:
                _conv(table, f'network.backbone.conv{stage}_{i}', (1e-6 * 100.0, 5e-4 * 1.0),
                      (1e-6 * 200.0, 5e-4 * 0.0))
            _conv(table, f'network.conv_down.{stage - 1}.{i - 1}', (1e-6 * 0.1, 5e-4 * 1.0), (1e-6 * 0.2, 5e-4 * 0.0))
        _conv(table, f'network.score.{stage - 1}', (1e-6 * 0.01, 5e-4 * 1.0), (1e-6 * 0.02, 5e-4 * 0.0))
    _conv(table, 'network.fuse', (1e-6 * 0.001, 5e-4 * 1.0), (1e-6 * 0.002, 5e-4 * 0.0))
    return table


def hed_table_before() -> dict:
    """The same for configs/edge/hed_vgg16_1xb1-900e_bsds.py (SGD lr 1e-6, HED's weight decay 2e-4): custom keys
    conv5 100, side_convs 0.01, fuse 0.001, biases 2 * the group's without decay; conv1-4 not custom."""
    table = {}
    for stage, count in enumerate(STAGE_CONVS, start=1):
        for i in range(1, count + 1):
            if stage < 5:
                _conv(table, f'network.backbone.conv{stage}_{i}', (1e-6, 2e-4), (1e-6 * 2.0, 2e-4 * 0.0))
            else:
                _conv(table, f'network.backbone.conv{stage}_{i}', (1e-6 * 100.0, 2e-4 * 1.0),
                      (1e-6 * 200.0, 2e-4 * 0.0))
        _conv(table, f'network.side_convs.{stage - 1}', (1e-6 * 0.01, 2e-4 * 1.0), (1e-6 * 0.02, 2e-4 * 0.0))
    _conv(table, 'network.fuse', (1e-6 * 0.001, 2e-4 * 1.0), (1e-6 * 0.002, 2e-4 * 0.0))
    return table


ROWS = {
    'rcf_vgg16_1xb1-900e_bsds': rcf_table_before,
    'rcf-pruned_vgg16_1xb1-900e_bsds': rcf_table_before,
    'hed_vgg16_1xb1-900e_bsds': hed_table_before,
}


def lr_wd_per_name(model: nn.Module, optim_wrapper_cfg: dict) -> list:
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(optim_wrapper_cfg))
    name_of = {id(p): name for name, p in model.named_parameters()}
    rows = []
    for group in optim_wrapper.optimizer.param_groups:
        assert len(group['params']) == 1  # one group per parameter, as mmengine's custom_keys made them
        rows.append((name_of[id(group['params'][0])], group['lr'], group['weight_decay']))
    return rows


@pytest.mark.parametrize('row', sorted(ROWS))
def test_config_optimizer_is_bit_identical_to_the_custom_keys_table(row):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'edge', f'{row}.py'))
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    rows = lr_wd_per_name(model, cfg.optim_wrapper)
    expected = ROWS[row]()
    # every parameter, in named_parameters order, with exactly (==, not approx) the old lr and weight decay
    assert [name for name, _, _ in rows] == [name for name, _ in model.named_parameters()]
    assert {name: (lr, wd) for name, lr, wd in rows} == expected


def tiny_network(kind: str) -> nn.Module:
    trunk = dict(type='mmkd.EdgeVGG16', channels=[4] * 13)
    init_default_scope('mmseg')
    return MODELS.build(dict(type=f'mmkd.{kind}', backbone=trunk))


def build(model: nn.Module, **paramwise_cfg):
    cfg = dict(constructor='mmkd.SideOutputLrMultOptimWrapperConstructor',
               optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=0.25), paramwise_cfg=paramwise_cfg)
    return build_optim_wrapper(model, cfg)


def test_multipliers_are_arguments():
    hed = tiny_network('HED')
    optim_wrapper = build(hed, stage_lr_mults=(1, 2, 3, 4, 5), score_lr_mult=0.5, fuse_lr_mult=0.25,
                          bias_lr_mult=4.0, bias_decay_mult=0.5)
    got = {id(g['params'][0]): (g['lr'], g['weight_decay']) for g in optim_wrapper.optimizer.param_groups}
    params = dict(hed.named_parameters())
    assert got[id(params['backbone.conv3_2.weight'])] == (0.5 * 3, 0.25)
    assert got[id(params['backbone.conv3_2.bias'])] == (0.5 * 12, 0.125)
    assert got[id(params['side_convs.4.weight'])] == (0.25, 0.25)
    assert got[id(params['side_convs.4.bias'])] == (0.5 * 2, 0.125)
    assert got[id(params['fuse.bias'])] == (0.5, 0.125)


def test_frozen_parameters_are_skipped():
    rcf = tiny_network('RCF')
    rcf.backbone.conv1_1.requires_grad_(False)
    groups = build(rcf).optimizer.param_groups
    assert len(groups) == len(list(rcf.parameters())) - 2


def test_unknown_model_type_is_refused():
    with pytest.raises(TypeError, match='knows mmkd.RCF and mmkd.HED.*got Sequential'):
        build(nn.Sequential(nn.Conv2d(3, 1, 1)))


def test_a_parameter_in_no_group_is_refused():
    rcf = tiny_network('RCF')
    rcf.extra_scale = nn.Parameter(torch.ones(1))
    with pytest.raises(ValueError, match=r"\['extra_scale'\] fall in no lr-multiplier group"):
        build(rcf)


@pytest.mark.parametrize('paramwise_cfg, error, match', [
    (dict(custom_keys={'fuse': dict(lr_mult=1.0)}), ValueError, 'unknown paramwise_cfg keys'),
    (dict(stage_lr_mults=(1.0, 100.0)), ValueError, 'has 2 values but the trunk EdgeVGG16 has 5 stages'),
    (dict(stage_lr_mults='1,1,1,1,100'), TypeError, 'stage_lr_mults must be a sequence of numbers'),
    (dict(fuse_lr_mult=-1.0), ValueError, 'fuse_lr_mult must be a number >= 0'),
    (dict(side_lr_mult=0.1), ValueError, 'HED has no 21-channel side convs'),
])
def test_bad_multipliers_are_refused(paramwise_cfg, error, match):
    with pytest.raises(error, match=match):
        build(tiny_network('HED'), **paramwise_cfg)


def test_lr_is_required():
    with pytest.raises(ValueError, match='needs an explicit lr'):
        SideOutputLrMultOptimWrapperConstructor(dict(optimizer=dict(type='SGD')))
