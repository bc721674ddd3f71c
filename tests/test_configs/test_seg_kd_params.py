# Copyright (c) mmkd contributors. All rights reserved.
"""Parameter counts of the segmentation teacher and student rows equal the published tables' ``params_m``.

BPKD's tables count the whole segmentor **with the auxiliary head, at ADE20K's 150 classes**, and repeat that figure for
every dataset (PSPNet-R101-D8: 68.07 M with 150 classes, 67.97 M with Cityscapes' 19). So every row is built (on the
meta device: no memory, no initialisation) with its heads set to 150 classes and compared within 0.01 M. The 40k rows
(BPKD supplementary Table 2) and the Table 1 student change only schedule, crops, test windows or initialisation of
the 80k student, so the 80k students and the teachers cover every architecture; one 40k row checks that claim.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmkd  # noqa: F401
from tests.helpers.seg_kd_table import gen, paper_lines
from tests.helpers.tools import REPO_ROOT

ADE20K_CLASSES = 150
# The one row whose architecture the tables do not count: BPKD's Cityscapes config of DeepLabV3+-MobileNetV2 has
# decode/auxiliary heads of 128/64 channels; the tables' 15.35 M is the 512/256 model (ADE20K, Pascal Context).
MV2_CITYSCAPES = 'mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024'
# Measured at 150 classes (heads 128/64; the 512-channel ASPP of 512/256 is most of 15.35 M).
MV2_CITYSCAPES_PARAMS_M = 2.89


def _millions(config: str, num_classes: int = ADE20K_CLASSES, **head_changes) -> float:
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'seg_baselines', config + '.py'))
    init_default_scope('mmseg')
    model_cfg = cfg.model
    for head in ('decode_head', 'auxiliary_head'):
        if model_cfg.get(head):
            model_cfg[head].update(num_classes=num_classes, **head_changes.get(head, {}))
    model_cfg.pop('pretrained', None)
    with torch.device('meta'):
        model = MODELS.build(model_cfg)
    return sum(p.numel() for p in model.parameters()) / 1e6


def _architecture_rows():
    """(config, CSV params_m) of every teacher and 80k student row."""
    result = []
    for row in gen().rows():
        if row.method == 'teacher' or (row.method == 'student' and row.setting.spec['iters'] == 80):
            result.append((row.name, float(row.lines[0]['params_m'])))
    return result


ROWS = _architecture_rows()


def test_rows_cover_every_teacher_and_student():
    assert len(ROWS) == 24  # 12 teachers (one per pair and dataset) + 12 students at 80k
    assert all(len(line['params_m']) for line in paper_lines() if line['student_pretrained'] == 'imagenet')


@pytest.mark.parametrize('config,params_m', ROWS, ids=[name for name, _ in ROWS])
def test_parameter_count_matches_table(config, params_m):
    counted = _millions(config)
    if config == MV2_CITYSCAPES:
        assert counted == pytest.approx(MV2_CITYSCAPES_PARAMS_M, abs=0.01)
        # the tables' figure is the same model with mmseg's 512 / 256 heads
        wide = _millions(config, decode_head=dict(channels=512), auxiliary_head=dict(channels=256))
        assert wide == pytest.approx(params_m, abs=0.01)
    else:
        assert counted == pytest.approx(params_m, abs=0.01), f'{config}: {counted:.3f} M, table {params_m} M'


def test_isanet_r18_isa_channels_is_what_the_table_counts():
    """isa_channels=64 (the rows' former choice) gives 12.11 M, not the tables' 12.46 M."""
    config = 'isanet_r18-d8_4xb2-80k_cityscapes-512x1024'
    assert _millions(config, decode_head=dict(isa_channels=64)) == pytest.approx(12.11, abs=0.01)


def test_derived_rows_keep_the_architecture():
    """A 40k Pascal Context row (crops and test windows changed) and the Table 1 student count as their 80k row."""
    assert _millions('pspnet_r18-d8_4xb4-40k_pascal-context-59-512x512') == pytest.approx(
        _millions('pspnet_r18-d8_4xb4-80k_pascal-context-59-480x480'), abs=1e-6)
    assert _millions('pspnet_r18-d8-scratch_4xb4-40k_ade20k-512x512') == pytest.approx(12.82, abs=0.01)
