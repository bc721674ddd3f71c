# Copyright (c) mmkd contributors. All rights reserved.
"""Every config under ``configs/`` (``_base_/`` excepted) parses and its model builds; distillation configs are
consistent (classes, losses, recorders, connectors, pair widths); metafiles and ``model-index.yml`` cover them all.

Models are built on the ``meta`` device (no memory, no initialisation), which is what keeps ~180 builds with R101 and
HRNet-W48 backbones cheap on CPU. The segmentors a distillation config names by ``cfg_path`` are built once per path
(mmengine's ``get_model``, on ``meta``) and deep-copied for every algorithm that uses them. An algorithm whose
distiller cannot be constructed on ``meta`` (a constructor that validates a tensor value, e.g. ``BPKDEdgeLoss``
checking ``class_weights >= 0``) is built again on the CPU with the same meta segmentors: only its small modules
(losses, connectors, discriminator) are then real. ``META_FALLBACKS`` lists those configs.
"""
import copy
import glob
import os.path as osp
import re
from collections import Counter
from typing import Dict

import mmengine.hub
import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import mmkd  # noqa: F401  (compat layer, mmkd registries and `mmkd::` config paths)
from mmkd.models.algorithms import num_predicted_classes
from tests.helpers.tools import REPO_ROOT

CONFIG_ROOT = osp.join(REPO_ROOT, 'configs')
ALL_CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if not osp.relpath(path, CONFIG_ROOT).startswith('_base_' + osp.sep))
METAFILES = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(osp.join(CONFIG_ROOT, '**', 'metafile.yml'), recursive=True))

_ORIGINAL_GET_MODEL = mmengine.hub.get_model
_SEGMENTORS: Dict[str, torch.nn.Module] = {}
META_FALLBACKS: Dict[str, str] = {}  # config -> the meta-device error


def _cached_meta_get_model(cfg_path: str, pretrained: bool = False, **kwargs) -> torch.nn.Module:
    """``mmengine.hub.get_model`` (what mmrazor calls for ``dict(cfg_path=...)``), built once per path on meta."""
    assert not pretrained and not kwargs, f'{cfg_path}: configs here must not load model-zoo weights at build time'
    if cfg_path not in _SEGMENTORS:
        with torch.device('meta'):
            _SEGMENTORS[cfg_path] = _ORIGINAL_GET_MODEL(cfg_path, pretrained=False)
    return copy.deepcopy(_SEGMENTORS[cfg_path])


@pytest.fixture(scope='module', autouse=True)
def meta_get_model():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine.hub, 'get_model', _cached_meta_get_model)
        yield


def is_distillation(cfg: Config) -> bool:
    return 'teacher' in cfg.model and 'architecture' in cfg.model


def build(cfg: Config, name: str) -> torch.nn.Module:
    """Build ``cfg.model`` on meta; on a meta-only failure, again on the CPU (segmentors stay on meta)."""
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    try:
        with torch.device('meta'):
            return MODELS.build(copy.deepcopy(cfg.model))
    except (RuntimeError, NotImplementedError) as err:
        if 'meta' not in str(err).lower():
            raise
        reason = str(err).splitlines()[0]
    META_FALLBACKS[name] = reason
    return MODELS.build(copy.deepcopy(cfg.model))


def load(config: str) -> Config:
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    if is_distillation(cfg):
        cfg.model.teacher_ckpt = None  # the user trains or downloads the teacher; nothing is shipped
    return cfg


def check_name_matches_settings(config: str, cfg: Config) -> None:
    """`...-80k_...-512x1024.py`: max_iters, training crop and data_preprocessor size say what the name says."""
    name = osp.basename(config)[:-3]
    iters = re.search(r'-(\d+)k_', name)
    if iters:
        assert cfg.train_cfg.max_iters == int(iters.group(1)) * 1000, config
        schedulers = cfg.param_scheduler
        if isinstance(schedulers, dict):  # one list per optimiser wrapper (adversarial methods): the student's
            schedulers = schedulers.architecture
        assert schedulers[-1].end == cfg.train_cfg.max_iters, config
    crop = re.search(r'-(\d+)x(\d+)$', name)
    if crop and 'synthcity' not in name:
        size = (int(crop.group(1)), int(crop.group(2)))
        crops = [tuple(step.crop_size) for step in cfg.train_dataloader.dataset.pipeline if step.type == 'RandomCrop']
        assert crops == [size], f'{config}: RandomCrop {crops} != {size}'
        # mmengine.hub.get_model (mmrazor's cfg_path) replaces model.data_preprocessor with the top-level one.
        assert tuple(cfg.data_preprocessor.size) == size, config
        if not is_distillation(cfg):
            assert tuple(cfg.model.data_preprocessor.size) == size, config


