# Copyright (c) mmkd contributors. All rights reserved.
"""The linter is one ruff, configured once: the same version in requirements, the lock and pre-commit; the rule sets
the issue asks for; CI runs it before the tests."""
import os.path as osp
import re

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def read(*parts: str) -> str:
    with open(osp.join(REPO, *parts), encoding='utf-8') as f:
        return f.read()


def test_one_ruff_version_everywhere():
    pinned = re.search(r'^ruff==(\S+)$', read('requirements', 'tests.txt'), re.M).group(1)
    assert re.search(rf'^ruff=={re.escape(pinned)}$', read('requirements', 'lock.txt'), re.M)
    assert re.search(rf'astral-sh/ruff-pre-commit\n\s+rev: v{re.escape(pinned)}\n', read('.pre-commit-config.yaml'))


def test_rules_and_line_length():
    config = read('ruff.toml')  # read as text: tomllib is Python >= 3.11, mmkd supports 3.10
    assert re.search(r'^line-length = 120$', config, re.M)
    selected = set(re.findall(r'"(\w+)"', re.search(r'^select = \[(.*)\]$', config, re.M).group(1)))
    assert {'E', 'F', 'W', 'I'} <= selected
    # Only configs/ and the config generator's literal text skip the line length; no rule is ignored globally.
    assert not re.search(r'^(extend-)?ignore\s*=', config, re.M)
    ignores = re.findall(r'^"([^"]+)" = \[(.*)\]$', config, re.M)
    assert ignores == [('configs/**', '"E501"'), ('tools/misc/gen_seg_kd_configs.py', '"E501"')]


def test_ci_lints_before_testing():
    script = read('.ci', 'run')
    assert script.index('make lint') < script.index('make test')
    assert re.search(r'^lint: env\n\t\$\(PYTHON_VENV\) -m ruff check \.$', read('Makefile'), re.M)
