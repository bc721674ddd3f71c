# Copyright (c) mmkd contributors. All rights reserved.
"""Write the detection-KD pair bases (``configs/_base_/distill/det/pairs/``) from one table.

One pair base per teacher -> student pair of RM + PFI (AAAI 2022) Tables 1-7: the student detector row (dataset,
schedule, optimiser) + the detection distillation algorithm (``../rm_pfi_algorithm.py``) + both detector rows by
``cfg_path`` + the teacher checkpoint; a row of ``configs/rm_pfi/`` adds its losses. Stated once, in ``PAIRS``
below: the pair, its tables, its two detector rows and whether mmdet releases the teacher. Derived, never retyped:

- a released teacher's checkpoint and box AP: mmdet's metafile entry (``Weights``, ``box AP``) of the mmdet config
  the teacher row inherits unchanged (``_base_ = 'mmdet::...'``);
- the paper's teacher AP: its line of ``configs/rm_pfi/rm_pfi_tables.csv``;
- an unreleased teacher's checkpoint: ``checkpoints/<teacher row>.pth`` (train the row first).

Usage::

    python tools/misc/gen_det_kd_configs.py           # write every pair base
    python tools/misc/gen_det_kd_configs.py --check   # list the files that differ (exit 1), write nothing
"""
import csv
import importlib.util
import os
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, NamedTuple, Tuple

import yaml

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))  # tools/ is not a package: the shared writer is beside us
import kd_config_writer as writer  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = 'tools/misc/gen_det_kd_configs.py'
PAIRS_DIR = 'configs/_base_/distill/det/pairs'
DETECTORS = 'configs/rm_pfi/detectors'
PAPER_CSV = 'configs/rm_pfi/rm_pfi_tables.csv'


class DetPair(NamedTuple):
    """One pair base: ``<teacher>_<student>_<schedule>`` (its file name), as the rows of configs/rm_pfi/ name it."""
    tables: Tuple[int, ...]  # the paper's tables whose rows use this pair
    teacher: str             # teacher detector row (configs/rm_pfi/detectors/<teacher>.py)
    student: str             # student detector row: the pair base's dataset, schedule and optimiser
    paper_teacher: Tuple[int, str]  # (table, backbone) of the teacher's line in rm_pfi_tables.csv
    released: bool           # mmdet releases a checkpoint of the teacher row's mmdet config
    note: str = ''           # said after the paper's teacher AP


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------

PAIRS = OrderedDict([
    ('atss-r50_atss-r18_8xb2-1x_coco',
     DetPair((1, ), 'atss_r50_fpn_8xb2-1x_coco', 'atss_r18_fpn_8xb2-1x_coco', (1, 'r50'), True)),
    ('fcos-r50_fcos-r18_8xb2-1x_coco',
     DetPair((1, 2), 'fcos_r50-caffe_fpn_gn-head_8xb2-1x_coco', 'fcos_r18_fpn_gn-head_8xb2-1x_coco', (1, 'r50'),
             True)),
    ('gfl-r50_gfl-r18_8xb2-1x_coco',
     DetPair((1, 2, 5), 'gfl_r50_fpn_8xb2-1x_coco', 'gfl_r18_fpn_8xb2-1x_coco', (1, 'r50'), True)),
    ('retinanet-mobilenet-v2_retinanet-mobilenet-v2-half_8xb2-1x_coco',
     DetPair((3, ), 'retinanet_mobilenet-v2_fpn_8xb2-1x_coco', 'retinanet_mobilenet-v2-half_fpn_8xb2-1x_coco',
             (3, 'mbv2'), False)),
    ('retinanet-r101_retinanet-r50_8xb2-18e_voc0712',
     DetPair((7, ), 'retinanet_r101_fpn_8xb2-18e_voc0712', 'retinanet_r50_fpn_8xb2-18e_voc0712', (7, 'r101'), False)),
    ('retinanet-r101_retinanet-r50_8xb2-1x_coco',
     DetPair((3, ), 'retinanet_r101_fpn_8xb2-1x_coco', 'retinanet_r50_fpn_8xb2-1x_coco', (3, 'r101'), True)),
    # Table 6's R101 teacher (38.5 AP) is mmdet's released 1x model, teaching the 2x student
    ('retinanet-r101_retinanet-r50_8xb2-2x_coco',
     DetPair((6, ), 'retinanet_r101_fpn_8xb2-1x_coco', 'retinanet_r50_fpn_8xb2-2x_coco', (6, 'r101'), True,
             note='a 1x model')),
    ('retinanet-r152_retinanet-r50_8xb2-2x_coco',
     DetPair((6, ), 'retinanet_r152_fpn_8xb2-2x_coco', 'retinanet_r50_fpn_8xb2-2x_coco', (6, 'r152'), False)),
    ('retinanet-r50_retinanet-r18_8xb2-1x_coco',
     DetPair((1, 2, 4), 'retinanet_r50_fpn_8xb2-1x_coco', 'retinanet_r18_fpn_8xb2-1x_coco', (1, 'r50'), True)),
])

# ---------------------------------------------------------------------------------------------------------------
# Derived facts
# ---------------------------------------------------------------------------------------------------------------


def _read(path: str) -> str:
    with open(osp.join(REPO_ROOT, path)) as f:
        return f.read()


