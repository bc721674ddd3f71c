# Copyright (c) mmkd contributors. All rights reserved.
"""AdversarialSingleTeacherDistill: one real train_step of the SKDS config on tiny models, CPU, synthetic data."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmkd  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SKDS_CONFIG = osp.join(REPO, 'configs', 'skds', 'skds_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py')
MODEL_BASE = osp.join(REPO, 'configs', '_base_', 'models', 'pspnet_r18_tiny.py')
SIZE = (64, 128)  # the config resizes the logits to (64, 128) for the discriminator
NUM_CLASSES = 19


def tiny_segmentor(width: int) -> dict:
    model = copy.deepcopy(Config.fromfile(MODEL_BASE).model.to_dict())
    model['backbone'].update(stem_channels=width, base_channels=width)
    model['decode_head'].update(in_channels=width * 8, channels=width * 2, num_classes=NUM_CLASSES)
    model['data_preprocessor']['size'] = SIZE
    return model


def skds_config() -> Config:
    """The SKDS config with tiny teacher/student/discriminator and no teacher checkpoint."""
    cfg = Config.fromfile(SKDS_CONFIG)
    cfg.model.architecture = tiny_segmentor(8)
    cfg.model.teacher = tiny_segmentor(16)
    cfg.model.teacher_ckpt = None
    cfg.model.discriminator.base_channels = 8
    return cfg


def build(model_cfg):
    init_default_scope('mmseg')
    return ROOT_MODELS.build(model_cfg)


def batch(n=2):
    data_samples = []
    for _ in range(n):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, NUM_CLASSES, (1, *SIZE)))
        sample.set_metainfo(dict(img_shape=SIZE, pad_shape=SIZE, ori_shape=SIZE))
        data_samples.append(sample)
    return dict(inputs=[torch.randint(0, 256, (3, *SIZE), dtype=torch.uint8) for _ in range(n)],
                data_samples=data_samples)


def snapshot(module):
    return {name: param.detach().clone() for name, param in module.named_parameters()}


def changed(module, before):
    return {name for name, param in module.named_parameters() if not torch.equal(param, before[name])}


@pytest.fixture(scope='module')
def cfg():
    return skds_config()


def test_config_wires_all_three_terms(cfg):
    assert cfg.model.type == 'mmkd.AdversarialSingleTeacherDistill'
    assert set(cfg.model.distiller.distill_losses) == {'loss_pixel', 'loss_pair'}
    assert cfg.model.distiller.loss_forward_mappings.loss_pair.feats_S.data_idx == 0
    assert cfg.model.distiller.student_recorders.feats.type == 'ModuleInputs'
    assert set(cfg.optim_wrapper) == {'constructor', 'architecture', 'discriminator'}
    assert set(cfg.param_scheduler) == {'architecture', 'discriminator'}
    assert cfg.model_wrapper_cfg.type == 'MMSeparateDistributedDataParallel'


def test_one_train_step_updates_student_and_discriminator_only(cfg):
    torch.manual_seed(0)
    model = build(cfg.model)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert isinstance(optim_wrapper, OptimWrapperDict)
    assert set(optim_wrapper.keys()) == {'architecture', 'discriminator'}
    assert optim_wrapper['discriminator'].optimizer.defaults['betas'] == (0.9, 0.99)
    student_before, disc_before = snapshot(model.student), snapshot(model.discriminator)
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}

    log_vars = model.train_step(batch(), optim_wrapper)

    expected = {'loss', 'student.decode.loss_ce', 'distill.loss_pixel', 'distill.loss_pair', 'distill.loss_adv',
                'disc.loss', 'disc.loss_d', 'disc.loss_gp'}
    assert expected <= set(log_vars), set(log_vars)
    assert all(math.isfinite(float(value)) for value in log_vars.values()), log_vars
    assert float(log_vars['distill.loss_pixel']) > 0 and float(log_vars['distill.loss_pair']) > 0
    assert float(log_vars['disc.loss_gp']) > 0
    # the student total is the student-side sum; the discriminator's is logged apart
    student_total = sum(
        float(v) for k, v in log_vars.items() if k.startswith(('student.', 'distill.')) and 'loss' in k)
    assert float(log_vars['loss']) == pytest.approx(student_total, rel=1e-4)

    assert 'decode_head.conv_seg.weight' in changed(model.student, student_before)
    assert 'score.weight' in changed(model.discriminator, disc_before)
    assert 'stages.0.0.parametrizations.weight.original' in changed(model.discriminator, disc_before)
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key  # BN statistics too: the teacher runs in eval mode
    assert all(param.grad is None for param in model.teacher.parameters())


def test_student_step_leaves_discriminator_gradients_alone(cfg):
    """With λ_D = 0 the discriminator step sees zero gradients, so D moves only if the student step leaked into it."""
    torch.manual_seed(0)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.adversarial_loss.update(discriminator_weight=0.0, generator_weight=1.0)
    model = build(model_cfg)
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    disc_before = snapshot(model.discriminator)
    log_vars = model.train_step(batch(), optim_wrapper)
    assert abs(float(log_vars['distill.loss_adv'])) > 0
    assert changed(model.discriminator, disc_before) == set()
    assert all(param.requires_grad for param in model.discriminator.parameters())  # unfrozen again


def test_optimizers_hold_disjoint_parameter_sets(cfg):
    model = build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)

    def ids(wrapper):
        return {id(param) for group in wrapper.optimizer.param_groups for param in group['params']}

    student_ids, disc_ids = ids(optim_wrapper['architecture']), ids(optim_wrapper['discriminator'])
    assert student_ids == {id(param) for param in model.student.parameters()}
    assert disc_ids == {id(param) for param in model.discriminator.parameters()}
    assert not student_ids & disc_ids
    assert not (student_ids | disc_ids) & {id(param) for param in model.teacher.parameters()}


def test_hinge_and_image_condition(cfg):
    torch.manual_seed(0)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.adversarial_loss.adv_type = 'hinge'
    model_cfg.condition_on_image = True
    model_cfg.discriminator.in_channels = NUM_CLASSES + 3
    model = build(model_cfg)
    model.train()
    log_vars = model.train_step(batch(), build_optim_wrapper(model, cfg.optim_wrapper))
    assert {'distill.loss_adv', 'disc.loss_d'} <= set(log_vars) and 'disc.loss_gp' not in log_vars


def test_discriminator_input_sizes(cfg):
    model = build(cfg.model)
    logits_S, logits_T, inputs = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 16, 32), torch.randn(2, 3, 96, 160)
    for size, expected in ((None, (8, 16)), ('input', (96, 160)), ((64, 128), (64, 128))):
        model.discriminator_input_size = size
        fake, real = model.discriminator_inputs(logits_S, logits_T, inputs)
        assert fake.shape == real.shape == (2, 19, *expected)
    model.condition_on_image = True
    fake, real = model.discriminator_inputs(logits_S, logits_T.requires_grad_(True), inputs)
    assert fake.shape == (2, 22, 64, 128) and torch.equal(fake[:, 19:], real[:, 19:])
    assert not real.requires_grad  # the teacher's map is detached
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.discriminator_input_size = 'half'
    with pytest.raises(ValueError, match="discriminator_input_size must be None, 'input' or a positive"):
        build(model_cfg)


def test_clear_errors(cfg):
    model = build(cfg.model)
    with pytest.raises(ValueError, match=r"OptimWrapperDict with keys \['architecture', 'discriminator'\]"):
        model.train_step(batch(), build_optim_wrapper(model.student, dict(optimizer=dict(type='SGD', lr=0.1))))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.student_logits_recorder = 'scores'
    with pytest.raises(ValueError, match="no student recorder named 'scores'"):
        build(model_cfg)
