# Copyright (c) mmkd contributors. All rights reserved.
"""One training iteration of every segmentation KD method through tools/train.py, on the synthetic city, CPU."""
import glob
import os.path as osp
import sys

import pytest

from mmkd.utils import safe_torch_load
from tests.helpers.tools import REPO_ROOT, city_cfg_options, run_tool

pytestmark = pytest.mark.slow

METHOD_CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*synthcity*.py'))
    if '/demo/' not in path)
EXPECTED_LOSSES = {
    'cwd': ['distill.loss_cwd'],
    'bpkd': ['distill.loss_bpkd_edge', 'distill.loss_bpkd_body'],
    'skds': ['distill.loss_pixel', 'distill.loss_pair', 'distill.loss_adv', 'disc.loss_d'],
    'ifvd': ['distill.loss_ifv'],
    'cirkd': ['distill.loss_minibatch', 'distill.loss_memory'],
}


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory, synthetic_city):
    work_dir = tmp_path_factory.mktemp('teacher')
    teacher_config = 'configs/demo/pspnet_r18-w32-d8_1xb4-600i_synthcity-128x256.py'
    result = run_tool([sys.executable, 'tools/train.py', teacher_config, '--work-dir', str(work_dir),
                       '--cfg-options', *city_cfg_options(synthetic_city, 1)])
    assert result.returncode == 0, result.stderr[-3000:]
    return str(work_dir / 'iter_1.pth')


def test_every_method_has_a_demo_config():
    assert {path.split('/')[1] for path in METHOD_CONFIGS} == set(EXPECTED_LOSSES)


@pytest.mark.parametrize('config', METHOD_CONFIGS)
def test_one_training_iteration(config, tmp_path, synthetic_city, teacher_ckpt):
    result = run_tool([sys.executable, 'tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options',
                       *city_cfg_options(synthetic_city, 1), f'model.teacher_ckpt={teacher_ckpt}'])
    assert result.returncode == 0, result.stderr[-5000:]
    log = result.stdout + result.stderr
    method = config.split('/')[1]
    for loss_name in EXPECTED_LOSSES[method] + ['student.decode.loss_ce']:
        assert f'{loss_name}: ' in log, (loss_name, log[-2000:])
    assert 'nan' not in log.split('Iter(train)')[-1].split('\n')[0].lower()
    checkpoint = safe_torch_load(str(tmp_path / 'iter_1.pth'))
    assert checkpoint['meta']['iter'] == 1
