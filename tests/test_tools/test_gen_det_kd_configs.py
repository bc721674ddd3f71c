# Copyright (c) mmkd contributors. All rights reserved.
"""tools/misc/gen_det_kd_configs.py: the committed detection pair bases are what the generator writes (drift test),
a drifted or stale file is reported and fixed by a run, every RM + PFI row uses a pair of the table, and a teacher
marked released must be mmdet's config unchanged."""
import glob
import importlib.util
import os.path as osp
import re
import shutil

import pytest

from tests.helpers.tools import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'gen_det_kd_configs.py')
PAIR = 'configs/_base_/distill/det/pairs/gfl-r50_gfl-r18_8xb2-1x_coco.py'


def _load_generator(root: str):
    """A fresh instance of the generator module working on the tree at ``root``."""
    spec = importlib.util.spec_from_file_location('gen_det_kd_configs_under_test', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.REPO_ROOT = root
    return module


@pytest.fixture()
def tree(tmp_path):
    """A copy of the generator's inputs and outputs (configs/rm_pfi/, configs/_base_/distill/det/)."""
    for folder in ('configs/rm_pfi', 'configs/_base_/distill/det'):
        shutil.copytree(osp.join(REPO_ROOT, folder), tmp_path / folder)
    return str(tmp_path)


def test_committed_pair_bases_are_generated():
    changed, stale = _load_generator(REPO_ROOT).differences()
    assert not changed and not stale, (
        f'files differ from tools/misc/gen_det_kd_configs.py: {changed}; stale: {stale}. Edit the generator\'s table '
        'and run it, do not edit generated files.')


def test_every_row_uses_a_pair_of_the_table_and_every_pair_is_used():
    gen = _load_generator(REPO_ROOT)
    used = set()
    for row in glob.glob(osp.join(REPO_ROOT, 'configs', 'rm_pfi', '*.py')):
        with open(row) as f:
            bases = re.findall(r"'\.\./_base_/distill/det/pairs/(.+)\.py'", f.read())
        assert len(bases) == 1 and bases[0] in gen.PAIRS, row
        used.add(bases[0])
    assert used == set(gen.PAIRS) and len(gen.PAIRS) == 9


def test_generated_text():
    gen = _load_generator(REPO_ROOT)
    text = gen.all_files()[PAIR]
    # the paper's teacher AP (rm_pfi_tables.csv, Table 1 GFL R50: 39.9) beside mmdet's (its metafile: 40.2)
    assert "# Teacher: mmdet's released gfl_r50_fpn_1x_coco, 40.2 AP (the paper's Table 1 teacher: 39.9);" in text
    assert text.endswith(
        "teacher_ckpt = 'https://download.openmmlab.com/mmdetection/v2.0/gfl/gfl_r50_fpn_1x_coco/"
        "gfl_r50_fpn_1x_coco_20200629_121244-25944287.pth'\n"
        'model = dict(\n    _base_.distill_algorithm,\n    _delete_=True,\n'
        '    architecture=dict(cfg_path=student_cfg_path, pretrained=False),\n'
        '    teacher=dict(cfg_path=teacher_cfg_path, pretrained=False),\n'
        '    teacher_ckpt=teacher_ckpt)\n')
    unreleased = gen.all_files()['configs/_base_/distill/det/pairs/retinanet-r152_retinanet-r50_8xb2-2x_coco.py']
    assert "teacher_ckpt = 'checkpoints/retinanet_r152_fpn_8xb2-2x_coco.pth'\n" in unreleased
    assert "(the paper's Table 6 teacher: 40.1 AP)" in unreleased


def test_drift_and_stale_files_are_reported_and_fixed(tree):
    gen = _load_generator(tree)
    assert gen.differences() == ([], [])
    with open(osp.join(tree, PAIR), 'a') as f:  # a hand edit of a generated pair base
        f.write("teacher_ckpt = 'checkpoints/mine.pth'\n")
    stale = 'configs/_base_/distill/det/pairs/retinanet-r18_retinanet-r18_8xb2-1x_coco.py'
    shutil.copy(osp.join(tree, PAIR), osp.join(tree, stale))  # a pair the table no longer has
    assert gen.differences() == ([PAIR], [stale])
    assert gen.main(['--check']) == 1
    assert gen.main([]) == 0  # rewrites and removes
    assert gen.differences() == ([], []) and not osp.exists(osp.join(tree, stale))
    assert gen.main(['--check']) == 0


def test_a_released_teacher_must_be_mmdets_config_unchanged(tree):
    gen = _load_generator(tree)
    row = osp.join(tree, 'configs', 'rm_pfi', 'detectors', 'gfl_r50_fpn_8xb2-1x_coco.py')
    with open(row, 'a') as f:
        f.write('model = dict(backbone=dict(depth=101))\n')
    with pytest.raises(ValueError, match=r'gfl_r50_fpn_8xb2-1x_coco\.py: released=True needs the teacher row to be '
                                         r"mmdet's config unchanged"):
        gen.all_files()
