# Copyright (c) mmkd contributors. All rights reserved.
"""Checkpoints are untrusted input: weights_only=True with an allow-list, everywhere mmengine loads them."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader, load_checkpoint

import mmkd  # noqa: F401
from mmkd.utils import UnsafeCheckpointError, load_url_checkpoint, safe_torch_load


class _Payload:
    """Unpickling this creates ``marker`` through builtins.open: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


@pytest.fixture
def malicious_checkpoint(tmp_path):
    marker = tmp_path / 'payload_ran'
    path = tmp_path / 'malicious.pth'
    torch.save({'state_dict': {'weight': torch.ones(2)}, 'meta': _Payload(str(marker))}, path)
    return path, marker


def _mmengine_style_checkpoint():
    """What mmengine's Runner.save_checkpoint writes: tensors, numpy, HistoryBuffer in message_hub."""
    hub = MessageHub.get_instance('mmkd_test_checkpoint')
    for value in (1.0, 0.5, 0.25):
        hub.update_scalar('train/loss', value)
    hub.update_scalar('train/lr', np.float64(0.01))
    hub.update_info('iter', 3)
    return {
        'meta': {'iter': 3, 'epoch': 0, 'seed': 0, 'dataset_meta': {'classes': ('road', 'car')},
                 'mmengine_version': '0.10.7'},
        'state_dict': {'conv.weight': torch.randn(2, 3, 1, 1)},
        'message_hub': hub.state_dict(),
        'optimizer': {'state': {}, 'param_groups': [{'lr': 0.01, 'params': [0]}]},
        'param_schedulers': [{'last_step': 3, 'base_values': [0.01], 'by_epoch': False}],
    }


def test_mmengine_checkpoint_round_trip(tmp_path):
    path = tmp_path / 'iter_3.pth'
    torch.save(_mmengine_style_checkpoint(), path)
    loaded = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == 0.25 and buffer.mean() == pytest.approx(1.75 / 3)
    assert loaded['meta']['dataset_meta']['classes'] == ('road', 'car')


@pytest.mark.parametrize('force_unsafe_env', [False, True])
def test_malicious_checkpoint_is_refused_and_never_runs(malicious_checkpoint, monkeypatch, force_unsafe_env):
    path, marker = malicious_checkpoint
    if force_unsafe_env:
        # the env switch must not reopen the door: mmkd passes weights_only=True explicitly
        monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(UnsafeCheckpointError, match='malicious.pth') as info:
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert 'io.open' in str(info.value)  # builtins.open is io.open
    assert not marker.exists()
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(torch.nn.Linear(1, 2), str(path))
    with pytest.raises(pickle.UnpicklingError):  # it is an UnpicklingError subclass, for callers catching that
        safe_torch_load(str(path))
    assert not marker.exists()


def test_missing_checkpoint_names_the_path(tmp_path):
    missing = tmp_path / 'nope' / 'iter_600.pth'
    with pytest.raises(FileNotFoundError, match='nope/iter_600.pth'):
        CheckpointLoader.load_checkpoint(str(missing))


def test_url_checkpoints_are_loaded_weights_only(tmp_path, malicious_checkpoint):
    import mmengine.runner.checkpoint as mmengine_checkpoint
    assert mmengine_checkpoint.load_url is load_url_checkpoint

    good = tmp_path / 'good.pth'
    torch.save(_mmengine_style_checkpoint(), good)
    # urllib serves file:// URLs, so the download-then-load path runs without a network.
    loaded = load_url_checkpoint(good.as_uri(), model_dir=str(tmp_path / 'cache'))
    assert torch.equal(loaded['state_dict']['conv.weight'], torch.load(good, weights_only=False)['state_dict']
                       ['conv.weight'])
    assert os.path.isfile(tmp_path / 'cache' / 'good.pth')

    path, marker = malicious_checkpoint
    with pytest.raises(UnsafeCheckpointError, match='file://'):
        load_url_checkpoint(path.as_uri(), model_dir=str(tmp_path / 'cache'))
    assert not marker.exists()
