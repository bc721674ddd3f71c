# Copyright (c) mmkd contributors. All rights reserved.
"""The package layout: runtime modules never reach into ``mmkd.testing`` (generators, demo stages)."""
import ast
import glob
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _imported_modules(path: str) -> set:
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            # relative imports inside mmkd resolve against the file's package
            if node.level:
                package = osp.relpath(osp.dirname(path), REPO).replace(osp.sep, '.').split('.')
                package = package[:len(package) - node.level + 1]
                names.add('.'.join(package + [node.module]))
            else:
                names.add(node.module)
    return names


def test_runtime_modules_do_not_import_mmkd_testing():
    offenders = []
    for path in glob.glob(osp.join(REPO, 'mmkd', '**', '*.py'), recursive=True):
        rel = osp.relpath(path, REPO)
        if rel.startswith(osp.join('mmkd', 'testing')):
            continue
        if any(name == 'mmkd.testing' or name.startswith('mmkd.testing.') for name in _imported_modules(path)):
            offenders.append(rel)
    assert offenders == []


def test_import_mmkd_does_not_import_mmkd_testing():
    code = ('import sys, mmkd, mmkd.models, mmkd.datasets, mmkd.evaluation\n'
            'print(any(m.startswith("mmkd.testing") for m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'False'


def test_demo_config_paths_resolve_in_the_installed_package():
    from mmkd.testing.demo import DISTILL_CONFIGS, STUDENT_CONFIG, TEACHER_CONFIG, demo_config_path
    for relative in [TEACHER_CONFIG, STUDENT_CONFIG, *DISTILL_CONFIGS.values()]:
        assert osp.samefile(demo_config_path(relative), osp.join(REPO, 'configs', relative))
    with pytest.raises(FileNotFoundError, match='pip install -e'):
        demo_config_path('demo/no_such_config.py')


def test_non_runtime_folders_are_where_the_readme_says():
    for folder in ('mmkd/testing/synthetic', 'tools/dataset_generators', 'tools/analysis_tools', 'demo', 'benchmarks'):
        assert osp.isdir(osp.join(REPO, folder)), folder
    # (only sources count: a stale __pycache__ of an old checkout is not a file of the tree)
    for gone in ('mmkd/datasets/synthetic', 'mmkd/apis', 'mmkd/utils/timing.py', 'tools/dataset_converters'):
        path = osp.join(REPO, gone)
        assert not (osp.isfile(path) or glob.glob(osp.join(path, '*.py'))), gone
