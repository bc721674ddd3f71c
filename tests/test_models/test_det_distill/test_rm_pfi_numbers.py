# Copyright (c) mmkd contributors. All rights reserved.
"""Every published number of RM + PFI (AAAI 2022) Tables 1-7 (configs/rm_pfi/rm_pfi_tables.csv, copied from the
paper) is on its config's README line and in its metafile ``Results``, and nothing else is."""
import csv
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
