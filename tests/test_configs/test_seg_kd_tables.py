# Copyright (c) mmkd contributors. All rights reserved.
"""The published numbers of every segmentation row are in its README table and metafile ``Results``; the teachers are
mmseg's (mmdet's) released checkpoints with the config they were trained with.

The CSVs under ``docs/paper_tables/`` are read here directly; the rows they belong to are found by name (pair,
dataset, schedule), independently of the generator's helpers where that is cheap.
"""
import functools
import os.path as osp
import re
from collections import defaultdict

import mmdet  # noqa: E402
import mmseg  # noqa: E402
import pytest
import yaml
from mmengine.config import Config

import mmkd  # noqa: F401
from tests.helpers.seg_kd_table import gen, paper_lines, read_table
from tests.helpers.tools import REPO_ROOT

MMSEG_CONFIGS = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs')
MMDET_CONFIGS = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs')
METHOD_FOLDERS = ['bpkd', 'cwd', 'skds', 'ifvd', 'cirkd']
ROW_PREFIX = {'bpkd': 'bpkd', 'cwd': 'cwd-logits', 'skds': 'skds', 'ifvd': 'ifvd', 'cirkd': 'cirkd'}
STUDENT_STEM = {'pspnet-r101-d8_pspnet-r18-d8': 'pspnet_r18-d8', 'fcn-hr48_fcn-hr18s': 'fcn_hr18s',
                'deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8': 'mobilenet-v2-d8_deeplabv3plus',
                'isanet-r101-d8_isanet-r18-d8': 'isanet_r18-d8'}
GPUS = {'cityscapes': '4xb2', 'ade20k': '4xb4', 'pascal-context-59': '4xb4'}


@functools.lru_cache()
def _metafile_entries():
    entries = {}
    for folder in ['seg_baselines'] + METHOD_FOLDERS:
        with open(osp.join(REPO_ROOT, 'configs', folder, 'metafile.yml')) as f:
            for entry in yaml.safe_load(f)['Models']:
                entries[entry['Name']] = entry
    return entries


@functools.lru_cache()
def _readme_rows():
    """config name -> the README table lines that link it (generated block only)."""
    found = defaultdict(list)
    for folder in ['seg_baselines'] + METHOD_FOLDERS:
        with open(osp.join(REPO_ROOT, 'configs', folder, 'README.md')) as f:
            text = f.read()
        block = text.split('<!-- seg-kd-table:begin -->')[1].split('<!-- seg-kd-table:end -->')[0]
        section = None
        for line in block.splitlines():
            if line.startswith('### '):
                section = line[4:]
            match = re.match(r'\| \[([^\]]+)\]\(\1\.py\) \|', line)
            if match:
                found[match.group(1)].append((section, [cell.strip() for cell in line.strip('|').split('|')]))
    return found


def _row_name(line) -> str:
    """The config a CSV line belongs to, from the naming scheme (pair, dataset, schedule)."""
    pair, dataset, method = line['pair'], line['dataset'], line['method']
    if method == 'teacher':
        teacher = [t for t in read_table('bpkd_teachers.csv') if (t['pair'], t['dataset']) == (pair, dataset)][0]
        return osp.basename(teacher['mmseg_config'])[:-3] if teacher['weights'] else \
            'isanet_r101-d8_4xb4-80k_pascal-context-59-512x512'
    scratch = line['student_pretrained'] == 'none'
    iters = '40k' if scratch else line['iters']  # BPKD supplementary Table 1: read as the reduced 40k schedule
    crop = '512x512' if scratch else line['crop']
    schedule = f'{GPUS[dataset]}-{iters}_{dataset}-{crop}'
    if method == 'student':
        return f"{STUDENT_STEM[pair]}{'-scratch' if scratch else ''}_{schedule}"
    return f"{ROW_PREFIX[method]}_{pair}{'-scratch' if scratch else ''}_{schedule}"


LINES = paper_lines()


def test_tables_have_every_row():
    assert len(LINES) == 175
    assert len({_row_name(line) for line in LINES if line['method'] != 'teacher'}) == 150  # 25 settings x 6


