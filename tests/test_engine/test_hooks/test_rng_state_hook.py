# Copyright (c) mmkd contributors. All rights reserved.
"""Exact resume (mmkd.RNGStateHook): a run resumed from a checkpoint logs the uninterrupted run's losses."""
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmkd.engine.hooks.rng_state_hook import rng_states, set_rng_states
from mmkd.engine.runner_setup import load_run_config
from tests.helpers.tools import REPO_ROOT, city_cfg_options
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)

STUDENT = osp.join(REPO_ROOT, 'configs/demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py')


def tiny_run(work_dir, data_root, name, max_iters, hooks, resume_from=None):
    options = {}
    for option in city_cfg_options(data_root, max_iters):
        key, value = option.split('=', 1)
        options[key] = int(value) if value.isdigit() else (False if value == 'False' else value)
    cfg = load_run_config(STUDENT, cfg_options=options, work_dir=str(work_dir))
    cfg.experiment_name = name
    cfg.randomness = dict(seed=3)
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.val_interval = 3  # validation right after the checkpoint: it must not shift the generators
    cfg.default_hooks.checkpoint.update(interval=3, max_keep_ckpts=5)
    cfg.default_hooks.visualization = dict(type='SegVisualizationHook')
    cfg.custom_hooks = hooks
    cfg.log_level = 'WARNING'
    if resume_from:
        cfg.resume, cfg.load_from = True, resume_from
    with DefaultScope.overwrite_default_scope('mmseg'):
        runner = Runner.from_cfg(cfg)
        runner.train()
    return runner.message_hub.get_scalar('train/loss').data[0].tolist()


@pytest.mark.parametrize('hooks,exact', [([dict(type='mmkd.RNGStateHook')], True), ([], False)],
                         ids=['with_hook', 'mmengine_alone'])
def test_resumed_losses_equal_the_uninterrupted_run(tmp_path, synthetic_city, hooks, exact):
    full = tiny_run(tmp_path / 'full', synthetic_city, f'full_{exact}', 6, hooks)
    resumed = tiny_run(tmp_path / 'resumed', synthetic_city, f'resumed_{exact}', 6, hooks,
                       resume_from=str(tmp_path / 'full' / 'iter_3.pth'))
    assert len(full) == len(resumed) == 6
    assert resumed[:3] == full[:3]  # the first three come from the checkpoint's message hub
    if exact:
        assert resumed[3:] == full[3:], (full, resumed)  # bit for bit, at every resumed iteration
    else:
        # without the hook the generators restart from the seed: Dropout2d masks differ from iteration 4 on
        assert resumed[3] != full[3], (full, resumed)


def test_states_round_trip_through_the_safe_loader(tmp_path):
    from mmkd.utils import safe_torch_load
    torch.manual_seed(1), np.random.seed(1), random.seed(1)
    states = rng_states()
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.save({'meta': {'rng_states': states}}, tmp_path / 'c.pth')
    torch.manual_seed(2), np.random.seed(2), random.seed(2)
    set_rng_states(safe_torch_load(str(tmp_path / 'c.pth'))['meta']['rng_states'])
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(expected[0], again[0]) and np.array_equal(expected[1], again[1]) and expected[2] == again[2]
