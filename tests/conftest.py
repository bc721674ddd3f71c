# Copyright (c) mmkd contributors. All rights reserved.
import pytest

import mmkd  # noqa: F401  (compat layer first: test modules may import mmrazor directly)
from tests.helpers.tools import REPO_ROOT


@pytest.fixture(scope='session')
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture(scope='session')
def synthetic_city(tmp_path_factory) -> str:
    """A small synthetic city (Cityscapes layout), generated once per test session."""
    from mmkd.testing.synthetic import generate_synthetic_cityscapes
    root = str(tmp_path_factory.mktemp('data') / 'synthetic_city')
    generate_synthetic_cityscapes(root, num_train=8, num_val=4, seed=0)
    return root
