# Copyright (c) mmkd contributors. All rights reserved.
"""Write the segmentation-KD benchmark rows from one table.

The rows of BPKD's tables (the official repository README's 80k tables, BPKD supplementary Tables 1 and 2: 4
teacher -> student pairs x 3 datasets x {teacher, student, SKDS, IFVD, CIRKD, CWD, BPKD}) and of BPKD supplementary
Table 4 (SOLOv2) are generated here, so that a pair, a schedule or a number is stated once:

- ``configs/seg_baselines/``: the teacher rows (mmseg's config of each released checkpoint) and the student rows;
- ``configs/_base_/distill/seg/pairs/``: one pair base per (pair, dataset, schedule): the student row + the teacher's
  config and released weights (``teacher_ckpt``);
- ``configs/{bpkd,cwd,skds,ifvd,cirkd}/``: one short row per (method, pair base), ``_base_ = [pair base, method base]``
  with the body of the row contract (cwd/bpkd/cirkd: the distiller; skds/ifvd: the adversarial algorithm too);
- every folder's ``metafile.yml`` entries (``Results`` with the published numbers, teacher ``Weights``) and the
  results table of every README, between ``<!-- seg-kd-table:begin -->`` and ``<!-- seg-kd-table:end -->``.

The published numbers are read from ``docs/paper_tables/*.csv`` (copies of the sources' tables). Measured results
("ours") live in the metafiles as a ``Results`` block with ``Source: mmkd (ours)``, written by
``tools/analysis_tools/collect_results.py``; this script keeps them and shows them in the README tables.

Usage::

    python tools/misc/gen_seg_kd_configs.py           # write every file
    python tools/misc/gen_seg_kd_configs.py --check   # list the files that differ (exit 1), write nothing
"""
import csv
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, NamedTuple, Optional, Tuple

import yaml

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))  # tools/ is not a package: the shared writer is beside us
import kd_config_writer as writer  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TABLES = osp.join(REPO_ROOT, 'docs', 'paper_tables')
GENERATED = writer.generated_header('tools/misc/gen_seg_kd_configs.py')
#: the segmentation bases (algorithm, recorders, methods/, pairs/) under configs/_base_/distill/
SEG_BASES = 'configs/_base_/distill/seg'
BEGIN, END = '<!-- seg-kd-table:begin -->', '<!-- seg-kd-table:end -->'
OURS = 'mmkd (ours)'

# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------

#: dataset key (as in the CSVs and mmseg's config names) -> title, GPUs x images per GPU, 80k training crop, classes
DATASETS = OrderedDict([
    ('cityscapes', dict(title='Cityscapes', gpus='4xb2', crop='512x1024', classes=19)),
    ('ade20k', dict(title='ADE20K', gpus='4xb4', crop='512x512', classes=150)),
    ('pascal-context-59', dict(title='Pascal Context 59', gpus='4xb4', crop='480x480', classes=59)),
])

#: CSV ``source`` -> the setting the rows train: schedule, training crop (None: the dataset's), scratch student
SETTINGS = OrderedDict([
    ('BPKD repository README, 80k tables', dict(key='80k', iters=80, crop=None, scratch=False)),
    ('BPKD supplementary, Table 2 (reduced schedule)', dict(key='40k', iters=40, crop='512x512', scratch=False)),
    # Table 1 sits in the supplementary's reduced-schedule section, beside Table 2: 40k iterations, 512x512 (the
    # transcription's `iters` column says 80k; configs/seg_baselines/README.md, "Schedules", says why we read 40k).
    ('BPKD supplementary, Table 1 (student not ImageNet-pretrained)',
     dict(key='scratch', iters=40, crop='512x512', scratch=True)),
])

METHODS = OrderedDict([  # method key (CSV) -> row-name prefix, title, README folder, adversarial body
    ('skds', dict(prefix='skds', title='SKDS', adversarial=True)),
    ('ifvd', dict(prefix='ifvd', title='IFVD', adversarial=True)),
    ('cirkd', dict(prefix='cirkd', title='CIRKD', adversarial=False)),
    ('cwd', dict(prefix='cwd-logits', title='CWD', adversarial=False)),
    ('bpkd', dict(prefix='bpkd', title='BPKD', adversarial=False)),
])

#: pair key (CSV) -> display names and the student rows' name stem
PAIRS = OrderedDict([
    ('pspnet-r101-d8_pspnet-r18-d8', dict(teacher='PSPNet-R101-D8', student='PSPNet-R18-D8', stem='pspnet_r18-d8')),
    ('fcn-hr48_fcn-hr18s', dict(teacher='HRNetV2p-W48 (FCN head)', student='HRNetV2p-W18-Small (FCN head)',
                                stem='fcn_hr18s')),
    ('deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8',
     dict(teacher='DeepLabV3+-R101-D8', student='DeepLabV3+-MobileNetV2-D8', stem='mobilenet-v2-d8_deeplabv3plus')),
    ('isanet-r101-d8_isanet-r18-d8', dict(teacher='ISANet-R101-D8', student='ISANet-R18-D8', stem='isanet_r18-d8')),
])

