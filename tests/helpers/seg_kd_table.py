# Copyright (c) mmkd contributors. All rights reserved.
"""The segmentation-KD row generator (tools/misc/gen_seg_kd_configs.py) and the published tables, for the tests."""
import csv
import functools
import importlib.util
import os.path as osp
from typing import Dict, List

from tests.helpers.tools import REPO_ROOT

TABLES = osp.join(REPO_ROOT, 'docs', 'paper_tables')


@functools.lru_cache()
def gen():
    """The generator module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location('gen_seg_kd_configs',
                                                  osp.join(REPO_ROOT, 'tools', 'misc', 'gen_seg_kd_configs.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_table(name: str) -> List[Dict[str, str]]:
    """A CSV of docs/paper_tables/, read here without the generator."""
    with open(osp.join(TABLES, name), newline='') as f:
        return list(csv.DictReader(f))


def paper_lines() -> List[Dict[str, str]]:
    return read_table('bpkd_tables.csv')
