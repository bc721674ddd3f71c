# Copyright (c) mmkd contributors. All rights reserved.
"""Every published number of RM + PFI (AAAI 2022) Tables 1-7 (configs/rm_pfi/rm_pfi_tables.csv, copied from the
paper) is on its config's README line and in its metafile ``Results``, and nothing else is."""
import csv
import functools
import os.path as osp
from collections import defaultdict
from typing import Dict

import pytest
import yaml

from tests.helpers.tools import REPO_ROOT

FOLDER = osp.join(REPO_ROOT, 'configs', 'rm_pfi')
CSV = osp.join(FOLDER, 'rm_pfi_tables.csv')
METRICS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl')
METHOD_PREFIX = {
    'rm': 'rm', 'pfi': 'pfi', 'rm+pfi': 'rm-pfi', 'soft-label': 'soft-label', 'rm (cls rank only)': 'rm-cls',
    'rm (cls + loc rank)': 'rm', 'imitation: whole map': 'imitation-whole',
    'imitation: positive samples': 'imitation-positive', 'imitation: negative samples': 'imitation-negative',
    'imitation: GT mask': 'imitation-gt-box'
}
BACKBONE = {'mbv2': 'mobilenet-v2', 'mbv2-half': 'mobilenet-v2-half'}


@functools.lru_cache(maxsize=None)
def load_config(path: str):
    """A config of this folder (path relative to the repository), parsed once for all tests here."""
    from mmengine.config import Config
    return Config.fromfile(osp.join(REPO_ROOT, path))


def read_rows() -> list:
    with open(CSV, newline='') as f:
        return list(csv.DictReader(f))


def config_of(row: dict) -> str:
    """The config (relative to configs/rm_pfi, without .py) that reproduces a table row."""
    detector, teacher, student, method = row['detector'], row['teacher'], row['student'], row['method']
    schedule = '18e_voc0712' if row['dataset'].startswith('voc') else f"{row['schedule']}_coco"
    if method in ('teacher', 'student'):
        if row['table'] == 'Table 6' and method == 'teacher' and student == 'r101':
            schedule = '1x_coco'  # Table 6's R101 teacher (38.5) is mmdet's released 1x model
        backbone = BACKBONE.get(student, student)
        if detector == 'fcos':
            return f"detectors/fcos_{backbone}{'-caffe' if method == 'teacher' else ''}_fpn_gn-head_8xb2-{schedule}"
        return f'detectors/{detector}_{backbone}_fpn_8xb2-{schedule}'
    pair = f'{detector}-{BACKBONE.get(teacher, teacher)}_{detector}-{BACKBONE.get(student, student)}'
    return f'{METHOD_PREFIX[method]}_{pair}_8xb2-{schedule}'


def expected_results() -> Dict[str, Dict[str, Dict[str, str]]]:
    """config -> paper AP -> every metric the paper gives with it (rows of several tables merged)."""
    results: Dict[str, Dict[str, Dict[str, str]]] = defaultdict(dict)
    for row in read_rows():
        metrics = results[config_of(row)].setdefault(row['AP'], {})
        for name in METRICS:
            if row[name]:
                assert metrics.setdefault(name, row[name]) == row[name], (row, metrics)
    return results


def test_the_csv_is_the_papers_tables():
    rows = read_rows()
    assert len(rows) == 54 and {row['source'] for row in rows} == {'RM+PFI (AAAI 2022)'}
    assert {row['table'] for row in rows} == {f'Table {i}' for i in range(1, 8)}
    # spot checks against the paper: Table 1 GFL RM + PFI, Table 6 R152 teacher, Table 7 distilled student
    by_key = {(r['table'], r['detector'], r['teacher'], r['student'], r['method']): r for r in rows}
    assert by_key['Table 1', 'gfl', 'r50', 'r18', 'rm+pfi']['AP'] == '38.3'
    assert by_key['Table 6', 'retinanet', '', 'r152', 'teacher']['APs'] == '24.1'
    assert by_key['Table 7', 'retinanet', 'r101', 'r50', 'rm+pfi']['AP'] == '82.2'


def test_every_row_has_a_config():
    missing = sorted({config_of(row) for row in read_rows()
                      if not osp.isfile(osp.join(FOLDER, config_of(row) + '.py'))})
    assert not missing, missing


def test_metafile_results_are_the_papers_numbers():
    with open(osp.join(FOLDER, 'metafile.yml')) as f:
        models = {osp.relpath(m['Config'], 'configs/rm_pfi')[:-3]: m for m in yaml.safe_load(f)['Models']}
    expected = expected_results()
    assert set(models) == set(expected), set(models) ^ set(expected)
    for config, by_ap in expected.items():
        results = models[config]['Results']
        voc = config.endswith('voc0712')
        found = {}
        for result in results:
            assert result['Task'] == 'Object Detection'
            assert result['Dataset'] == ('Pascal VOC 2007' if voc else 'COCO'), config
            metrics = {name: str(value) for name, value in result['Metrics'].items()}
            ap = metrics.pop('mAP' if voc else 'box AP')
            found[ap] = {('AP' + name[len('box AP'):] if name.startswith('box AP') else name): value
                         for name, value in metrics.items()}
        assert found == {ap: {k: v for k, v in metrics.items() if k != 'AP'} for ap, metrics in by_ap.items()}, \
            config