#: the one teacher that mmseg does not release: ISANet-R101 on Pascal Context 59, trained at 512x512 as BPKD's eval
#: config says (its weights are the user's: a local path)
ISANET_PC_TEACHER = 'isanet_r101-d8_4xb4-80k_pascal-context-59-512x512'

#: students that test Pascal Context with sliding windows (BPKD's eval configs; the others test whole images)
SLIDE_TEST_PC = ('pspnet-r101-d8_pspnet-r18-d8', 'fcn-hr48_fcn-hr18s')

_MV2 = """    pretrained='mmcls://mobilenet_v2',
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.,
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6){norm}),"""
_R18 = """    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),"""
_TRIMAP = """# BPKD supplementary Table 3 (trimap IoU on Cityscapes val) covers this pair: trimap IoU beside mIoU. Band: 3 pixels
# on each side of a GT class boundary at evaluation resolution (kernel 7, the band BPKD's edge loss distils, edge_width=7;
# the supplementary does not state its band width).
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='mmkd.TrimapIoUMetric', iou_metrics=['mIoU'], band_width=3)
]
test_evaluator = val_evaluator
"""

#: (pair, dataset) -> (provenance written in the README, body of the 80k student row)
STUDENTS_80K = {
    ('pspnet-r101-d8_pspnet-r18-d8', 'cityscapes'): (
        "mmseg `pspnet_r18-d8_4xb2-80k_cityscapes-512x1024`, + trimap IoU",
        "_base_ = 'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'\n" + _TRIMAP),
    ('pspnet-r101-d8_pspnet-r18-d8', 'ade20k'): (
        'derived: mmseg PSPNet-R50 + R18 deltas (BPKD eval config)',
        "# mmseg's R50 config with the R18 deltas of mmseg's own PSPNet-R18 configs (as BPKD's eval config).\n"
        "_base_ = 'mmseg::pspnet/pspnet_r50-d8_4xb4-80k_ade20k-512x512.py'\n"
        f"model = dict(\n{_R18}\n    decode_head=dict(in_channels=512, channels=128),\n"
        "    auxiliary_head=dict(in_channels=256, channels=64))\n"),
    ('pspnet-r101-d8_pspnet-r18-d8', 'pascal-context-59'): (
        'derived: mmseg PSPNet-R50 + R18 deltas, slide 480/320 (BPKD eval config)',
        "# mmseg's R50 config with the R18 deltas of mmseg's own PSPNet-R18 configs; slide test 480/320 (mmseg's and\n"
        "# BPKD's eval config).\n"
        "_base_ = 'mmseg::pspnet/pspnet_r50-d8_4xb4-80k_pascal-context-59-480x480.py'\n"
        f"model = dict(\n{_R18}\n    decode_head=dict(in_channels=512, channels=128),\n"
        "    auxiliary_head=dict(in_channels=256, channels=64))\n"),
    ('fcn-hr48_fcn-hr18s', 'cityscapes'): (
        'mmseg `fcn_hr18s_4xb2-80k_cityscapes-512x1024`',
        "_base_ = 'mmseg::hrnet/fcn_hr18s_4xb2-80k_cityscapes-512x1024.py'\n"),
    ('fcn-hr48_fcn-hr18s', 'ade20k'): (
        'mmseg `fcn_hr18s_4xb4-80k_ade20k-512x512`',
        "_base_ = 'mmseg::hrnet/fcn_hr18s_4xb4-80k_ade20k-512x512.py'\n"),
    ('fcn-hr48_fcn-hr18s', 'pascal-context-59'): (
        'mmseg `fcn_hr18s_4xb4-80k_pascal-context-59-480x480`, slide 512/320 (BPKD eval config)',
        "# mmseg's config; the test windows of BPKD's eval config: slide 512x512, stride 320 (mmseg: 480x480).\n"
        "_base_ = 'mmseg::hrnet/fcn_hr18s_4xb4-80k_pascal-context-59-480x480.py'\n"
        "model = dict(test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(320, 320)))\n"),
    ('deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8', 'cityscapes'): (
        'mmseg `mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024`, decode 128 / aux 64 (BPKD eval config)',
        "# mmseg's config with the head widths of BPKD's Cityscapes eval config: decode head 128, auxiliary head 64\n"
        "# channels (mmseg: 512 / 256). SyncBN everywhere, as both.\n"
        "_base_ = 'mmseg::mobilenet_v2/mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py'\n"
        "model = dict(decode_head=dict(channels=128), auxiliary_head=dict(channels=64))\n"),
    ('deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8', 'ade20k'): (
        'derived: mmseg DeepLabV3+-R101 + MobileNetV2 deltas, BN backbone (BPKD eval config)',
        "# mmseg's R101 config + the MobileNetV2 deltas of mmseg's MobileNetV2 configs (mmseg ships this model on ADE20K\n"
        "# at 160k only). The backbone has MobileNetV2's default BN, as BPKD's eval config (its `_delete_` drops the\n"
        "# SyncBN); the heads keep SyncBN.\n"
        "_base_ = 'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-80k_ade20k-512x512.py'\n"
        "model = dict(\n" + _MV2.format(norm='') + "\n"
        "    decode_head=dict(in_channels=320, c1_in_channels=24),\n    auxiliary_head=dict(in_channels=96))\n"),
    ('deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8', 'pascal-context-59'): (
        'derived: mmseg DeepLabV3+-R101 + MobileNetV2 deltas, BN backbone, whole-image test (BPKD eval config)',
        "# mmseg's R101 config + the MobileNetV2 deltas of mmseg's MobileNetV2 configs; as BPKD's eval config: backbone\n"
        "# with MobileNetV2's default BN (heads SyncBN) and whole-image testing (mmseg's R101 config: slide 480/320).\n"
        "_base_ = 'mmseg::deeplabv3plus/deeplabv3plus_r101-d8_4xb4-80k_pascal-context-59-480x480.py'\n"
        "model = dict(\n" + _MV2.format(norm='') + "\n"
        "    decode_head=dict(in_channels=320, c1_in_channels=24),\n    auxiliary_head=dict(in_channels=96),\n"
        "    test_cfg=dict(_delete_=True, mode='whole'))\n"),
    ('isanet-r101-d8_isanet-r18-d8', 'cityscapes'): (
        'derived: mmseg ISANet-R50 + R18 deltas, `isa_channels=256` (BPKD eval config)',
        "# mmseg has no ISANet-R18: the R50 config with the R18 deltas of BPKD's eval config (depth 18, decode head\n"
        "# 512 -> 128 channels, auxiliary head 256 -> 64); the ISA attention keeps isa_channels=256 (12.46 M parameters,\n"
        "# the tables' figure).\n"
        "_base_ = 'mmseg::isanet/isanet_r50-d8_4xb2-80k_cityscapes-512x1024.py'\n"
        f"model = dict(\n{_R18}\n    decode_head=dict(in_channels=512, channels=128, isa_channels=256),\n"
        "    auxiliary_head=dict(in_channels=256, channels=64))\n"),
    ('isanet-r101-d8_isanet-r18-d8', 'ade20k'): (
        'derived: mmseg ISANet-R50 + R18 deltas, `isa_channels=256` (BPKD eval config)',
        "# mmseg has no ISANet-R18: the R50 config with the R18 deltas of BPKD's eval config; isa_channels=256.\n"
        "_base_ = 'mmseg::isanet/isanet_r50-d8_4xb4-80k_ade20k-512x512.py'\n"
        f"model = dict(\n{_R18}\n    decode_head=dict(in_channels=512, channels=128, isa_channels=256),\n"
        "    auxiliary_head=dict(in_channels=256, channels=64))\n"),
    ('isanet-r101-d8_isanet-r18-d8', 'pascal-context-59'): (
        'derived: mmseg ISANet-R50 model + Pascal Context 59 settings, R18 deltas, whole-image test (BPKD eval config)',
        "# mmseg has no ISANet on Pascal Context: mmseg's ISANet model and Pascal Context 59 settings (480x480 crops,\n"
        "# SGD lr 0.004, weight decay 1e-4), the R18 deltas of BPKD's eval config (isa_channels=256) and its\n"
        "# whole-image test (the model's default).\n"
        "_base_ = [\n    'mmseg::_base_/models/isanet_r50-d8.py', 'mmseg::_base_/datasets/pascal_context_59.py',\n"
        "    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'\n]\n"
        "crop_size = (480, 480)\ndata_preprocessor = dict(size=crop_size)\n"
        f"model = dict(\n    data_preprocessor=data_preprocessor,\n{_R18}\n"
        "    decode_head=dict(in_channels=512, channels=128, isa_channels=256, num_classes=59),\n"
        "    auxiliary_head=dict(in_channels=256, channels=64, num_classes=59))\n"
        "optimizer = dict(type='SGD', lr=0.004, momentum=0.9, weight_decay=0.0001)\n"
        "optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)\n"),
}

