# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd.utils.add_safe_globals: a user's own class in a checkpoint is refused until registered, then loads."""
import dataclasses

import pytest
import torch
from mmengine.runner import CheckpointLoader

import mmkd  # noqa: F401  (replaces mmengine's checkpoint loading)
from mmkd.utils import UnsafeCheckpointError, add_safe_globals, checkpoint
from mmkd.utils.checkpoint import checkpoint_safe_globals


@dataclasses.dataclass
class RunInfo:
    """What a user's project might store in a checkpoint's ``meta``."""
    epoch: int
    tag: str


@pytest.fixture
def user_allow_list(monkeypatch):
    """An empty user allow-list for the test, restored afterwards (the real one is process-wide)."""
    monkeypatch.setattr(checkpoint, '_USER_SAFE_GLOBALS', [])


def test_user_class_refused_then_loaded_after_registering(tmp_path, user_allow_list):
    path = str(tmp_path / 'user.pth')
    torch.save({'state_dict': {'w': torch.arange(3.)}, 'meta': {'run': RunInfo(7, 'student')}}, path)
    with pytest.raises(UnsafeCheckpointError, match=r'test_add_safe_globals\.RunInfo'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')  # mmengine's entry point, mmkd's loader

    add_safe_globals([RunInfo])
    loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert loaded['meta']['run'] == RunInfo(7, 'student')
    assert loaded['state_dict']['w'].tolist() == [0.0, 1.0, 2.0]
    # Registering twice keeps one entry; the built-in list is untouched.
    add_safe_globals([RunInfo])
    assert checkpoint_safe_globals().count(RunInfo) == 1


def test_bad_entries_are_rejected(user_allow_list):
    with pytest.raises(TypeError, match=r'add_safe_globals\(\[RunInfo\]\)'):
        add_safe_globals(RunInfo)
    with pytest.raises(TypeError, match='not a class, a function'):
        add_safe_globals(['RunInfo'])
    assert checkpoint._USER_SAFE_GLOBALS == []
