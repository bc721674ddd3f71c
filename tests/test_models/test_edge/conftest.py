# Copyright (c) mmkd contributors. All rights reserved.
import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def mmkd_default_scope():
    """Bare type names in these tests (``type='RCF'``) mean mmkd's modules, as in a config with
    ``default_scope='mmkd'``. Other test modules (mmseg/mmdet runners) leave mmengine's default scope at ``mmseg`` or
    ``mmdet``, where a bare name is looked up in that package's registry instead; mmkd's configs and defaults always
    say ``mmkd.<Name>``."""
    with DefaultScope.overwrite_default_scope('mmkd'):
        yield
