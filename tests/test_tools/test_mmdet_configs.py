# Copyright (c) mmkd contributors. All rights reserved.
"""tools/train.py and tools/test.py on an mmdet-scoped config (RetinaNet-R18 from mmdet) and the synthetic COCO."""
import sys

import pytest

from tests.helpers.tools import run_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def synthetic_coco(tmp_path_factory):
    from mmkd.testing.synthetic import generate_synthetic_coco
    root = tmp_path_factory.mktemp('data') / 'coco'
    generate_synthetic_coco(str(root), num_train=4, num_val=3, seed=0)
    return str(root)


def test_retinanet_train_then_test_with_eval_bbox(tmp_path, synthetic_coco):
    config = tmp_path / 'retinanet_r18_synthcoco.py'
    config.write_text(f'''
_base_ = ['mmdet::retinanet/retinanet_r18_fpn_1x_coco.py']
custom_imports = dict(imports=['mmkd'])
data_root = '{synthetic_coco}/'
# no downloads here: random init instead of torchvision://resnet18; keep every score so an untrained
# detector still yields detections for CocoMetric to score
model = dict(backbone=dict(init_cfg=None), test_cfg=dict(score_thr=0.0))
pipeline = [
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(224, 160), keep_ratio=True), dict(type='PackDetInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='Resize', scale=(224, 160), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    data_root=data_root, pipeline=pipeline, filter_cfg=dict(filter_empty_gt=False)))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(data_root=data_root,
                      pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
''')
    work_dir = tmp_path / 'work'
    result = run_tool([sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir)])
    assert result.returncode == 0, result.stderr[-5000:]
    log = result.stdout + result.stderr
    assert 'loss_cls' in log and 'loss_bbox' in log
    assert 'coco/bbox_mAP' in log
    result = run_tool([sys.executable, 'tools/test.py', str(config), str(work_dir / 'epoch_1.pth'), '--eval', 'bbox',
                       '--work-dir', str(tmp_path / 'test')])
    assert result.returncode == 0, result.stderr[-5000:]
    assert 'coco/bbox_mAP' in result.stdout + result.stderr