#: detection row name prefix -> (loss type, RankMimickingLoss mode or PFILoss mask) of each loss it must have
DETECTION_METHODS = {
    'rm': {('RankMimickingLoss', 'cls+loc')},
    'rm-cls': {('RankMimickingLoss', 'cls')},
    'pfi': {('PFILoss', 'prediction')},
    'rm-pfi': {('RankMimickingLoss', 'cls+loc'), ('PFILoss', 'prediction')},
    'soft-label': {('SigmoidSoftLabelKDLoss', None)},
    'imitation-whole': {('PFILoss', 'whole')},
    'imitation-positive': {('PFILoss', 'positive')},
    'imitation-negative': {('PFILoss', 'negative')},
    'imitation-gt-box': {('PFILoss', 'gt_box')},
}


def check_detection_distillation(config: str, cfg: Config, model: torch.nn.Module) -> None:
    """Detection rows (configs/rm_pfi/): the losses are those the row name says; the teacher checkpoint and the
    student's adapter match the models (the distiller itself checked anchors, classes and FPN widths at build)."""
    method = osp.basename(config).split('_')[0]
    assert method in DETECTION_METHODS, f'{config}: unknown detection method prefix {method!r}'
    found = {(type(loss).__name__, getattr(loss, 'mode', getattr(loss, 'mask', None)))
             for loss in model.distiller.distill_losses.values()}
    assert found == DETECTION_METHODS[method], f'{config}: losses {found}'
    if '://' not in cfg.teacher_ckpt:  # released teachers are URLs (checked in test_rm_pfi_numbers.py)
        assert osp.basename(cfg.teacher_ckpt)[:-4] == osp.basename(cfg.model.teacher.cfg_path)[:-3], config
    assert type(model.distiller.adapter).head_types[0].__name__ in {
        cls.__name__ for cls in type(model.student.bbox_head).__mro__}, config


def check_distillation(config: str, cfg: Config, model: torch.nn.Module) -> None:
    teacher_classes, student_classes = num_predicted_classes(model.teacher), num_predicted_classes(model.student)
    assert teacher_classes is not None and teacher_classes == student_classes, config
    if 'num_classes' in cfg:
        assert cfg.num_classes == student_classes, config

    # Teacher and student rows share the dataset (the name after the schedule, crop dropped); the schedule may differ:
    # a segmentation teacher is mmseg's released checkpoint of the pair and dataset, whatever the student's schedule.
    def dataset(path):
        return re.search(r'_\d+xb\d+-[^_]+_(.+?)(-\d+x\d+)?\.py$', osp.basename(path)).group(1)

    assert dataset(cfg.model.teacher.cfg_path) == dataset(cfg.model.architecture.cfg_path), config
    if cfg.model.type == 'mmkd.DenseDetectorDistill':  # detectors: no recorders, losses fed by the distiller
        check_detection_distillation(config, cfg, model)
        return

    distiller = cfg.model.distiller
    losses, mappings = set(distiller.get('distill_losses', {})), set(distiller.get('loss_forward_mappings', {}))
    assert losses, f'{config}: no distill_losses'
    assert losses == mappings, f'{config}: losses without mapping {losses - mappings}, mappings without loss ' \
                               f'{mappings - losses}'
    recorders = {True: set(distiller.get('student_recorders', {})), False: set(distiller.get('teacher_recorders', {}))}
    connectors = set(distiller.get('connectors', None) or {})
    for loss_name, mapping in distiller.loss_forward_mappings.items():
        for arg, item in mapping.items():
            assert item.recorder in recorders[item.from_student], f'{config}: {loss_name}.{arg} -> {item.recorder}'
            if item.get('connector'):
                assert item.connector in connectors, f'{config}: {loss_name}.{arg} -> connector {item.connector}'
    for side in ('student', 'teacher'):
        for rec_name, rec in distiller.get(f'{side}_recorders', {}).items():
            if rec.type in ('ModuleOutputs', 'ModuleInputs'):
                modules = dict(getattr(model, side).named_modules())
                assert rec.source in modules, f'{config}: {side} recorder {rec_name} source {rec.source} not found'

    # Pair widths and classes reach the modules that depend on them (segmentors: instance segmentors such as SOLOv2
    # have no decode head).
    if hasattr(model.student, 'decode_head'):
        width_s = model.student.decode_head.conv_seg.in_channels
        width_t = model.teacher.decode_head.conv_seg.in_channels
        if 'student_feat_channels' in cfg:
            assert (cfg.student_feat_channels, cfg.teacher_feat_channels) == (width_s, width_t), config
        for loss_name, loss in model.distiller.distill_losses.items():
            if hasattr(loss, 'num_classes'):
                assert loss.num_classes == student_classes, f'{config}: {loss_name}.num_classes'
            if hasattr(loss, 'feat_channels'):
                assert loss.feat_channels == width_t, f'{config}: {loss_name}.feat_channels'
        for loss_name, mapping in distiller.loss_forward_mappings.items():
            for arg, item in mapping.items():
                if item.get('connector') and item.recorder == 'feats':
                    connector = model.distiller.connectors[item.connector]
                    width_in = width_s if item.from_student else width_t
                    assert (connector.in_channels, connector.out_channels) == (width_in, width_t), \
                        f'{config}: connector {item.connector}'
    discriminator = getattr(model, 'discriminator', None)
    if discriminator is not None and hasattr(discriminator, 'in_channels'):
        expected = student_classes + (3 if getattr(model, 'condition_on_image', False) else 0)
        assert discriminator.in_channels == expected, f'{config}: discriminator in_channels'

    # BPKD supplementary Table 1: the student backbone is not initialised from ImageNet weights.
    if 'scratch' in osp.basename(cfg.model.architecture.cfg_path):
        init_cfg = model.student.backbone.init_cfg or []
        init_cfg = init_cfg if isinstance(init_cfg, list) else [init_cfg]
        assert all(item.get('type') != 'Pretrained' for item in init_cfg), config


