# Copyright (c) mmkd contributors. All rights reserved.
"""tools/misc/print_config.py prints the merged config (bases resolved, --cfg-options applied) and can dump it."""
import os.path as osp

from mmengine.config import Config

from tests.helpers.tools import REPO_ROOT, run_tool

TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'print_config.py')
CONFIG = 'configs/rm_pfi/rm-pfi_fcos-r50_fcos-r18_8xb2-1x_coco.py'


def test_prints_merged_config_with_options_and_dumps_it(tmp_path):
    out = tmp_path / 'merged.py'
    result = run_tool(['python', TOOL, CONFIG, '--cfg-options', 'model.teacher_ckpt=/my/teacher.pth',
                       'train_cfg.max_epochs=3', '--out', str(out)])
    assert result.returncode == 0, result.stderr[-2000:]
    text = result.stdout
    assert text.startswith(f'Config (path: {CONFIG}):')
    # Merged from the bases: the detection pair's distiller and the option values.
    assert "type='mmkd.DenseDetectorDistill'" in text and "teacher_ckpt='/my/teacher.pth'" in text
    assert 'max_epochs=3' in text and '_base_' not in text
    dumped = Config.fromfile(str(out))
    original = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    assert dumped.model.teacher_ckpt == '/my/teacher.pth' and dumped.train_cfg.max_epochs == 3
    assert dumped.model.distiller == original.model.distiller


def test_missing_config_is_a_clear_error():
    result = run_tool(['python', TOOL, 'configs/no_such_config.py'])
    assert result.returncode == 2 and "config file 'configs/no_such_config.py' does not exist" in result.stderr
