# Copyright (c) mmkd contributors. All rights reserved.
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmkd  # noqa: F401
from mmkd.models import num_predicted_classes
from mmkd.utils import UnsafeCheckpointError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
MODEL_BASE = osp.join(REPO, 'configs', '_base_', 'models', 'pspnet_r18_tiny.py')


def segmentor_cfg(width: int, num_classes: int = 19) -> dict:
    model = copy.deepcopy(Config.fromfile(MODEL_BASE).model.to_dict())
    model['backbone'].update(stem_channels=width, base_channels=width)
    model['decode_head'].update(in_channels=width * 8, channels=width * 2, num_classes=num_classes)
    model['data_preprocessor']['size'] = (32, 64)
    return model


def distill_cfg(teacher_classes=19, student_classes=19, teacher_ckpt=None, loss_type='ChannelWiseDivergence'):
    return dict(
        _scope_='mmrazor',
        type='mmkd.CheckedSingleTeacherDistill',
        architecture=segmentor_cfg(8, student_classes),
        teacher=segmentor_cfg(16, teacher_classes),
        teacher_ckpt=teacher_ckpt,
        distiller=dict(
            type='ConfigurableDistiller',
            student_recorders=dict(logits=dict(type='ModuleOutputs', source='decode_head.conv_seg')),
            teacher_recorders=dict(logits=dict(type='ModuleOutputs', source='decode_head.conv_seg')),
            distill_losses=dict(loss_kd=dict(type=loss_type, tau=1, loss_weight=5)),
            loss_forward_mappings=dict(
                loss_kd=dict(
                    preds_S=dict(from_student=True, recorder='logits'),
                    preds_T=dict(from_student=False, recorder='logits')))))


def build(cfg):
    init_default_scope('mmseg')
    return ROOT_MODELS.build(cfg)


def batch(num_classes=19, n=2):
    data_samples = []
    for _ in range(n):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, num_classes, (1, 32, 64)))
        sample.set_metainfo(dict(img_shape=(32, 64), pad_shape=(32, 64), ori_shape=(32, 64)))
        data_samples.append(sample)
    return dict(inputs=[torch.randint(0, 256, (3, 32, 64), dtype=torch.uint8) for _ in range(n)],
                data_samples=data_samples)


def test_missing_teacher_checkpoint_names_the_path(tmp_path):
    missing = str(tmp_path / 'teacher' / 'iter_600.pth')
    with pytest.raises(FileNotFoundError, match='teacher/iter_600.pth'):
        build(distill_cfg(teacher_ckpt=missing))


def test_class_count_mismatch_names_both():
    with pytest.raises(ValueError, match=r'teacher .*num_classes=7.*student .*num_classes=19'):
        build(distill_cfg(teacher_classes=7, student_classes=19))


def test_unknown_loss_type_is_the_registry_error():
    with pytest.raises(KeyError, match='NoSuchKDLoss is not in the'):
        build(distill_cfg(loss_type='NoSuchKDLoss'))


def test_num_predicted_classes():
    assert num_predicted_classes(build(segmentor_cfg(8, 5))) == 5
    assert num_predicted_classes(torch.nn.Linear(2, 2)) is None


def test_one_step_trains_only_the_student():
    model = build(distill_cfg())
    model.train()
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    data = model.data_preprocessor(batch(), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'student.decode.loss_ce', 'distill.loss_kd'} <= set(losses)
    assert losses['distill.loss_kd'].item() > 0
    total = sum(value for key, value in losses.items() if 'loss' in key)
    optimizer.zero_grad()
    total.backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.decode_head.conv_seg.weight.grad.abs().sum() > 0
    optimizer.step()
    for key, value in model.teacher.state_dict().items():
        # BN statistics too: the teacher runs in eval mode inside a training student
        assert torch.equal(value, teacher_before[key]), key


def test_teacher_checkpoint_goes_through_the_safe_loader(tmp_path):
    teacher = build(segmentor_cfg(16))
    ckpt = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict(), 'meta': {'iter': 1}}, ckpt)
    model = build(distill_cfg(teacher_ckpt=str(ckpt)))
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value)

    class Payload:

        def __reduce__(self):
            return (open, (str(tmp_path / 'ran'), 'w'))

    torch.save({'state_dict': teacher.state_dict(), 'meta': Payload()}, tmp_path / 'bad.pth')
    with pytest.raises(UnsafeCheckpointError, match='bad.pth'):
        build(distill_cfg(teacher_ckpt=str(tmp_path / 'bad.pth')))
    assert not (tmp_path / 'ran').exists()


def test_frozen_teacher_stays_in_eval_mode():
    model = build(distill_cfg())
    model.train()
    assert model.student.training and not model.teacher.training
    assert not any(module.training for module in model.teacher.modules())
    # the teacher's decode head has Dropout2d(0.1): in eval mode two forwards agree exactly
    inputs = torch.randn(2, 3, 32, 64)
    with torch.no_grad():
        first = model.teacher(inputs, mode='tensor')
        second = model.teacher(inputs, mode='tensor')
    assert torch.equal(first, second)
    model.eval()
    assert not model.student.training


