# Copyright (c) mmkd contributors. All rights reserved.
"""End to end on CPU: one RM + PFI distillation iteration of each of the four detectors on the synthetic COCO,
then evaluation with mmdet's CocoMetric, through mmengine's Runner on the repository's row configs.

The row config supplies algorithm, distiller, losses, optimiser and runtime; only data, schedule and the models' weight
initialisation are replaced: 4 training / 3 validation images at 96 px, one iteration, no ImageNet or teacher weights
(nothing can be downloaded here). Teachers: RetinaNet's is the row's real R50; the others use the R18 student
architecture as teacher to keep the test short (the pairing code is the same).
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests.helpers.det_models import PAIRS, detector_model_cfg
from tests.helpers.tools import REPO_ROOT

pytestmark = pytest.mark.slow

OVERRIDES = '''
_base_ = ['{row}']
data_root = '{data_root}/'
train_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(96, 96), keep_ratio=True), dict(type='PackDetInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='Resize', scale=(96, 96), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data_root, pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=True)))
val_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=1, val_interval=100)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(by_epoch=False, interval=100))
log_processor = dict(by_epoch=False)
'''


class SnapshotBeforeFirstIteration(Hook):
    """Copies student and teacher weights after the runner initialised them, just before the first iteration."""

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if batch_idx == 0:
            model = runner.model
            self.student = {k: v.clone() for k, v in model.student.state_dict().items()}
            self.teacher = {k: v.clone() for k, v in model.teacher.state_dict().items()}


@pytest.fixture(scope='module')
def synthetic_coco(tmp_path_factory):
    from mmkd.testing.synthetic import generate_synthetic_coco
    root = tmp_path_factory.mktemp('data') / 'coco'
    generate_synthetic_coco(str(root), num_train=4, num_val=3, seed=0)
    return str(root)


@pytest.mark.parametrize('family', list(PAIRS))
def test_one_rm_pfi_iteration_then_coco_metric(family, synthetic_coco, tmp_path):
    row = osp.join(REPO_ROOT, 'configs', 'rm_pfi', f'rm-pfi_{family}-r50_{family}-r18_8xb2-1x_coco.py')
    config = tmp_path / 'row.py'
    config.write_text(OVERRIDES.format(row=row, data_root=synthetic_coco))
    cfg = Config.fromfile(str(config))
    student, teacher = PAIRS[family]
    cfg.model.architecture = detector_model_cfg(student)
    cfg.model.architecture.test_cfg.score_thr = 0.0  # an untrained detector's scores are below mmdet's 0.05
    cfg.model.teacher = detector_model_cfg(teacher if family == 'retinanet' else student)
    cfg.model.teacher_ckpt = None
    cfg.work_dir = str(tmp_path / 'work')

    runner = Runner.from_cfg(cfg)
    snapshot = SnapshotBeforeFirstIteration()
    runner.register_hook(snapshot)
    runner.train()
    hub = runner.message_hub
    for key in ('distill.loss_rm', 'distill.loss_pfi', 'loss'):
        value = hub.get_scalar(f'train/{key}').current()
        assert torch.isfinite(torch.tensor(value)) and value > 0, (key, value)
    changed = [k for k, v in runner.model.student.state_dict().items() if not torch.equal(v, snapshot.student[k])]
    assert any(k.startswith('neck.') for k in changed) and any(k.startswith('bbox_head.') for k in changed)
    assert all(torch.equal(v, snapshot.teacher[k]) for k, v in runner.model.teacher.state_dict().items())

    metrics = runner.val()
    assert 0.0 <= metrics['coco/bbox_mAP'] <= 1.0