@pytest.mark.parametrize('line', LINES, ids=[f"{ln['source'][:18]}-{_row_name(ln)}" for ln in LINES])
def test_published_numbers_in_metafile_and_readme(line):
    name = _row_name(line)
    entry = _metafile_entries().get(name)
    assert entry is not None, f'{name}: no metafile entry'
    assert osp.isfile(osp.join(REPO_ROOT, entry['Config'])), entry['Config']
    blocks = [b for b in entry['Results'] if b.get('Source') == line['source']]
    assert len(blocks) == 1, f"{name}: no Results block for {line['source']!r}"
    assert blocks[0]['Metrics']['mIoU'] == float(line['miou']), name
    assert blocks[0]['Metrics']['mAcc'] == float(line['macc']), name
    if line['params_m']:
        assert entry['Metadata']['Parameters (M)'] == float(line['params_m'])
        assert entry['Metadata']['FLOPs (G, 512x512)'] == float(line['flops_g'])
    readme = [cells for section, cells in _readme_rows()[name] if section == line['source']]
    assert len(readme) == 1, f"{name}: no README line under '### {line['source']}'"
    cells = readme[0]
    assert cells[4:8] == [line['flops_g'] or '—', line['params_m'] or '—', line['miou'], line['macc']], cells


def test_solov2_table4_in_metafiles_and_readmes():
    entries, readme = _metafile_entries(), _readme_rows()
    names = {'teacher': 'solov2_x101-dcn_fpn_8xb2-ms-3x_coco', 'student': 'solov2-light_r18_fpn_8xb2-1x_coco',
             'cwd': 'cwd-masks_solov2-x101-dcn_solov2-light-r18_fpn_8xb2-1x_coco',
             'bpkd': 'bpkd_solov2-x101-dcn_solov2-light-r18_fpn_8xb2-1x_coco'}
    for line in read_table('solov2_table4.csv'):
        name = names[line['method']]
        block = [b for b in entries[name]['Results'] if b['Source'] == line['source']][0]
        assert block['Metrics'] == {key: float(line[key]) for key in ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl')}
        (_, cells), = readme[name]
        assert cells[2:8] == [line[key] for key in ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl')], cells


def test_trimap_table3_in_readmes_and_rows_evaluate_it():
    readme = _readme_rows()
    names = {'student': 'pspnet_r18-d8_4xb2-80k_cityscapes-512x1024',
             'cwd': 'cwd-logits_pspnet-r101-d8_pspnet-r18-d8_4xb2-80k_cityscapes-512x1024',
             'bpkd': 'bpkd_pspnet-r101-d8_pspnet-r18-d8_4xb2-80k_cityscapes-512x1024'}
    for line in read_table('trimap_table3.csv'):
        cells = [c for section, c in readme[names[line['method']]] if section.startswith('BPKD supplementary, Table 3')]
        assert [c[1] for c in cells] == [line['average']], cells
        folder = 'seg_baselines' if line['method'] == 'student' else line['method']
        cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', folder, names[line['method']] + '.py'))
        for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
            assert [e['type'] for e in evaluator] == ['IoUMetric', 'mmkd.TrimapIoUMetric']
            assert evaluator[1]['band_width'] == 3
    # the evaluators build as the runner builds them (mmseg scope, mmkd's metric by its scoped name)
    from mmengine.evaluator import Evaluator
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmseg'):
        metrics = Evaluator(cfg.val_evaluator).metrics
    assert [type(m).__name__ for m in metrics] == ['IoUMetric', 'TrimapIoUMetric'] and metrics[1].band_width == 3


def _mmseg_metafile_weights():
    """mmseg config path (configs/...) -> [(weights URL, mIoU)] from mmseg 1.2.2's metafiles (a config can be listed
    twice)."""
    import glob
    result = defaultdict(list)
    for path in glob.glob(osp.join(MMSEG_CONFIGS, '*', 'metafile.yaml')):
        with open(path) as f:
            for model in yaml.safe_load(f).get('Models') or []:
                results = model.get('Results') or [{}]
                results = results if isinstance(results, list) else [results]
                result[model['Config']].append((model.get('Weights'), results[0].get('Metrics', {}).get('mIoU')))
    return result


def test_teachers_are_mmseg_released_checkpoints():
    released = _mmseg_metafile_weights()
    entries = _metafile_entries()
    teachers = read_table('bpkd_teachers.csv')
    assert len(teachers) == 12
    for teacher in teachers:
        name = _row_name(dict(teacher, method='teacher'))
        config_text = open(osp.join(REPO_ROOT, 'configs', 'seg_baselines', name + '.py')).read()
        if not teacher['weights']:  # ISANet-R101 Pascal Context: not released; trained at 512x512
            assert 'Weights' not in entries[name]
            config = osp.join(REPO_ROOT, 'configs', 'seg_baselines', name + '.py')
            assert Config.fromfile(config).crop_size == (512, 512)
            continue
        url = teacher['weights']
        assert (url, float(teacher['mmseg_miou'])) in released[teacher['mmseg_config']], teacher['mmseg_config']
        # the row is mmseg's config of that checkpoint, unchanged
        base = teacher['mmseg_config'][len('configs/'):]
        assert f"_base_ = 'mmseg::{base}'" in config_text.splitlines(), name
        assert entries[name]['Weights'] == url


def test_every_seg_kd_row_distils_from_its_released_teacher():
    teachers = {(t['pair'], t['dataset']): t for t in read_table('bpkd_teachers.csv')}
    checked = 0
    for setting in gen().settings():
        path = osp.join(REPO_ROOT, 'configs', '_base_', 'distill', 'seg', 'pairs', setting.pair_base + '.py')
        with open(path) as f:  # the text (Config.fromfile of 25 pair bases costs ~40 s; the build test parses them)
            text = f.read()
        teacher = teachers[(setting.pair, setting.dataset)]
        name = _row_name(dict(teacher, method='teacher'))
        assert re.findall(r"teacher=dict\(cfg_path='([^']+)'", text) == [f'mmkd::seg_baselines/{name}.py'], path
        assert re.findall(r"teacher_ckpt='([^']+)'", text) == [teacher['weights'] or f'checkpoints/{name}.pth'], path
        assert re.findall(r"architecture=dict\(cfg_path='([^']+)'", text) == \
            [f'mmkd::seg_baselines/{setting.student}.py'], path
        checked += 1
    assert checked == 25
    solov2 = Config.fromfile(osp.join(REPO_ROOT, 'configs', '_base_', 'distill', 'seg', 'pairs',
                                      'solov2-x101-dcn_solov2-light-r18_8xb2-1x_coco.py'))
    with open(osp.join(MMDET_CONFIGS, 'solov2', 'metafile.yml')) as f:
        mmdet = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    assert solov2.model.teacher_ckpt == mmdet['solov2_x101-dcn_fpn_ms-3x_coco']['Weights']
    assert _metafile_entries()['solov2_x101-dcn_fpn_8xb2-ms-3x_coco']['Weights'] == solov2.model.teacher_ckpt


def test_students_as_bpkd_eval_configs():
    def model(name):
        return Config.fromfile(osp.join(REPO_ROOT, 'configs', 'seg_baselines', name + '.py')).model

    for dataset in ('cityscapes-512x1024', 'ade20k-512x512', 'pascal-context-59-480x480'):
        gpus = '4xb2' if dataset.startswith('cityscapes') else '4xb4'
        assert model(f'isanet_r18-d8_{gpus}-80k_{dataset}').decode_head.isa_channels == 256
    mv2 = model('mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024')
    assert (mv2.decode_head.channels, mv2.auxiliary_head.channels) == (128, 64)
    assert mv2.backbone.norm_cfg.type == 'SyncBN'
    for dataset in ('ade20k-512x512', 'pascal-context-59-480x480'):
        mv2 = model(f'mobilenet-v2-d8_deeplabv3plus_4xb4-80k_{dataset}')
        assert (mv2.decode_head.channels, mv2.auxiliary_head.channels) == (512, 256)
        assert 'norm_cfg' not in mv2.backbone  # MobileNetV2's default BN, as BPKD's eval configs
    pc = {stem: model(f'{stem}_4xb4-80k_pascal-context-59-480x480').test_cfg
          for stem in STUDENT_STEM.values()}
    assert pc['mobilenet-v2-d8_deeplabv3plus'] == dict(mode='whole')
    assert pc['isanet_r18-d8'] == dict(mode='whole')
    assert pc['fcn_hr18s'] == dict(mode='slide', crop_size=(512, 512), stride=(320, 320))
    assert pc['pspnet_r18-d8'] == dict(mode='slide', crop_size=(480, 480), stride=(320, 320))
    scratch = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'seg_baselines',
                                       'pspnet_r18-d8-scratch_4xb4-40k_ade20k-512x512.py'))
    assert scratch.model.pretrained is None and scratch.train_cfg.max_iters == 40000


def test_solov2_student_is_1x_without_multi_scale():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'seg_baselines', 'solov2-light_r18_fpn_8xb2-1x_coco.py'))
    assert cfg.train_cfg.max_epochs == 12
    assert [s.milestones for s in cfg.param_scheduler if s.type == 'MultiStepLR'] == [[8, 11]]
    resizes = [s for s in cfg.train_dataloader.dataset.pipeline if 'Resize' in s.type]
    assert [(s.type, tuple(s.scale)) for s in resizes] == [('Resize', (768, 448))]


def test_no_private_names_in_seg_rows():
    for path in gen().all_files():
        with open(osp.join(REPO_ROOT, path)) as f:
            text = f.read().lower()
        assert 'seed 00' not in text and 'shared/spec' not in text, path
