# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd used from an outside project, as the README shows: configs inheriting mmkd's through ``mmkd::`` train (one
iteration each: the segmentation demo, an edge row, a detection distillation row with the user's own student and
teacher config files as plain ``cfg_path``), and missing configs / datasets are errors that say what to do."""
import os.path as osp

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmkd.engine.runner_setup import check_dataset_folders, load_run_config
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)

NO_EVAL = '''
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
'''


def train_one_iteration(config_file, work_dir):
    cfg = load_run_config(str(config_file), work_dir=str(work_dir))
    cfg.experiment_name = osp.basename(str(config_file))[:-3]
    cfg.log_level = 'WARNING'
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        runner = Runner.from_cfg(cfg)
        runner.train()
    return {key: buffer.current() for key, buffer in runner.message_hub.log_scalars.items()
            if key.startswith('train/') and 'loss' in key}


def test_demo_config_through_mmkd_prefix(tmp_path, synthetic_city):
    config = tmp_path / 'my_student.py'
    config.write_text(f'''
_base_ = ['mmkd::demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py']
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{synthetic_city}'))
train_cfg = dict(max_iters=1, val_interval=100)
default_hooks = dict(checkpoint=dict(interval=100), logger=dict(interval=1))
''' + NO_EVAL)
    losses = train_one_iteration(config, tmp_path / 'work')
    assert torch.isfinite(torch.tensor(losses['train/decode.loss_ce'])) and losses['train/decode.loss_ce'] > 0


def test_edge_config_through_mmkd_prefix(tmp_path):
    from mmkd.testing.synthetic.bsds import generate_synthetic_bsds
    root = str(tmp_path / 'bsds')
    generate_synthetic_bsds(root, num_train=1, num_test=1, height=48, width=72, seed=1)
    config = tmp_path / 'my_edge.py'
    config.write_text(f'''
_base_ = ['mmkd::edge/so-model_mobilenetv2_1xb1-900e_bsds.py']
load_from = None
train_dataloader = dict(num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}', ann_file='HED-BSDS/train_pair.lst', indices=1))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=100), logger=dict(interval=1))
''' + NO_EVAL)
    losses = train_one_iteration(config, tmp_path / 'work')
    assert losses['train/loss'] > 0


def test_detection_distillation_through_mmkd_prefix_with_own_model_files(tmp_path):
    from mmkd.testing.synthetic import generate_synthetic_coco
    root = str(tmp_path / 'coco')
    generate_synthetic_coco(root, num_train=2, num_val=1, height=96, width=128, seed=0)
    # the user's own student and teacher files (plain cfg_path, relative to the config): small, no downloads
    for name, base, depth in (('student', 'retinanet_r18_fpn_8xb2-1x_coco.py', 18),
                              ('teacher', 'retinanet_r50_fpn_8xb2-1x_coco.py', 50)):
        (tmp_path / f'{name}.py').write_text(f'''
_base_ = ['mmkd::rm_pfi/detectors/{base}']
model = dict(backbone=dict(init_cfg=None, base_channels=16), neck=dict(in_channels={
    [16 * (1 if depth == 18 else 4) * 2**i for i in range(4)]}, out_channels=32),
             bbox_head=dict(in_channels=32, feat_channels=32, stacked_convs=1))
''')
    config = tmp_path / 'my_rm.py'
    config.write_text(f'''
_base_ = ['mmkd::rm_pfi/rm_retinanet-r50_retinanet-r18_8xb2-1x_coco.py']
model = dict(architecture=dict(_delete_=True, cfg_path='student.py', pretrained=False),
             teacher=dict(_delete_=True, cfg_path='teacher.py', pretrained=False), teacher_ckpt=None)
pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
            dict(type='Resize', scale=(128, 96), keep_ratio=True), dict(type='PackDetInputs')]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{root}/', pipeline=pipeline, filter_cfg=dict(filter_empty_gt=False)))
train_cfg = dict(max_epochs=1, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=100), logger=dict(interval=1))
''' + NO_EVAL)
    losses = train_one_iteration(config, tmp_path / 'work')
    assert losses['train/distill.loss_rm'] > 0 and losses['train/student.loss_cls'] > 0


def test_missing_config_suggests_the_nearest_rows():
    with pytest.raises(FileNotFoundError) as error:
        load_run_config('configs/bpkd/pspnet_r101_r18_cityscapes.py')
    message = str(error.value)
    assert message.startswith("No such config: 'configs/bpkd/pspnet_r101_r18_cityscapes.py'")
    assert 'Did you mean' in message
    assert 'configs/bpkd/bpkd_pspnet-r101-d8_pspnet-r18-d8_4xb2-80k_cityscapes-512x1024.py' in message


def test_missing_dataset_folder_points_at_the_readme(tmp_path):
    from mmengine.config import Config
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='RepeatDataset', times=2, dataset=dict(type='CityscapesDataset', data_root=str(tmp_path / 'nope'))))))
    with pytest.raises(FileNotFoundError) as error:
        check_dataset_folders(cfg, ('train_dataloader', 'val_dataloader'))
    message = str(error.value)
    assert 'train_dataloader.dataset.dataset.data_root' in message and 'nope' in message
    assert 'Preparing real datasets' in message and 'README.md' in message