def paper_teacher_ap(name: str, pair: DetPair) -> Tuple[str, str]:
    """(the paper's AP of the pair's teacher, its metric name) from rm_pfi_tables.csv."""
    table, backbone = pair.paper_teacher
    detector = name.split('-', 1)[0]
    with open(osp.join(REPO_ROOT, PAPER_CSV), newline='') as f:
        lines = [line for line in csv.DictReader(f) if line['method'] == 'teacher' and
                 line['table'] == f'Table {table}' and line['detector'] == detector and line['student'] == backbone]
    if len(lines) != 1:
        raise KeyError(f'{PAPER_CSV}: {len(lines)} teacher lines for Table {table}, {detector}, {backbone} '
                       f'(PAIRS[{name!r}].paper_teacher): expected one')
    return lines[0]['AP'], 'mAP@0.5' if lines[0]['dataset'].startswith('voc') else 'AP'


def mmdet_release(teacher: str) -> Tuple[str, str, float]:
    """(mmdet config name, checkpoint URL, box AP) of the mmdet config that the teacher row inherits unchanged, from
    mmdet's installed metafile."""
    path = f'{DETECTORS}/{teacher}.py'
    text = _read(path)
    base = re.search(r"^_base_ = 'mmdet::(.+)'$", text, re.M)
    if base is None or 'model = dict(' in text:
        raise ValueError(f'{path}: released=True needs the teacher row to be mmdet\'s config unchanged '
                         "(`_base_ = 'mmdet::...'`, no model = dict(...)); set released=False in PAIRS.")
    spec = importlib.util.find_spec('mmdet')
    folder = base.group(1).split('/')[0]
    metafile = osp.join(osp.dirname(spec.origin), '.mim', 'configs', folder, 'metafile.yml')
    with open(metafile) as f:
        meta = yaml.safe_load(f)
    for model in meta.get('Models') or []:
        if model['Config'] == f'configs/{base.group(1)}' and model.get('Weights'):
            return osp.basename(base.group(1))[:-3], model['Weights'], model['Results'][0]['Metrics']['box AP']
    raise ValueError(f'{path}: mmdet releases no checkpoint of {base.group(1)} ({metafile}); set released=False.')


# ---------------------------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------------------------


def pair_base_body(name: str, pair: DetPair) -> str:
    tables = ', '.join(str(t) for t in pair.tables)
    paper_ap, metric = paper_teacher_ap(name, pair)
    paper = f"the paper's Table {pair.paper_teacher[0]} teacher"
    if pair.released:
        config, url, ap = mmdet_release(pair.teacher)
        said = f'= {paper}' if float(paper_ap) == ap else f'{paper}: {paper_ap}'
        note = f', {pair.note}' if pair.note else ''
        teacher = (f"# Teacher: mmdet's released {config}, {ap} {metric} ({said}{note});\n"
                   "# mmengine downloads and caches it (weights_only loading).\n")
        ckpt = url
    else:
        teacher = (f"# Teacher: mmdet releases none ({paper}: {paper_ap} {metric}): train the teacher row first; its\n"
                   "# checkpoint goes to teacher_ckpt (or --cfg-options model.teacher_ckpt=...).\n")
        ckpt = f'checkpoints/{pair.teacher}.pth'
    return (f"# Pair base, RM + PFI (AAAI 2022) Table{'s' if len(pair.tables) > 1 else ''} {tables}: "
            f"{pair.teacher} -> {pair.student}.\n"
            f"{writer.generated_header(TOOL)}\n"
            "# Dataset, schedule and optimiser are the student row's; a row adds its losses "
            "(see ../rm_pfi_algorithm.py).\n"
            f"{teacher}"
            f"_base_ = ['../../../../rm_pfi/detectors/{pair.student}.py', '../rm_pfi_algorithm.py']\n"
            "custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)\n\n"
            f"teacher_cfg_path = 'mmkd::rm_pfi/detectors/{pair.teacher}.py'\n"
            f"student_cfg_path = 'mmkd::rm_pfi/detectors/{pair.student}.py'\n"
            f"teacher_ckpt = '{ckpt}'\n"
            + writer.pair_model_block('student_cfg_path', 'teacher_cfg_path', 'teacher_ckpt'))


def all_files() -> Dict[str, str]:
    """Relative path -> text of every pair base."""
    return OrderedDict((f'{PAIRS_DIR}/{name}.py', pair_base_body(name, pair)) for name, pair in PAIRS.items())


def stale_files(files: Dict[str, str]) -> List[str]:
    """Pair bases in the folder that the table no longer has (every .py there is generated)."""
    folder = osp.join(REPO_ROOT, PAIRS_DIR)
    paths = [f'{PAIRS_DIR}/{n}' for n in sorted(os.listdir(folder)) if n.endswith('.py')]
    return [path for path in paths if path not in files]


def differences() -> Tuple[List[str], List[str]]:
    """(files whose text differs from what would be written, stale pair bases)."""
    files = all_files()
    return writer.differences(REPO_ROOT, files, stale_files(files))


def main(argv=None) -> int:
    return writer.main(argv, __doc__.split('\n\n')[0], REPO_ROOT, all_files, stale_files)


if __name__ == '__main__':
    sys.exit(main())