ISANET_PC_TEACHER_BODY = (
    "# mmseg releases no ISANet on Pascal Context: BPKD trained its teacher at 512x512 (its eval config\n"
    "# isanet_r101-d8_512x512_80k_context). mmseg's ISANet model and Pascal Context 59 settings (SGD lr 0.004,\n"
    "# weight decay 1e-4), R101, 512x512 training crops, whole-image test (the model's default, as that config).\n"
    "# Train it first: the rows load checkpoints/" + ISANET_PC_TEACHER + ".pth.\n"
    "_base_ = [\n    'mmseg::_base_/models/isanet_r50-d8.py', 'mmseg::_base_/datasets/pascal_context_59.py',\n"
    "    'mmseg::_base_/default_runtime.py', 'mmseg::_base_/schedules/schedule_80k.py'\n]\n"
    "crop_size = (512, 512)\ndata_preprocessor = dict(size=crop_size)\n"
    "model = dict(\n    data_preprocessor=data_preprocessor,\n    pretrained='open-mmlab://resnet101_v1c',\n"
    "    backbone=dict(depth=101),\n    decode_head=dict(num_classes=59),\n    auxiliary_head=dict(num_classes=59))\n"
    "train_pipeline = [\n"
    "    dict(step, crop_size=crop_size) if step.type == 'RandomCrop' else step for step in _base_.train_pipeline\n]\n"
    "train_dataloader = dict(dataset=dict(pipeline=train_pipeline))\n"
    "optimizer = dict(type='SGD', lr=0.004, momentum=0.9, weight_decay=0.0001)\n"
    "optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer)\n")