def readme_line(name: str) -> str:
    with open(osp.join(FOLDER, 'README.md')) as f:
        lines = [line for line in f if line.startswith(f'| [{osp.basename(name)}](')]
    assert len(lines) == 1, (name, lines)
    return lines[0]


@pytest.mark.parametrize('config', sorted(expected_results()))
def test_readme_line_carries_the_papers_ap(config):
    cells = [cell.strip() for cell in readme_line(config).split('|')]
    paper_cell = cells[4]  # | config | role | table(s) | paper AP | ...
    for ap in expected_results()[config]:
        assert ap in paper_cell.replace('**', '').split(), (config, paper_cell)


def mmdet_models() -> Dict[str, dict]:
    """mmdet 3.3.0's released models (its metafiles) by config path, e.g. ``retinanet/retinanet_r50_fpn_1x_coco.py``."""
    import glob

    import mmdet
    models = {}
    for metafile in glob.glob(osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', '*', 'metafile.yml')):
        with open(metafile) as f:
            meta = yaml.safe_load(f)
            for model in (meta.get('Models') if isinstance(meta, dict) else meta) or []:
                models[model['Config'][len('configs/'):]] = model
    return models


def test_released_teachers_are_mmdets_checkpoints_of_the_teacher_config():
    """A pair's URL teacher is the checkpoint mmdet releases for the very config its teacher row inherits unchanged,
    and the box AP stated beside it (metafile ``Teacher Checkpoint box AP``) is mmdet's."""
    import re

    released = mmdet_models()
    with open(osp.join(FOLDER, 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    urls = 0
    for model in models:
        if 'Teacher' not in model['Metadata']:
            continue
        cfg = load_config(model['Config'])
        teacher_row = osp.join(REPO_ROOT, model['Metadata']['Teacher'])
        assert cfg.model.teacher.cfg_path == 'mmkd::' + model['Metadata']['Teacher'][len('configs/'):]
        with open(teacher_row) as f:
            text = f.read()
        base = re.search(r"^_base_ = 'mmdet::(.+)'$", text, re.M)
        if '://' not in cfg.teacher_ckpt:
            assert 'Teacher Checkpoint' not in model['Metadata'], model['Name']
            assert base is None or base.group(1) not in released or 'backbone' in text, model['Name']
            continue
        urls += 1
        assert base is not None and 'model = dict(' not in text, f'{teacher_row}: not mmdet\'s config unchanged'
        mmdet_model = released[base.group(1)]
        assert cfg.teacher_ckpt == mmdet_model['Weights'] == model['Metadata']['Teacher Checkpoint'], model['Name']
        assert model['Metadata']['Teacher Checkpoint box AP'] == mmdet_model['Results'][0]['Metrics']['box AP']
    assert urls == 24  # of the 29 distillation rows: all but the R152, MobileNetV2 and VOC teachers (none released)


def test_every_coco_row_uses_the_papers_optimiser():
    for config in sorted(expected_results()):
        cfg = load_config(f'configs/rm_pfi/{config}.py')
        assert cfg.optim_wrapper.optimizer.lr == 0.02, config
        assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=16), config
        assert cfg.train_dataloader.batch_size == 2, config  # x 8 GPUs
        if config.endswith('voc0712'):
            assert cfg.train_cfg.max_epochs == 18 and cfg.train_dataloader.dataset.type == 'ConcatDataset'
            assert [s.milestones for s in cfg.param_scheduler if s.type == 'MultiStepLR'] == [[14, 16]], config
        else:
            epochs = 24 if '-2x_' in config else 12
            assert cfg.train_cfg.max_epochs == epochs, config
            milestones = [16, 22] if epochs == 24 else [8, 11]
            assert [s.milestones for s in cfg.param_scheduler if s.type == 'MultiStepLR'] == [milestones], config


def test_mmdet_aps_stated_beside_the_papers_are_mmdets():
    """A detector row that is mmdet's config unchanged (but the lr) states mmdet's released AP (metafile ``mmdet box
    AP``, README "(mmdet: ...)"), and only such rows do."""
    import re
    released = mmdet_models()
    with open(osp.join(FOLDER, 'metafile.yml')) as f:
        models = [m for m in yaml.safe_load(f)['Models'] if m['Config'].startswith('configs/rm_pfi/detectors/')]
    stated = 0
    for model in models:
        with open(osp.join(REPO_ROOT, model['Config'])) as f:
            text = f.read()
        base = re.search(r"^_base_ = 'mmdet::(.+)'$", text, re.M)
        unchanged = base is not None and 'model = dict(' not in text and base.group(1) in released
        line = readme_line(model['Name'])
        if unchanged:
            ap = released[base.group(1)]['Results'][0]['Metrics']['box AP']
            assert model['Metadata']['mmdet box AP'] == ap and f'(mmdet: {ap})' in line, model['Name']
            stated += 1
        else:
            assert 'mmdet box AP' not in model['Metadata'] and '(mmdet:' not in line, model['Name']
    assert stated == 7
