# Copyright (c) mmkd contributors. All rights reserved.
"""configs/_base_/distill/ is grouped by task (seg/, det/, edge/, as mmrazor groups its bases), and the edge KD rows
take their algorithm, RCF teacher and teacher checkpoint from the one edge skeleton (text checks: cheap)."""
import glob
import os
import os.path as osp
import re

from mmengine.config import Config

from tests.helpers.tools import REPO_ROOT

DISTILL = osp.join(REPO_ROOT, 'configs', '_base_', 'distill')
SKELETON = '../_base_/distill/edge/edge_kd_algorithm.py'


def test_distill_bases_are_grouped_by_task():
    assert sorted(os.listdir(DISTILL)) == ['det', 'edge', 'seg']
    # every row reaches its distillation bases through its task's folder
    found = 0
    for row in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*.py')):
        with open(row) as f:
            for path in re.findall(r"'(?:\.\./)+_base_/distill/([^']+)'", f.read()):
                assert path.split('/')[0] in ('seg', 'det', 'edge') and osp.isfile(osp.join(DISTILL, path)), row
                found += 1
    # 125 seg rows x 2 bases, 5 demo rows x 2, 2 SOLOv2 rows (3 bases), 29 RM + PFI rows, 2 edge rows
    assert found == 250 + 10 + 3 + 29 + 2


def test_edge_kd_rows_share_the_skeleton():
    rows = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'edge', 'k[ad]_*.py')))
    assert len(rows) == 3
    skeleton = Config.fromfile(osp.join(DISTILL, 'edge', 'edge_kd_algorithm.py'))
    for row in rows:
        with open(row) as f:
            text = f.read()
        # the row states neither the algorithm type nor the teacher checkpoint: they come from the skeleton
        assert "type='mmkd.CheckedSingleTeacherDistill'" not in text and 'work_dirs/rcf_' not in text, row
        cfg = Config.fromfile(row)
        assert cfg.model.type == skeleton.distill_algorithm.type == 'mmkd.CheckedSingleTeacherDistill'
        assert cfg.find_unused_parameters is True
        if 'kd_hed' in row:  # the HED variant replaces the teacher, through the RCF row
            assert SKELETON not in text and cfg.model.teacher_ckpt == 'checkpoints/hed_bsds500.pth'
        else:
            assert SKELETON in text and cfg.model.teacher == skeleton.distill_algorithm.teacher, row
            assert cfg.model.teacher_ckpt == 'work_dirs/rcf_vgg16_1xb1-900e_bsds/epoch_900.pth'