#: BPKD supplementary Table 4 (SOLOv2): (CSV method, folder, config name, role)
SOLOV2_ROWS = [
    ('teacher', 'seg_baselines', 'solov2_x101-dcn_fpn_8xb2-ms-3x_coco', 'teacher: SOLOv2-X101-DCN'),
    ('student', 'seg_baselines', 'solov2-light_r18_fpn_8xb2-1x_coco', 'student: SOLOv2-Light-R18'),
    ('cwd', 'cwd', 'cwd-masks_solov2-x101-dcn_solov2-light-r18_fpn_8xb2-1x_coco', 'CWD'),
    ('bpkd', 'bpkd', 'bpkd_solov2-x101-dcn_solov2-light-r18_fpn_8xb2-1x_coco', 'BPKD'),
]
#: mmdet 3.3.0's metafile.yml (solov2_x101-dcn_fpn_ms-3x_coco, mask AP 42.4): the teacher's released weights
SOLOV2_TEACHER_WEIGHTS = ('https://download.openmmlab.com/mmdetection/v2.0/solov2/solov2_x101_dcn_fpn_3x_coco/'
                          'solov2_x101_dcn_fpn_3x_coco_20220513_214337-aef41095.pth')

# ---------------------------------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------------------------------


def read_csv(name: str) -> List[Dict[str, str]]:
    with open(osp.join(TABLES, name), newline='') as f:
        return list(csv.DictReader(f))


class Setting(NamedTuple):
    """One (pair, dataset, table setting): a pair base, its student row and its five method rows."""
    source: str
    pair: str
    dataset: str

    @property
    def spec(self) -> dict:
        return SETTINGS[self.source]

    @property
    def crop(self) -> str:
        return self.spec['crop'] or DATASETS[self.dataset]['crop']

    @property
    def schedule(self) -> str:
        """e.g. ``4xb2-80k_cityscapes-512x1024``: the part of a row name after the models."""
        return f"{DATASETS[self.dataset]['gpus']}-{self.spec['iters']}k_{self.dataset}-{self.crop}"

    @property
    def student(self) -> str:
        stem = PAIRS[self.pair]['stem'] + ('-scratch' if self.spec['scratch'] else '')
        return f'{stem}_{self.schedule}'

    @property
    def pair_base(self) -> str:
        return f"{self.pair}{'-scratch' if self.spec['scratch'] else ''}_{self.schedule}"

    def row(self, method: str) -> str:
        return f"{METHODS[method]['prefix']}_{self.pair_base}"


def teachers() -> Dict[Tuple[str, str], Tuple[str, Optional[str], str]]:
    """(pair, dataset) -> (teacher row name, weights URL or None, mmseg config or '') from bpkd_teachers.csv."""
    result = {}
    for line in read_csv('bpkd_teachers.csv'):
        if line['weights']:
            config = line['mmseg_config']
            result[(line['pair'], line['dataset'])] = (osp.basename(config)[:-3], line['weights'], config)
        else:  # not released by mmseg
            assert (line['pair'], line['dataset']) == ('isanet-r101-d8_isanet-r18-d8', 'pascal-context-59'), line
            result[(line['pair'], line['dataset'])] = (ISANET_PC_TEACHER, None, '')
    return result


def teacher_ckpt(pair: str, dataset: str) -> str:
    name, url, _ = teachers()[(pair, dataset)]
    return url or f'checkpoints/{name}.pth'


def settings() -> List[Setting]:
    """Every (source, pair, dataset) of bpkd_tables.csv, in the CSV's order."""
    seen = OrderedDict()
    for line in read_csv('bpkd_tables.csv'):
        if line['source'] not in SETTINGS:
            raise KeyError(f'docs/paper_tables/bpkd_tables.csv: unknown source {line["source"]!r}: add it to SETTINGS')
        seen[Setting(line['source'], line['pair'], line['dataset'])] = None
    return list(seen)


def paper_rows() -> Dict[Tuple[str, str, str, str], Dict[str, str]]:
    """(source, pair, dataset, method) -> the CSV line."""
    return {(line['source'], line['pair'], line['dataset'], line['method']): line
            for line in read_csv('bpkd_tables.csv')}


