# Copyright (c) mmkd contributors. All rights reserved.
"""Every edge config (configs/edge/) trains one iteration on the synthetic BSDS on CPU; the distillation rows send
gradients only into the student (and the adaptation projections); the recipes say what the seed says."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope
from mmengine.runner import Runner

from mmkd.testing.synthetic.bsds import generate_synthetic_bsds
from tests.helpers.tools import REPO_ROOT
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)

EDGE_CONFIGS = sorted(osp.relpath(p, REPO_ROOT) for p in glob.glob(osp.join(REPO_ROOT, 'configs', 'edge', '*.py')))
DISTILL_CONFIGS = [c for c in EDGE_CONFIGS if osp.basename(c).startswith(('kd_', 'ka_'))]


@pytest.fixture(scope='module')
def tiny_bsds(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('data') / 'synthetic_bsds')
    generate_synthetic_bsds(root, num_train=2, num_test=1, height=48, width=72, seed=1)
    return root


def tiny_run_config(config: str, data_root: str, work_dir: str) -> Config:
    """One epoch of one 48x72 image (padded to 64x96), no validation, no checkpoints loaded."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(config)[:-3]
    cfg.load_from = None
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=data_root, ann_file='HED-BSDS/train_pair.lst', indices=1)
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=10)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'WARNING'
    return cfg


def test_the_seed_rows_exist():
    names = {osp.basename(c) for c in EDGE_CONFIGS}
    assert {'rcf_vgg16_1xb1-900e_bsds.py', 'rcf-pruned_vgg16_1xb1-900e_bsds.py',
            'so-model_mobilenetv2_1xb1-900e_bsds.py', 'kd_rcf_so-model_mobilenetv2_1xb1-900e_bsds.py',
            'ka_rcf_model_mobilenetv2_1xb1-900e_bsds.py'} <= names


@pytest.mark.parametrize('config', EDGE_CONFIGS, ids=[osp.basename(c)[:-3] for c in EDGE_CONFIGS])
def test_one_training_iteration(config, tiny_bsds, tmp_path):
    torch.manual_seed(0)
    cfg = tiny_run_config(config, tiny_bsds, str(tmp_path))
    runner = Runner.from_cfg(cfg)
    model = runner.model
    student = model.student if hasattr(model, 'student') else model
    before = {name: p.detach().clone() for name, p in student.named_parameters()}
    runner.train()
    losses = runner.message_hub.log_scalars
    loss = losses['train/loss'].current()
    assert torch.isfinite(torch.tensor(loss)) and loss > 0, config
    changed = [name for name, p in student.named_parameters() if not torch.equal(before[name], p.detach())]
    assert changed, f'{config}: no student parameter changed after one step'
    if config in DISTILL_CONFIGS:
        assert any(key.startswith('train/distill.') for key in losses), sorted(losses)


def test_rcf_recipe():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/edge/rcf_vgg16_1xb1-900e_bsds.py'))
    assert cfg.optim_wrapper.accumulative_counts == 10
    assert cfg.optim_wrapper.constructor == 'mmkd.SideOutputLrMultOptimWrapperConstructor'  # exact groups: test_engine
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=1e-6, momentum=0.9, weight_decay=5e-4)
    assert cfg.param_scheduler == [dict(type='StepLR', step_size=90, gamma=0.1, by_epoch=True, begin=0, end=900)]
    assert cfg.train_cfg.max_epochs == 900 and cfg.train_dataloader.batch_size == 1
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    group_of = {}
    for group in optim_wrapper.optimizer.param_groups:
        for param in group['params']:
            group_of[id(param)] = group
    params = dict(model.named_parameters())

    def lr_wd(name):
        group = group_of[id(params[name])]
        return group['lr'] / 1e-6, group['weight_decay'] / 5e-4

    expected = {
        'network.backbone.conv1_1.weight': (1, 1), 'network.backbone.conv1_1.bias': (2, 0),
        'network.backbone.conv4_3.weight': (1, 1), 'network.backbone.conv5_2.weight': (100, 1),
        'network.backbone.conv5_2.bias': (200, 0), 'network.conv_down.4.2.weight': (0.1, 1),
        'network.conv_down.0.1.bias': (0.2, 0), 'network.score.3.weight': (0.01, 1), 'network.score.3.bias': (0.02, 0),
        'network.fuse.weight': (0.001, 1), 'network.fuse.bias': (0.002, 0)}
    for name, (lr_mult, decay_mult) in expected.items():
        assert lr_wd(name) == pytest.approx((lr_mult, decay_mult)), name


