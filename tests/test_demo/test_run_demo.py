# Copyright (c) mmkd contributors. All rights reserved.
"""The embedded demo end to end, shrunk: generate data, teacher, student, CWD and BPKD students, table."""
import re
import sys

import pytest

from tests.helpers.tools import run_tool

pytestmark = pytest.mark.slow


def test_demo_runs_all_stages_and_prints_the_table(tmp_path):
    result = run_tool([sys.executable, 'demo/run_demo.py', '--iters', '4', '--num-train', '8', '--num-val', '4',
                       '--work-dir', str(tmp_path / 'work'), '--data-root', str(tmp_path / 'city')])
    assert result.returncode == 0, result.stderr[-5000:]
    for stage in ('teacher', 'student', 'distill_cwd', 'distill_bpkd'):
        assert (tmp_path / 'work' / stage / 'iter_4.pth').is_file(), stage
    rows = {}
    for line in result.stdout.splitlines():
        match = re.match(r'\|\s*(student alone|student \+ CWD|student \+ BPKD|teacher)\s*\|'
                         r'\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)', line)
        if match:
            rows[match.group(1)] = tuple(float(match.group(i)) for i in (2, 3, 4))
    assert set(rows) == {'student alone', 'student + CWD', 'student + BPKD', 'teacher'}, result.stdout[-2000:]
    assert rows['teacher'][0] == pytest.approx(3.16, abs=0.01)
    for student in ('student alone', 'student + CWD', 'student + BPKD'):
        assert rows[student][0] == pytest.approx(0.79, abs=0.01)
    assert all(0 <= miou <= 100 and 0 <= trimap <= 100 for _, miou, trimap in rows.values())
    # a second run reuses the generated data instead of refusing to overwrite it
    result = run_tool([sys.executable, 'demo/run_demo.py', '--iters', '2', '--num-train', '8', '--num-val', '4',
                       '--work-dir', str(tmp_path / 'work'), '--data-root', str(tmp_path / 'city')])
    assert result.returncode == 0, result.stderr[-5000:]
    assert 'Using the synthetic city' in result.stdout + result.stderr