class Row(NamedTuple):
    """One config and the CSV lines whose numbers it reproduces."""
    folder: str      # configs/<folder>/
    name: str        # config file name without .py
    method: str      # 'teacher', 'student' or a METHODS key
    lines: tuple     # CSV lines (dicts); several for a teacher shared by the tables
    setting: Optional[Setting]

    @property
    def config(self) -> str:
        return f'configs/{self.folder}/{self.name}.py'


def rows() -> List[Row]:
    """Every segmentation row (teachers first per pair/dataset), each with its CSV lines."""
    papers, tchs = paper_rows(), teachers()
    result, teacher_lines = [], OrderedDict()
    for s in settings():
        teacher_lines.setdefault((s.pair, s.dataset), []).append(papers[(s.source, s.pair, s.dataset, 'teacher')])
    for (pair, dataset), lines in teacher_lines.items():
        result.append(Row('seg_baselines', tchs[(pair, dataset)][0], 'teacher', tuple(lines), None))
    for s in settings():
        result.append(Row('seg_baselines', s.student, 'student', (papers[(s.source, s.pair, s.dataset, 'student')], ), s))
        for method in METHODS:
            result.append(Row(method, s.row(method), method, (papers[(s.source, s.pair, s.dataset, method)], ), s))
    return result


# ---------------------------------------------------------------------------------------------------------------
# Config files
# ---------------------------------------------------------------------------------------------------------------


def describe(s: Setting) -> str:
    return (f"{PAIRS[s.pair]['teacher']} -> {PAIRS[s.pair]['student']}{' (not ImageNet-pretrained)' if s.spec['scratch'] else ''}, "
            f"{DATASETS[s.dataset]['title']} {s.crop}, {s.spec['iters']}k iterations ({s.source})")


def student_body(s: Setting) -> str:
    """The student row of a setting: the 80k row as in STUDENTS_80K; 40k rows derive from it."""
    head = f"# Student row: {PAIRS[s.pair]['student']}, {DATASETS[s.dataset]['title']} {s.crop}, {s.spec['iters']}k " \
           f"iterations ({s.source}).\n{GENERATED}\n"
    if s.spec['scratch']:
        base = Setting('BPKD supplementary, Table 2 (reduced schedule)', s.pair, s.dataset).student
        return head + ("# The pre-trained student row of the same schedule with pretrained=None: the backbone keeps\n"
                       "# mmseg's random initialisation (no Pretrained init_cfg).\n"
                       f"_base_ = './{base}.py'\nmodel = dict(pretrained=None)\n")
    if s.spec['iters'] == 80:
        return head + STUDENTS_80K[(s.pair, s.dataset)][1]
    base = Setting('BPKD repository README, 80k tables', s.pair, s.dataset)
    body = f"# The 80k row with mmseg's 40k schedule and {s.crop} training crops.\n_base_ = './{base.student}.py'\n"
    if s.crop != base.crop:
        h, w = s.crop.split('x')
        body += f'crop_size = ({h}, {w})\ndata_preprocessor = dict(size=crop_size)\n'
        slide = s.dataset == 'pascal-context-59' and s.pair in SLIDE_TEST_PC
        if slide:  # sliding windows of the crop's size, stride 2/3 of the window (as mmseg's 480/320)
            body += 'model = dict(data_preprocessor=data_preprocessor, test_cfg=dict(crop_size=crop_size, ' \
                    'stride=(341, 341)))\n'
        else:
            body += 'model = dict(data_preprocessor=data_preprocessor)\n'
        body += ("train_pipeline = [\n    dict(step, crop_size=crop_size) if step.type == 'RandomCrop' else step "
                 "for step in _base_.train_pipeline\n]\ntrain_dataloader = dict(dataset=dict(pipeline=train_pipeline))\n")
    body += ("train_cfg = dict(max_iters=40000, val_interval=4000)\n"
             "param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=40000, by_epoch=False)]\n"
             "default_hooks = dict(checkpoint=dict(interval=4000))\n")
    return head + body


def teacher_body(pair: str, dataset: str) -> str:
    name, url, config = teachers()[(pair, dataset)]
    head = f"# Teacher row: {PAIRS[pair]['teacher']}, {DATASETS[dataset]['title']}: the teacher of every row of this " \
           f"pair and dataset\n# (BPKD's 80k tables and supplementary Tables 1-2).\n{GENERATED}\n"
    if url is None:
        return head + ISANET_PC_TEACHER_BODY
    folder = config.split('/')[1]
    return head + (f"# mmseg's config of the released checkpoint (teacher_ckpt of the pair bases):\n# {url}\n"
                   f"_base_ = 'mmseg::{folder}/{name}.py'\n")