@pytest.mark.parametrize('config', DISTILL_CONFIGS, ids=[osp.basename(c)[:-3] for c in DISTILL_CONFIGS])
def test_gradients_reach_only_the_student(config, tiny_bsds, tmp_path):
    torch.manual_seed(0)
    cfg = tiny_run_config(config, tiny_bsds, str(tmp_path))
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    model.train()
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset = DATASETS.build(dataset_cfg)
    data = model.data_preprocessor({k: [v] for k, v in dataset[0].items()}, training=True)
    losses = model(**data, mode='loss')
    distill_keys = [k for k in losses if k.startswith('distill.')]
    assert distill_keys and any(k.startswith('student.') for k in losses), list(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert all(p.grad is None for p in model.teacher.parameters()), f'{config}: the teacher got gradients'
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.student.parameters())
    # the distillation term alone also reaches the student
    model.zero_grad(set_to_none=True)
    losses = model(**data, mode='loss')
    sum(losses[k] for k in distill_keys).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.student.parameters()), config
    for name, connector in model.distiller.connectors.items():
        assert all(p.grad is not None for p in connector.parameters()), f'{config}: connector {name} not trained'
    if 'ka_' in osp.basename(config):
        # the recorded teacher point is relu5_3: conv5_3's output after its ReLU, [N, 512, h, w]
        teacher_feat = model.distiller.teacher_recorders.get_recorder('encoder_feat').get_record_data()
        student_feat = model.distiller.student_recorders.get_recorder('encoder_feat').get_record_data()
        assert teacher_feat.shape[1] == 512 and teacher_feat.min() >= 0
        assert student_feat.shape[1] == 1280


@pytest.mark.slow
def test_test_tool_show_dir_writes_edge_pngs(tiny_bsds, tmp_path):
    """``tools/test.py CONFIG CKPT --show-dir DIR`` on a student writes one edge-probability PNG per test image."""
    import sys

    import cv2

    from tests.helpers.tools import run_tool
    config = 'configs/edge/so-model_mobilenetv2_1xb1-900e_bsds.py'
    torch.manual_seed(0)
    init_default_scope('mmseg')
    model = MODELS.build(Config.fromfile(osp.join(REPO_ROOT, config)).model)
    model.init_weights()
    checkpoint = str(tmp_path / 'student.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    show_dir = tmp_path / 'edges'
    options = [f'test_dataloader.dataset.data_root={tiny_bsds}', 'test_dataloader.num_workers=0',
               'test_dataloader.persistent_workers=False', 'test_evaluator.type=DumpResults',
               f'test_evaluator.out_file_path={tmp_path / "preds.pkl"}']
    result = run_tool([sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', str(tmp_path / 'work'),
                       '--show-dir', str(show_dir), '--cfg-options', *options])
    assert result.returncode == 0, result.stderr[-4000:]
    pngs = sorted(p.name for p in show_dir.glob('*.png'))
    assert pngs == ['200001.png'], pngs
    edge = cv2.imread(str(show_dir / '200001.png'), cv2.IMREAD_UNCHANGED)
    assert edge.shape == (48, 72) and edge.dtype == 'uint8'  # the original image size, not the padded 64x96
    # the PNG is the model's probability map x 255
    data = model.data_preprocessor(
        {k: [v] for k, v in DATASETS.build(dict(
            Config.fromfile(osp.join(REPO_ROOT, config)).test_dataloader.dataset, data_root=tiny_bsds))[0].items()},
        training=False)
    with torch.no_grad():
        prob = model.eval()(**data, mode='predict')[0].pred_edge_map.data[0].numpy()
    assert abs(edge.astype(float) - prob * 255).max() <= 1.0