@pytest.mark.parametrize('config', ALL_CONFIGS, ids=[c[len('configs/'):-len('.py')] for c in ALL_CONFIGS])
def test_config_builds(config):
    cfg = load(config)
    check_name_matches_settings(config, cfg)
    model = build(cfg, config)
    if is_distillation(cfg):
        check_distillation(config, cfg, model)
    else:
        assert num_predicted_classes(model) is not None, config


def _metafile_models(metafile: str) -> list:
    with open(osp.join(REPO_ROOT, metafile)) as f:
        return yaml.safe_load(f).get('Models') or []


def test_model_index_lists_every_metafile():
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    assert sorted(imports) == METAFILES


def test_metafiles_point_at_existing_configs():
    problems, names = [], {}
    for metafile in METAFILES:
        with open(osp.join(REPO_ROOT, metafile)) as f:
            meta = yaml.safe_load(f)
        collections = {c['Name'] for c in meta.get('Collections') or []}
        for entry in meta.get('Models') or []:
            if not osp.isfile(osp.join(REPO_ROOT, entry['Config'])):
                problems.append(f"{metafile}: {entry['Name']}: missing config {entry['Config']}")
            if entry['Name'] != osp.basename(entry['Config'])[:-3]:
                problems.append(f"{metafile}: name {entry['Name']} != config file name {entry['Config']}")
            if entry['In Collection'] not in collections:
                problems.append(f"{metafile}: {entry['Name']}: unknown collection {entry['In Collection']}")
            if entry['Name'] in names:
                problems.append(f"{metafile}: {entry['Name']} already listed in {names[entry['Name']]}")
            names[entry['Name']] = metafile
    assert not problems, '\n'.join(problems)


def test_every_config_is_in_a_metafile():
    listed = {entry['Config'] for metafile in METAFILES for entry in _metafile_models(metafile)}
    missing = [config for config in ALL_CONFIGS if config not in listed]
    assert not missing, 'configs in no metafile:\n' + '\n'.join(missing)


def test_report_meta_fallbacks():
    """Not a check: prints which configs needed the CPU fallback (run with -s to see it)."""
    by_folder = Counter(osp.dirname(config) for config in META_FALLBACKS)
    print(f'\n{len(_SEGMENTORS)} distinct segmentor cfg_paths built on meta; CPU fallback for {len(META_FALLBACKS)} '
          f'configs {dict(by_folder)}: {sorted(set(META_FALLBACKS.values()))}')
