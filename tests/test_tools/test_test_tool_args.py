# Copyright (c) mmkd contributors. All rights reserved.
"""tools/test.py: mmseg-0.x / mmdet-2.x ``--eval`` names map to 1.x/3.x evaluators."""
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from tests.helpers.tools import REPO_ROOT


@pytest.fixture(scope='module')
def test_tool():
    spec = importlib.util.spec_from_file_location('mmkd_tools_test', osp.join(REPO_ROOT, 'tools', 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seg_metrics(test_tool):
    evaluator = test_tool.evaluator_from_eval_arg(['mIoU', 'mDice'], Config())
    assert evaluator.type == 'mmseg.IoUMetric' and evaluator.iou_metrics == ['mIoU', 'mDice']


def test_det_metrics(test_tool):
    cfg = Config(dict(test_dataloader=dict(dataset=dict(data_root='data/coco/',
                                                        ann_file='annotations/instances_val2017.json'))))
    evaluator = test_tool.evaluator_from_eval_arg(['bbox', 'segm'], cfg)
    assert evaluator.type == 'mmdet.CocoMetric' and evaluator.metric == ['bbox', 'segm']
    assert evaluator.ann_file == 'data/coco/annotations/instances_val2017.json'


def test_unknown_or_mixed_metrics(test_tool):
    with pytest.raises(ValueError, match='mAP50'):
        test_tool.evaluator_from_eval_arg(['mAP50'], Config())
    with pytest.raises(ValueError, match='not a mix'):
        test_tool.evaluator_from_eval_arg(['mIoU', 'bbox'], Config())
