# Copyright (c) mmkd contributors. All rights reserved.
"""AdversarialSingleTeacherDistill: one real train_step of the SKDS config on tiny models, CPU, synthetic data."""
import copy
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmkd  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
SKDS_CONFIG = osp.join(REPO, 'configs', 'skds', 'skds_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py')
MODEL_BASE = osp.join(REPO, 'configs', '_base_', 'models', 'pspnet_r18_tiny.py')
SIZE = (64, 128)  # input size; the 8x16 logits are enlarged to (64, 128), D's 64-pixel minimum, for the discriminator
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
    # SKDS's own discriminator optimiser: SGD, lr 4e-4, momentum 0.9, weight decay 5e-4
    disc_optimizer = optim_wrapper['discriminator'].optimizer
    assert isinstance(disc_optimizer, torch.optim.SGD)
    assert (disc_optimizer.defaults['lr'], disc_optimizer.defaults['momentum'],
            disc_optimizer.defaults['weight_decay']) == (4e-4, 0.9, 5e-4)
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
    """With λ_D = 0 (and no weight decay) the discriminator step sees zero gradients, so D moves only if the student
    step leaked into it."""
    torch.manual_seed(0)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.adversarial_loss.update(discriminator_weight=0.0, generator_weight=1.0)
    model = build(model_cfg)
    model.train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    optim_cfg.discriminator.optimizer.weight_decay = 0.0
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
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
    model.discriminator_min_input_size = None
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


@pytest.mark.parametrize('size,expected', [
    ((60, 60), (64, 64)),  # Pascal Context 480x480 crops: 1/8 logits 60x60
    ((60, 80), (64, 86)),  # aspect ratio kept: 80 * 64 / 60 = 85.3, rounded up
    ((8, 16), (64, 128)),  # the demo's logits
    ((64, 64), (64, 64)), ((64, 128), (64, 128)), ((97, 97), (97, 97)),  # large enough: untouched
])
def test_min_input_size_enlarges_only_small_maps(cfg, size, expected):
    model = build(cfg.model)
    assert (model.discriminator_input_size, model.discriminator_min_input_size) == (None, 64)  # the method base's
    assert model.enlarged_to_min_size(size) == expected
    logits_S, logits_T = torch.randn(1, 19, *size), torch.randn(1, 19, *size)
    fake, real = model.discriminator_inputs(logits_S, logits_T, torch.randn(1, 3, 8 * size[0], 8 * size[1]))
    assert fake.shape[2:] == real.shape[2:] == expected
    if expected == size:  # the 1/8 logits themselves, not resampled
        assert torch.equal(fake, logits_S) and torch.equal(real, logits_T)
    else:
        assert torch.allclose(fake, F.interpolate(logits_S, size=expected, mode='bilinear', align_corners=False))
    model.discriminator_min_input_size = None
    assert model.enlarged_to_min_size(size) == size


def test_min_input_size_validation(cfg):
    for bad in (0, 64.0, True):
        model_cfg = copy.deepcopy(cfg.model)
        model_cfg.discriminator_min_input_size = bad
        with pytest.raises(ValueError, match='discriminator_min_input_size must be None or a positive int'):
            build(model_cfg)


def test_method_bases_follow_their_official_code():
    """SKDS (irfanICMLL/structure_knowledge_distillation): lambda_d 0.1 on G and D, SGD + poly for D; IFVD
    (YukangWang/IFVD): lambda_adv 0.001 on G, lambda_d 0.1 on D, Adam (0.9, 0.99) + poly for D."""
    methods = osp.join(REPO, 'configs', '_base_', 'distill', 'seg', 'methods')
    skds, ifvd = (Config.fromfile(osp.join(methods, f'{name}.py')) for name in ('skds', 'ifvd'))
    for cfg, generator_weight in ((skds, 0.1), (ifvd, 0.001)):
        loss = cfg.adversarial_algorithm.adversarial_loss
        assert (loss.adv_type, loss.generator_weight, loss.discriminator_weight, loss.gp_weight) == (
            'wgan-gp', generator_weight, 0.1, 10.0)
        assert cfg.adversarial_algorithm.discriminator.in_channels == '@student.num_classes'
        assert (cfg.adversarial_algorithm.discriminator_input_size,
                cfg.adversarial_algorithm.discriminator_min_input_size) == (None, 64)
        assert (cfg.discriminator_scheduler.type, cfg.discriminator_scheduler.power,
                cfg.discriminator_scheduler.eta_min) == ('PolyLR', 0.9, 0.0)
        assert 'end' not in cfg.discriminator_scheduler  # the row adds end=train_cfg.max_iters
    assert skds.adversarial_optim_wrapper.discriminator.optimizer == dict(type='SGD', lr=4e-4, momentum=0.9,
                                                                           weight_decay=5e-4)
    assert ifvd.adversarial_optim_wrapper.discriminator.optimizer == dict(type='Adam', lr=4e-4, betas=(0.9, 0.99))


def test_discriminator_learning_rate_decays_as_the_released_lr_poly(cfg):
    """The row body's scheduler gives D the released lr_poly(4e-4, t, T, 0.9) = 4e-4 (1 - t/T)^0.9, T =
    train_cfg.max_iters, in mmengine's PolyLR form, which reaches 0 one iteration earlier: 4e-4 (1 - t/(T-1))^0.9."""
    model = build(cfg.model)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    (scheduler_cfg, ) = cfg.param_scheduler.discriminator
    assert scheduler_cfg.end == cfg.train_cfg.max_iters == 600
    scheduler = PARAM_SCHEDULERS.build(dict(scheduler_cfg, optimizer=optim_wrapper['discriminator']))
    optimizer = optim_wrapper['discriminator'].optimizer
    for _ in range(300):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]['lr'] == pytest.approx(4e-4 * (1 - 300 / 599)**0.9, rel=1e-6)


def test_clear_errors(cfg):
    model = build(cfg.model)
    with pytest.raises(ValueError, match=r"OptimWrapperDict with keys \['architecture', 'discriminator'\]"):
        model.train_step(batch(), build_optim_wrapper(model.student, dict(optimizer=dict(type='SGD', lr=0.1))))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.student_logits_recorder = 'scores'
    with pytest.raises(ValueError, match="no student recorder named 'scores'"):
        build(model_cfg)