def _with_width_connector(cfg, in_channels, out_channels):
    cfg['distiller']['connectors'] = dict(
        proj_S=dict(type='mmkd.ProjectionHeadConnector', in_channels=in_channels, out_channels=out_channels,
                    norm_cfg=dict(type='BN')))
    return cfg


def test_model_references_take_the_built_models_values():
    # Student width 8 -> decode channels 16 feed conv_seg; teacher width 16 -> 32; 5 classes.
    cfg = _with_width_connector(distill_cfg(5, 5), '@student.feat_channels', '@teacher.feat_channels')
    cfg['distiller']['distill_losses']['loss_kd']['loss_weight'] = 5
    model = build(cfg)
    conv = model.distiller.connectors['proj_S']
    convs = [m for m in conv.modules() if isinstance(m, torch.nn.Conv2d)]
    assert (convs[0].in_channels, convs[-1].out_channels) == (16, 32)
    assert model._model_values == {
        '@student.num_classes': 5, '@teacher.num_classes': 5, '@student.feat_channels': 16,
        '@teacher.feat_channels': 32}


def test_unknown_model_reference_names_its_place_and_the_known_ones():
    cfg = _with_width_connector(distill_cfg(), '@student.feat_width', 32)
    with pytest.raises(KeyError, match=r"connectors\.proj_S\.in_channels = '@student\.feat_width'.*"
                                       r"@student\.feat_channels"):
        build(cfg)


# --- teacher checkpoints that do not fit (issue: a random teacher trained to the end without a word) ---------------

def _log_text(tmp_path, name):
    """Attach a file handler to mmengine's current logger; returns a function reading what it wrote."""
    import logging

    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    handler = logging.FileHandler(tmp_path / f'{name}.log')
    handler.setLevel(logging.INFO)
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)

    def read():
        handler.flush()
        logger.removeHandler(handler)
        logger.setLevel(previous)
        return (tmp_path / f'{name}.log').read_text()
    return read


def test_unrelated_teacher_checkpoint_is_a_build_error(tmp_path):
    ckpt = tmp_path / 'unrelated.pth'
    torch.save({'state_dict': {'fc.weight': torch.zeros(3, 3)}}, ckpt)
    teacher_entries = sum(1 for k in build(segmentor_cfg(16)).state_dict() if 'num_batches_tracked' not in k)
    with pytest.raises(ValueError, match='unrelated.pth') as error:
        build(distill_cfg(teacher_ckpt=str(ckpt)))
    message = str(error.value)
    assert f'{teacher_entries} of {teacher_entries} parameters/buffers missing' in message
    assert 'backbone.stem.0.weight' in message  # a few names


def test_teacher_checkpoint_of_another_width_is_a_build_error(tmp_path):
    ckpt = tmp_path / 'width8.pth'
    torch.save({'state_dict': build(segmentor_cfg(8)).state_dict()}, ckpt)  # the teacher is width 16
    with pytest.raises(ValueError, match=r'with another shape \(e\.g\. backbone\.stem\.0\.weight: checkpoint '
                                         r'\[4, 3, 3, 3\] vs model \[8, 3, 3, 3\]'):
        build(distill_cfg(teacher_ckpt=str(ckpt)))


def test_distillation_checkpoint_prefix_is_stripped_with_an_info_line(tmp_path):
    teacher = build(segmentor_cfg(16))
    distilled = build(distill_cfg())
    state = {f'teacher.{k}': v for k, v in teacher.state_dict().items()}
    state.update({f'architecture.{k}': v for k, v in distilled.student.state_dict().items()})
    ckpt = tmp_path / 'distill_iter_2.pth'
    torch.save({'state_dict': state}, ckpt)
    read_log = _log_text(tmp_path, 'prefix')
    model = build(distill_cfg(teacher_ckpt=str(ckpt)))
    log = read_log()
    assert "is a distillation checkpoint: loading its 'teacher.' weights" in log
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value), key


def test_a_few_missing_teacher_entries_below_the_tolerance_load_with_a_warning(tmp_path):
    teacher = build(segmentor_cfg(16))
    state = teacher.state_dict()
    state.pop('decode_head.conv_seg.bias')
    ckpt = tmp_path / 'almost.pth'
    torch.save({'state_dict': state}, ckpt)
    read_log = _log_text(tmp_path, 'almost')
    model = build(distill_cfg(teacher_ckpt=str(ckpt)))
    log = read_log()
    assert 'loaded into the teacher with differences: 1 of' in log and 'decode_head.conv_seg.bias' in log
    assert torch.equal(model.teacher.backbone.stem[0].weight, teacher.backbone.stem[0].weight)
    with pytest.raises(ValueError, match='above the tolerance of 0.0%'):
        build(dict(distill_cfg(teacher_ckpt=str(ckpt)), teacher_ckpt_tolerance=0.0))