def pair_base_body(s: Setting) -> str:
    teacher = teachers()[(s.pair, s.dataset)][0]
    return (f"# Pair base: {describe(s)}.\n{GENERATED}\n"
            "# The student row's dataset, schedule, optimiser and evaluators; the teacher of this pair and dataset with its\n"
            "# released weights (mmengine downloads and caches them; a local path works too:\n"
            "# --cfg-options model.teacher_ckpt=...). A row adds a method base (../methods/<method>.py).\n"
            f"_base_ = ['../../../../seg_baselines/{s.student}.py', '../seg_kd_algorithm.py']\n"
            "custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)\n"
            + writer.pair_model_block(f"'mmkd::seg_baselines/{s.student}.py'", f"'mmkd::seg_baselines/{teacher}.py'",
                                      f"'{teacher_ckpt(s.pair, s.dataset)}'"))


ROW_BODY = 'model = dict(distiller=_base_.distiller)\n'
ADVERSARIAL_ROW_BODY = (
    'model = dict(_base_.adversarial_algorithm, distiller=_base_.distiller)\n'
    'optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)\n'
    'param_scheduler = dict(\n    _delete_=True,\n    architecture=_base_.param_scheduler,\n'
    '    discriminator=[dict(_base_.discriminator_scheduler, end=_base_.train_cfg.max_iters)])\n')


def row_body(s: Setting, method: str) -> str:
    spec = METHODS[method]
    return (f"# {spec['title']}: {describe(s)}.\n{GENERATED}\n"
            f"_base_ = [\n    '../_base_/distill/seg/pairs/{s.pair_base}.py',\n    '../_base_/distill/seg/methods/{method}.py'\n]\n"
            + (ADVERSARIAL_ROW_BODY if spec['adversarial'] else ROW_BODY))


def config_files() -> Dict[str, str]:
    """Relative path -> text of every generated config."""
    files = OrderedDict()
    for (pair, dataset) in teachers():
        files[f'configs/seg_baselines/{teachers()[(pair, dataset)][0]}.py'] = teacher_body(pair, dataset)
    for s in settings():
        files[f'configs/seg_baselines/{s.student}.py'] = student_body(s)
        files[f'{SEG_BASES}/pairs/{s.pair_base}.py'] = pair_base_body(s)
        for method in METHODS:
            files[f'configs/{method}/{s.row(method)}.py'] = row_body(s, method)
    return files


def owned(path: str) -> bool:
    """Whether a config path is one this generator writes (so a stale one is removed)."""
    name = osp.basename(path)
    if 'solov2' in name or 'synthcity' in name or not name.endswith('.py'):
        return False
    folder = osp.dirname(path)
    if folder in ('configs/seg_baselines', f'{SEG_BASES}/pairs'):
        return True
    if folder[len('configs/'):] in METHODS:
        return any(pair in name for pair in PAIRS)
    return False


# ---------------------------------------------------------------------------------------------------------------
# Metafiles and README tables
# ---------------------------------------------------------------------------------------------------------------


def _num(text: str):
    return float(text) if text else None


def results_block(line: Dict[str, str], dataset_title: str) -> dict:
    metrics = OrderedDict((key, _num(line[col])) for key, col in (('mIoU', 'miou'), ('mAcc', 'macc')) if line[col])
    return OrderedDict([('Task', 'Semantic Segmentation'), ('Dataset', dataset_title), ('Metrics', dict(metrics)),
                        ('Source', line['source'])])


def metafile_entry(row: Row, collection: str, ours: List[dict]) -> dict:
    line = row.lines[0]
    dataset = line['dataset']
    tch = teachers()[(line['pair'], dataset)]
    meta = OrderedDict()
    meta['Role'] = {'teacher': 'teacher', 'student': 'student'}.get(row.method, f"distilled student ({METHODS.get(row.method, {}).get('title')})")
    meta['Model'] = PAIRS[line['pair']]['teacher' if row.method == 'teacher' else 'student']
    meta['Tables'] = [ln['source'] for ln in row.lines]
    if row.method != 'teacher':
        meta['Teacher'] = f'configs/seg_baselines/{tch[0]}.py'
        meta['Teacher Weights'] = teacher_ckpt(line['pair'], dataset)
    if row.method not in ('teacher', 'student'):
        meta['Student'] = f'configs/seg_baselines/{row.setting.student}.py'
    meta['Training Data'] = DATASETS[dataset]['title']
    if row.setting is not None:
        meta['Crop Size'] = row.setting.crop
        meta['Iterations'] = row.setting.spec['iters'] * 1000
    if line['flops_g']:
        meta['FLOPs (G, 512x512)'] = float(line['flops_g'])
        meta['Parameters (M)'] = float(line['params_m'])
    entry = OrderedDict([('Name', row.name), ('In Collection', collection), ('Config', row.config),
                         ('Metadata', dict(meta))])
    if row.method == 'teacher' and tch[1]:
        entry['Weights'] = tch[1]
    entry['Results'] = [dict(results_block(ln, DATASETS[dataset]['title'])) for ln in row.lines] + ours
    return dict(entry)


