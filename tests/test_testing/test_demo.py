# Copyright (c) mmkd contributors. All rights reserved.
"""The demo shows that it is moving: a log line every 20 iterations, and a progress bar while it generates data."""
import pytest

from mmkd.testing.demo import STUDENT_CONFIG, demo_stage_config, ensure_synthetic_city


@pytest.mark.parametrize('iters,interval', [(600, 20), (2800, 20), (60, 2), (4, 1)])
def test_log_interval(tmp_path, iters, interval):
    cfg = demo_stage_config(STUDENT_CONFIG, str(tmp_path / 'w'), str(tmp_path / 'd'), iters)
    assert cfg.default_hooks.logger.interval == interval


def test_data_generation_shows_progress(tmp_path, capsys):
    ensure_synthetic_city(str(tmp_path / 'city'), num_train=2, num_val=1, seed=0)
    err = capsys.readouterr().err
    assert 'synthetic cityscapes train: 2 images' in err and '2/2' in err
