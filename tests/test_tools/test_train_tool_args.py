# Copyright (c) mmkd contributors. All rights reserved.
"""tools/train.py: --seed/--deterministic, the safety hooks every run gets, and --resume taking the checkpoint's
seed."""
import importlib.util
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

from tests.helpers.tools import REPO_ROOT


@pytest.fixture(scope='module')
def train_tool():
    spec = importlib.util.spec_from_file_location('mmkd_tools_train', osp.join(REPO_ROOT, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_safety_hooks_are_added_once(train_tool):
    cfg = Config(dict(custom_hooks=[dict(type='NonFiniteLossHook', interval=5)]))
    train_tool.add_safety_hooks(cfg)
    types = [hook['type'] for hook in cfg.custom_hooks]
    assert types == ['NonFiniteLossHook', 'mmkd.RNGStateHook', 'mmkd.SegLabelCheckHook']
    assert cfg.custom_hooks[0]['interval'] == 5  # the config's own settings stay
    train_tool.add_safety_hooks(cfg)
    assert len(cfg.custom_hooks) == 3


def test_resume_reads_the_seed_of_the_last_checkpoint(train_tool, tmp_path):
    torch.save({'meta': {'seed': 1234, 'iter': 20}, 'state_dict': {}}, tmp_path / 'iter_20.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_20.pth'))
    cfg = Config(dict(work_dir=str(tmp_path), load_from=None))
    assert train_tool.checkpoint_to_resume(cfg) == str(tmp_path / 'iter_20.pth')
    assert train_tool.seed_of_checkpoint(train_tool.checkpoint_to_resume(cfg)) == 1234
    assert train_tool.checkpoint_to_resume(Config(dict(work_dir=str(tmp_path), load_from='x.pth'))) == 'x.pth'
    resumed = Config(dict(work_dir=str(tmp_path), load_from=None, resume=True, randomness=dict(seed=None)))
    train_tool.apply_randomness(resumed, seed=None, deterministic=False)
    assert resumed.randomness == dict(seed=1234)
    train_tool.apply_randomness(resumed, seed=5, deterministic=False)  # an explicit --seed wins
    assert resumed.randomness.seed == 5


def test_seed_and_deterministic_flags(train_tool, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['train.py', 'cfg.py', '--seed', '7', '--deterministic'])
    args = train_tool.parse_args()
    assert args.seed == 7 and args.deterministic
    cfg = Config()
    train_tool.apply_randomness(cfg, args.seed, args.deterministic)
    assert cfg.randomness == dict(seed=7, deterministic=True)
