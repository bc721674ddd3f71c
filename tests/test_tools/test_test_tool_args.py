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


def test_distillation_checkpoint_needs_no_teacher_ckpt(test_tool, tmp_path):
    cfg = Config(dict(model=dict(type='mmkd.CheckedSingleTeacherDistill', teacher_ckpt=str(tmp_path / 'gone.pth'))))
    test_tool.skip_teacher_checkpoint(cfg)
    assert cfg.model.teacher_ckpt is None


def test_prediction_pngs_label_ids_colours_train_ids(tmp_path):
    import numpy as np

    from mmkd.engine.hooks import SegPredictionWriterHook
    from mmkd.engine.hooks.seg_prediction_writer_hook import CITYSCAPES_TRAIN_TO_LABEL_ID
    train_ids = np.array([[0, 1, 18], [13, 255, 5]])
    hook = SegPredictionWriterHook(str(tmp_path), out_format='labelid')
    # cityscapesScripts labels.py: road 7, sidewalk 8, bicycle 33, car 26, pole 17; ignore -> 0 (unlabeled)
    assert np.array(hook.encode(train_ids)).tolist() == [[7, 8, 33], [26, 0, 17]]
    assert len(CITYSCAPES_TRAIN_TO_LABEL_ID) == 19
    hook = SegPredictionWriterHook(str(tmp_path), out_format='color')
    hook.palette = np.array([[128, 64, 128], [244, 35, 232]] + [[i, i, i] for i in range(2, 19)], dtype=np.uint8)
    colour = np.array(hook.encode(np.array([[0, 1]])))
    assert colour.tolist() == [[[128, 64, 128], [244, 35, 232]]]
    assert np.array(SegPredictionWriterHook(str(tmp_path), 'trainid').encode(train_ids)).tolist() == \
        train_ids.tolist()
    with pytest.raises(ValueError, match='out_format'):
        SegPredictionWriterHook(str(tmp_path), 'jpeg')