def solov2_entries(collection_by_folder: Dict[str, str], ours: Dict[str, List[dict]]) -> Dict[str, List[dict]]:
    result = {}
    for line in read_csv('solov2_table4.csv'):
        for method, folder, name, role in SOLOV2_ROWS:
            if method != line['method']:
                continue
            meta = OrderedDict([('Role', role), ('Tables', [line['source']]), ('Training Data', 'COCO')])
            entry = OrderedDict([('Name', name), ('In Collection', collection_by_folder[folder]),
                                 ('Config', f'configs/{folder}/{name}.py'), ('Metadata', dict(meta))])
            if method == 'teacher':
                entry['Weights'] = SOLOV2_TEACHER_WEIGHTS
            metrics = {key: float(line[key]) for key in ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl')}
            entry['Results'] = [dict(Task='Instance Segmentation', Dataset='COCO', Metrics=metrics,
                                     Source=line['source'])] + ours.get(name, [])
            result.setdefault(folder, []).append(dict(entry))
    return result


def _load_yaml(path: str) -> dict:
    with open(osp.join(REPO_ROOT, path)) as f:
        return yaml.safe_load(f) or {}


def metafiles(generated_configs: Dict[str, str]) -> Dict[str, str]:
    """configs/<folder>/metafile.yml -> text: generated entries (+ the kept "ours" blocks) and the folder's other
    entries (demo rows ...) unchanged."""
    folders = ['seg_baselines'] + list(METHODS)
    old = {folder: _load_yaml(f'configs/{folder}/metafile.yml') for folder in folders}
    ours = {entry['Name']: [r for r in (entry.get('Results') or []) if r.get('Source') == OURS]
            for meta in old.values() for entry in meta.get('Models') or []}
    collections = {folder: old[folder]['Collections'][0]['Name'] for folder in folders}
    entries = {folder: [] for folder in folders}
    for row in rows():
        entries[row.folder].append(metafile_entry(row, collections[row.folder], ours.get(row.name, [])))
    solov2 = solov2_entries(collections, ours)
    generated = {entry['Config'] for folder in folders for entry in entries[folder] + solov2.get(folder, [])}
    texts = {}
    for folder in folders:
        kept = [entry for entry in old[folder].get('Models') or []
                if entry['Config'] not in generated and not owned(entry['Config']) and 'solov2' not in entry['Config']]
        meta = OrderedDict([('Collections', old[folder]['Collections']),
                            ('Models', entries[folder] + solov2.get(folder, []) + kept)])
        texts[f'configs/{folder}/metafile.yml'] = yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True,
                                                                 width=120)
    return texts


def _ours(entry: dict, metric: str = 'mIoU') -> Optional[float]:
    for block in entry.get('Results') or []:
        if block.get('Source') == OURS:
            return block['Metrics'].get(metric)
    return None


def _delta(paper: str, ours: Optional[float]) -> str:
    return f'{ours - float(paper):+.2f}' if ours is not None and paper else '—'


def readme_tables(metas: Dict[str, str]) -> Dict[str, str]:
    """configs/<folder>/README.md -> the text between the markers."""
    by_name = {entry['Name']: entry for text in metas.values() for entry in yaml.safe_load(text)['Models']}
    blocks = {}
    for folder in ['seg_baselines'] + list(METHODS):
        out = ['', f'Generated by `tools/misc/gen_seg_kd_configs.py` from `docs/paper_tables/` (paper) and the '
                   f'metafile\'s `{OURS}` results (`tools/analysis_tools/collect_results.py`); FLOPs at 512×512 and '
                   'parameters (auxiliary head included, 150 classes) as the tables give them. "ours" is empty until '
                   'a run is collected: no row was trained on the development machines (no GPU, no datasets).', '']
        for source in SETTINGS:
            selected = [(row, line) for row in rows() if row.folder == folder for line in row.lines
                        if line['source'] == source]
            if not selected:
                continue
            out += [f'### {source}', '',
                    '| config | role | teacher → student | dataset | FLOPs (G) | params (M) | paper mIoU | paper mAcc '
                    '| ours mIoU | Δ |', '|---|---|---|---|---|---|---|---|---|---|']
            for row, line in selected:
                ours = _ours(by_name[row.name])
                role = row.method if row.method in ('teacher', 'student') else METHODS[row.method]['title']
                pair = PAIRS[line['pair']]
                dataset = DATASETS[line['dataset']]['title']
                if row.setting is None:  # a teacher: trained once, by mmseg (or at 512x512 for ISANet Pascal Context)
                    released = teachers()[(line['pair'], line['dataset'])][1]
                    where = f"{dataset}, {'mmseg release' if released else 'ours to train, 512x512 80k'}"
                else:
                    where = f"{dataset} {row.setting.crop}, {row.setting.spec['iters']}k"
                out.append(f"| [{row.name}]({row.name}.py) | {role} | {pair['teacher']} → {pair['student']} | {where} | "
                           f"{line['flops_g'] or '—'} | {line['params_m'] or '—'} | {line['miou']} | {line['macc']} | "
                           f"{'—' if ours is None else f'{ours:.2f}'} | {_delta(line['miou'], ours)} |")
            out.append('')
        solov2 = [r for r in SOLOV2_ROWS if r[1] == folder]
        if solov2:
            out += ['### BPKD supplementary, Table 4 (COCO val instance segmentation, 1x, no multi-scale training)', '',
                    '| config | role | paper mask AP | AP50 | AP75 | APs | APm | APl | ours AP | Δ |',
                    '|---|---|---|---|---|---|---|---|---|---|']
            lines = {line['method']: line for line in read_csv('solov2_table4.csv')}
            for method, _, name, role in solov2:
                line = lines[method]
                ours = _ours(by_name[name], 'AP')
                out.append(f"| [{name}]({name}.py) | {role} | {line['AP']} | {line['AP50']} | {line['AP75']} | "
                           f"{line['APs']} | {line['APm']} | {line['APl']} | {'—' if ours is None else f'{ours:.1f}'} | "
                           f"{_delta(line['AP'], ours)} |")
            out.append('')
        if folder in ('seg_baselines', 'cwd', 'bpkd'):
            out += trimap_table(folder, by_name)
        if folder == 'seg_baselines':
            out += teacher_table()
        blocks[f'configs/{folder}/README.md'] = '\n'.join(out)
    return blocks


