# Copyright (c) mmkd contributors. All rights reserved.
"""tools/analysis_tools/collect_results.py on work dirs laid out as mmengine writes them.

The logs are JSON lines in mmengine's ``vis_data/scalars.json`` format, as a synthetic-city run of the segmentation
rows writes them (training steps with loss/lr/time, validation steps with mmseg's IoUMetric and mmkd's
TrimapIoUMetric keys); the numbers are chosen by hand so that every Δ is known.
"""
import importlib.util
import json
import os
import os.path as osp
import shutil

import pytest
import yaml

from tests.helpers.tools import REPO_ROOT

ROW = 'bpkd_pspnet-r101-d8_pspnet-r18-d8_4xb2-80k_cityscapes-512x1024'  # paper: 77.57 mIoU, 84.47 mAcc
ADE_ROW = 'cwd-logits_pspnet-r101-d8_pspnet-r18-d8_4xb4-80k_ade20k-512x512'  # paper: 37.02 mIoU
TEACHER = 'pspnet_r101-d8_4xb4-160k_ade20k-512x512'  # paper: 44.39 in three tables


def _tool():
    spec = importlib.util.spec_from_file_location(
        'collect_results_under_test', osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'collect_results.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_run(work_dir, evaluations, timestamp='20261201_213938'):
    """A run's vis_data/scalars.json: training lines every 2 steps, an evaluation (dict) after each."""
    vis = osp.join(work_dir, timestamp, 'vis_data')
    os.makedirs(vis)
    with open(osp.join(vis, 'scalars.json'), 'w') as f:
        for step, metrics in evaluations:
            f.write(json.dumps({'lr': 0.01, 'data_time': 0.005, 'loss': 2.21, 'decode.loss_ce': 1.9,
                                'distill.loss_bpkd_edge': 0.2, 'decode.acc_seg': 34.7, 'time': 0.74,
                                'iter': step, 'step': step}) + '\n')
            f.write(json.dumps(dict(metrics, data_time=0.03, time=3.3, step=step)) + '\n')
    return work_dir


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / 'repo'
    shutil.copytree(osp.join(REPO_ROOT, 'configs'), root / 'configs')
    shutil.copytree(osp.join(REPO_ROOT, 'docs', 'paper_tables'), root / 'docs' / 'paper_tables')
    shutil.copytree(osp.join(REPO_ROOT, 'tools', 'misc'), root / 'tools' / 'misc')
    return str(root)


def test_table_and_metafile_update(tree, tmp_path):
    tool = _tool()
    work = tmp_path / 'work_dirs'
    run = _write_run(str(work / ROW), [
        (2, {'aAcc': 80.0, 'mIoU': 70.0, 'mAcc': 80.0, 'trimap/aAcc': 60.0, 'trimap/mIoU': 50.0, 'trimap/mAcc': 55.0}),
        (4, {'aAcc': 90.0, 'mIoU': 77.07, 'mAcc': 84.5,
             'trimap/aAcc': 70.0, 'trimap/mIoU': 60.25, 'trimap/mAcc': 66.0}),
    ])
    other = work / 'my_run'  # named otherwise: found by the config mmengine dumped into it
    _write_run(str(other), [(4, {'aAcc': 70.0, 'mIoU': 38.02, 'mAcc': 47.0})])
    shutil.copy(osp.join(tree, 'configs', 'cwd', ADE_ROW + '.py'), other / '20261201_213938' / f'{ADE_ROW}.py')
    teacher = _write_run(str(work / TEACHER), [(4, {'aAcc': 70.0, 'mIoU': 44.0, 'mAcc': 54.0})])

    results = tool.collect([run, str(other), teacher], root=tree)
    assert [r['name'] for r in results] == [ROW, ADE_ROW, TEACHER]
    assert results[0]['ours'] == {'mIoU': 77.07, 'mAcc': 84.5, 'trimap mIoU': 60.25}  # the last evaluation
    lines = tool.table(results).splitlines()
    assert lines[2] == f'| {ROW} | BPKD repository README, 80k tables | 77.57 | 77.07 (mIoU) | -0.50 |'
    assert lines[3] == f'| {ADE_ROW} | BPKD repository README, 80k tables | 37.02 | 38.02 (mIoU) | +1.00 |'
    assert len(lines) == 2 + 2 + 3  # the teacher is the teacher of the 80k, Table 2 and Table 1 rows
    assert lines[4].endswith('| 44.39 | 44.00 (mIoU) | -0.39 |')

    written = tool.update_metafiles(results)
    assert [osp.relpath(p, tree) for p in written] == ['configs/bpkd/metafile.yml', 'configs/cwd/metafile.yml',
                                                       'configs/seg_baselines/metafile.yml']
    tool.regenerate_readmes(tree)
    with open(osp.join(tree, 'configs', 'bpkd', 'metafile.yml')) as f:
        entry = [e for e in yaml.safe_load(f)['Models'] if e['Name'] == ROW][0]
    assert entry['Results'][-1] == dict(Task='Semantic Segmentation', Dataset='Cityscapes', Source='mmkd (ours)',
                                        Metrics={'mIoU': 77.07, 'mAcc': 84.5, 'trimap mIoU': 60.25})
    assert entry['Results'][0]['Metrics'] == {'mIoU': 77.57, 'mAcc': 84.47}  # the paper's block is kept
    with open(osp.join(tree, 'configs', 'bpkd', 'README.md')) as f:
        readme = f.read()
    assert '| 77.57 | 84.47 | 77.07 | -0.50 |' in readme
    # a second collection replaces the ours block instead of adding one
    tool.update_metafiles(tool.collect([run], root=tree))
    with open(osp.join(tree, 'configs', 'bpkd', 'metafile.yml')) as f:
        entry = [e for e in yaml.safe_load(f)['Models'] if e['Name'] == ROW][0]
    assert [b['Source'] for b in entry['Results']] == ['BPKD repository README, 80k tables', 'mmkd (ours)']


def test_errors_name_the_work_dir(tree, tmp_path):
    tool = _tool()
    unknown = _write_run(str(tmp_path / 'not_a_row'), [(4, {'mIoU': 1.0})])
    with pytest.raises(ValueError, match='not_a_row: no metafile row is named'):
        tool.collect([unknown], root=tree)
    training_only = tmp_path / ROW
    os.makedirs(training_only / '20261201_000000' / 'vis_data')
    (training_only / '20261201_000000' / 'vis_data' / 'scalars.json').write_text('{"loss": 1.0, "step": 2}\n')
    with pytest.raises(ValueError, match=f'{ROW}: no evaluation in its logs'):
        tool.collect([str(training_only)], root=tree)
    with pytest.raises(FileNotFoundError, match='missing: not a directory'):
        tool.collect([str(tmp_path / 'missing')], root=tree)
    assert tool.main([str(tmp_path / 'missing')]) == 1
