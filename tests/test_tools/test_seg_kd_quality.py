# Copyright (c) mmkd contributors. All rights reserved.
"""benchmarks/seg_kd_quality.py: the statistics it prints, and a smoke run with tiny settings (1 seed, 2 iterations)."""
import importlib.util
import json
import os.path as osp
import re
import sys

import pytest

from tests.helpers.tools import REPO_ROOT, run_tool

SCRIPT = osp.join(REPO_ROOT, 'benchmarks', 'seg_kd_quality.py')


def load_script():
    spec = importlib.util.spec_from_file_location('seg_kd_quality', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mean_and_sample_std():
    script = load_script()
    assert script.mean_std([1.0, 2.0, 3.0]) == '2.00 ± 1.00'  # sample std (n - 1): sqrt(((1)^2 + 0 + 1^2) / 2)
    assert script.mean_std([26.5, 27.0]) == '26.75 ± 0.35'  # |a - b| / sqrt(2) = 0.3536
    assert script.mean_std([4.2]) == '4.20 ± 0.00'
    # the variants are the BPKD config with one option changed
    assert script.METHODS['BPKD-body-masked'][0] == script.METHODS['BPKD'][0]
    assert script.METHODS['BPKD-body-masked'][1] == {'model.distiller.distill_losses.loss_bpkd.body_softmax': 'masked'}


@pytest.mark.slow  # ~40 s on an idle 2-core CPU: a teacher and three students of 2 iterations each, 4 val images
def test_smoke_run_prints_the_tables_and_resumes(tmp_path, synthetic_city):
    args = [sys.executable, SCRIPT, '--seeds', '0', '--iters', '2', '--methods', 'student', 'CWD', 'BPKD',
            '--work-dir', str(tmp_path / 'work'), '--data-root', synthetic_city, '--num-val', '4']
    result = run_tool(args)
    assert result.returncode == 0, result.stderr[-5000:]
    rows = {}
    for line in result.stdout.splitlines():
        match = re.match(r'\|\s*(student|CWD|BPKD|teacher)\s*\|\s*1\s*\|\s*([\d.]+)(?: ± ([\d.]+))?\s*\|', line)
        if match:
            rows[match.group(1)] = match.groups()[1:]
    assert set(rows) == {'student', 'CWD', 'BPKD', 'teacher'}, result.stdout[-3000:]
    assert all(std in (None, '0.00') for _, std in rows.values())  # one seed: std 0
    assert re.search(r'\|\s*BPKD - CWD\s*\|\s*mIoU\s*\|\s*[+-][\d.]+\s*\|', result.stdout), result.stdout[-3000:]
    stored = json.loads((tmp_path / 'work' / 'results.json').read_text())
    assert set(stored) == {'teacher/seed0/iters2', 'student/seed0/iters2', 'CWD/seed0/iters2', 'BPKD/seed0/iters2'}
    # a second run reuses every stored stage instead of training again
    result = run_tool(args)
    assert result.returncode == 0, result.stderr[-5000:]
    assert result.stdout.count('stored result') == 3 and 'Iter(train)' not in result.stdout + result.stderr