def teacher_table() -> List[str]:
    """The teachers: mmseg's released checkpoint of every pair and dataset (bpkd_teachers.csv)."""
    out = ['### Teachers (mmseg 1.2.2 releases, matched by the tables\' teacher mIoU)', '',
           '| teacher row | dataset | tables\' mIoU | mmseg config | mmseg mIoU | weights (`teacher_ckpt`) |',
           '|---|---|---|---|---|---|']
    for line in read_csv('bpkd_teachers.csv'):
        name, url, config = teachers()[(line['pair'], line['dataset'])]
        weights = f'[{osp.basename(url)}]({url})' if url else f'not released: `checkpoints/{name}.pth` (train the row)'
        out.append(f"| [{name}]({name}.py) | {DATASETS[line['dataset']]['title']} | {line['table_teacher_miou']} | "
                   f"{'`' + config + '`' if config else '—'} | {line['mmseg_miou'] or '—'} | {weights} |")
    return out + ['']


def trimap_table(folder: str, by_name: Dict[str, dict]) -> List[str]:
    """BPKD supplementary Table 3 (trimap IoU) for the rows it covers (PSPNet pair, Cityscapes, 80k rows)."""
    s = Setting('BPKD repository README, 80k tables', 'pspnet-r101-d8_pspnet-r18-d8', 'cityscapes')
    names = {'student': s.student, 'cwd': s.row('cwd'), 'bpkd': s.row('bpkd')}
    lines = [line for line in read_csv('trimap_table3.csv')
             if (line['method'] == 'student') == (folder == 'seg_baselines') and
             (folder == 'seg_baselines' or line['method'] == folder)]
    out = ['### BPKD supplementary, Table 3 (class trimap IoU, Cityscapes val)', '',
           'Evaluated by the rows as `trimap/mIoU` (`mmkd.TrimapIoUMetric`, band 3 pixels each side of a GT boundary).',
           '', '| config | paper trimap mIoU (average) | ours trimap mIoU | Δ |', '|---|---|---|---|']
    for line in lines:
        name = names[line['method']]
        ours = _ours(by_name[name], 'trimap mIoU')
        out.append(f"| [{name}]({name}.py) | {line['average']} | {'—' if ours is None else f'{ours:.2f}'} | "
                   f"{_delta(line['average'], ours)} |")
    return out + ['']


def readme_texts(metas: Dict[str, str]) -> Dict[str, str]:
    texts = {}
    for path, block in readme_tables(metas).items():
        with open(osp.join(REPO_ROOT, path)) as f:
            text = f.read()
        if BEGIN not in text or END not in text:
            raise ValueError(f'{path}: no {BEGIN} ... {END} markers: add them where the results table goes.')
        head, rest = text.split(BEGIN, 1)
        texts[path] = head + BEGIN + block + '\n' + END + rest.split(END, 1)[1]
    return texts


def all_files() -> Dict[str, str]:
    """Relative path -> text of every file the generator writes."""
    files = config_files()
    metas = metafiles(files)
    files.update(metas)
    files.update(readme_texts(metas))
    return files


def stale_files(files: Dict[str, str]) -> List[str]:
    found = []
    for folder in ['configs/seg_baselines', f'{SEG_BASES}/pairs'] + [f'configs/{m}' for m in METHODS]:
        for name in sorted(os.listdir(osp.join(REPO_ROOT, folder))):
            path = f'{folder}/{name}'
            if owned(path) and path not in files:
                found.append(path)
    return found


def differences() -> Tuple[List[str], List[str]]:
    """(files whose text differs from what would be written, stale generated files)."""
    files = all_files()
    return writer.differences(REPO_ROOT, files, stale_files(files))


def main(argv=None) -> int:
    return writer.main(argv, __doc__.split('\n\n')[0], REPO_ROOT, all_files, stale_files)


if __name__ == '__main__':
    sys.exit(main())