def test_student_load_mismatch_is_a_warning_in_the_log(tmp_path):
    from mmengine.runner.checkpoint import load_checkpoint
    student = build(segmentor_cfg(8))
    ckpt = tmp_path / 'other.pth'
    torch.save({'state_dict': build(segmentor_cfg(16)).state_dict()}, ckpt)
    read_log = _log_text(tmp_path, 'student')
    load_checkpoint(student, str(ckpt), strict=False)  # what load_from and init_cfg=Pretrained call
    log = read_log()
    assert 'do not match exactly' in log and 'size mismatch for backbone.stem.0.weight' in log


# --- a top-level data_preprocessor passed in by the Runner ---------------------------------------------------------

def test_different_injected_data_preprocessor_is_a_build_error():
    from mmengine.config import Config
    # mmseg's Cityscapes 512x1024 base, as a distillation config inheriting it would carry at the top level
    mmseg_cfg = Config.fromstring("_base_ = ['mmseg::_base_/models/pspnet_r50-d8.py']", '.py')
    injected = dict(mmseg_cfg.data_preprocessor, size=(512, 1024))
    with pytest.raises(ValueError, match=r'size: \(512, 1024\) vs \(32, 64\)'):
        build(dict(distill_cfg(), data_preprocessor=injected))
    # the same as the student's: accepted, and the student's is used
    model = build(dict(distill_cfg(), data_preprocessor=segmentor_cfg(8)['data_preprocessor']))
    assert model.data_preprocessor is model.student.data_preprocessor
    assert tuple(model.data_preprocessor.size) == (32, 64)


def test_runner_injection_of_an_mmseg_base_preprocessor_is_caught(tmp_path):
    """The whole path: a config inheriting an mmseg base with `data_preprocessor` (size 512x1024), built by the
    Runner (which injects it into the model config)."""
    from mmengine.runner import Runner
    cfg = Config.fromstring(
        "_base_ = ['mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py']\n"
        f"model = dict(_delete_=True, **{distill_cfg()!r})\n"
        f"work_dir = {str(tmp_path)!r}\n", '.py')
    assert tuple(cfg.data_preprocessor.size) == (512, 1024)  # what mmseg's base leaves at the top level
    with pytest.raises(ValueError, match=r'top-level `data_preprocessor`') as error:
        Runner.from_cfg(cfg)
    assert 'size: (512, 1024) vs (32, 64)' in str(error.value)


# --- plain config files as cfg_path ---------------------------------------------------------------------------------

def test_plain_config_files_as_cfg_path(tmp_path):
    from mmkd.engine.runner_setup import load_run_config
    for name, width in (('student.py', 8), ('teacher.py', 16)):
        model = segmentor_cfg(width)
        (tmp_path / name).write_text(f"_base_ = ['{MODEL_BASE}']\nmodel = {model!r}\n")
    cfg = distill_cfg()
    cfg['architecture'] = dict(cfg_path='student.py', pretrained=False)
    cfg['teacher'] = dict(cfg_path='teacher.py', pretrained=False)
    config = tmp_path / 'distill.py'
    config.write_text(f'model = {cfg!r}\n')
    run_cfg = load_run_config(str(config), work_dir=str(tmp_path / 'work'))  # relative to the config, not the cwd
    assert run_cfg.model.architecture.cfg_path == str(tmp_path / 'student.py')
    model = build(run_cfg.model)
    assert model.student.backbone.base_channels == 8 and model.teacher.backbone.base_channels == 16
    missing = dict(cfg, architecture=dict(cfg_path=str(tmp_path / 'nope.py')))
    with pytest.raises(FileNotFoundError, match=r'model\.architecture\.cfg_path=.*nope\.py'):
        build(missing)


def test_teacher_urls_go_through_mmengines_checkpoint_loader(tmp_path):
    """A URL teacher_ckpt is not a local path: it is read by the scheme's loader (mmengine downloads http(s)://,
    open-mmlab://, ...; here a stand-in scheme serves a local file) and then checked like a file."""
    from mmengine.runner import CheckpointLoader

    from mmkd.utils import safe_torch_load
    teacher = build(segmentor_cfg(16))
    torch.save({'state_dict': teacher.state_dict()}, tmp_path / 'served.pth')
    requested = []

    def serve(url, map_location=None):
        requested.append(url)
        return safe_torch_load(str(tmp_path / 'served.pth'), map_location=map_location, source=url)

    CheckpointLoader.register_scheme(prefixes='mmkdtest://', loader=serve, force=True)
    try:
        model = build(distill_cfg(teacher_ckpt='mmkdtest://models/teacher.pth'))
        assert requested == ['mmkdtest://models/teacher.pth']
        assert torch.equal(model.teacher.backbone.stem[0].weight, teacher.backbone.stem[0].weight)
        torch.save({'state_dict': build(segmentor_cfg(8)).state_dict()}, tmp_path / 'served.pth')
        with pytest.raises(ValueError, match="teacher_ckpt 'mmkdtest://models/teacher.pth' does not fit"):
            build(distill_cfg(teacher_ckpt='mmkdtest://models/teacher.pth'))
    finally:
        CheckpointLoader._schemes.pop('mmkdtest://', None)
