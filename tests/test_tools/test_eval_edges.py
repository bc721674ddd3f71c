# Copyright (c) mmkd contributors. All rights reserved.
"""tools/analysis_tools/eval_edges.py: a folder of PNG edge maps against BSDS .mat files."""
import importlib.util
import os
import os.path as osp
import sys

import numpy as np
import pytest

from tests.helpers.tools import REPO_ROOT, run_tool

BENCH = osp.join(REPO_ROOT, 'tests', 'data', 'bsds500_bench')  # see its README
TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'eval_edges.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('eval_edges', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_real_bsds_folder_reproduces_the_benchmark_files(tmp_path):
    out = tmp_path / 'eval'
    result = run_tool([sys.executable, TOOL, osp.join(BENCH, 'png'), osp.join(BENCH, 'groundTruth'), '--thresholds',
                       '5', '--out-dir', str(out), '--workers', '2'])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'ODS F 0.7047' in result.stdout and 'OIS F 0.7087' in result.stdout  # MATLAB: 0.704628, 0.708698
    ours = np.loadtxt(out / 'eval_bdry.txt')
    matlab = np.loadtxt(osp.join(BENCH, 'test_2', 'eval_bdry.txt'))
    assert ours.shape == matlab.shape == (8, )
    assert ours[[0, 3, 6, 7]] == pytest.approx(matlab[[0, 3, 6, 7]], abs=3e-4)  # ODS T, ODS F, OIS F, AP
    assert np.loadtxt(out / 'eval_bdry_thr.txt').shape == (5, 4)
    assert np.loadtxt(out / 'eval_bdry_img.txt').shape == (5, 5)
    assert np.load(out / 'eval_counts.npy').shape == (5, 5, 4)
    assert os.path.getsize(out / 'pr_curve.png') > 1000


def test_missing_predictions_and_bad_maps_are_reported(tmp_path):
    tool = load_tool()
    gt_dir, pred_dir = tmp_path / 'gt', tmp_path / 'pred'
    gt_dir.mkdir()
    pred_dir.mkdir()
    import scipy.io
    boundaries = np.zeros((12, 16), np.uint8)
    boundaries[6, 2:14] = 1
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = {'Boundaries': boundaries, 'Segmentation': np.ones((12, 16), np.uint16)}
    scipy.io.savemat(str(gt_dir / '1.mat'), {'groundTruth': cell})
    scipy.io.savemat(str(gt_dir / '2.mat'), {'groundTruth': cell})
    with pytest.raises(FileNotFoundError, match=r"2 of 2 ground-truth files have no <id>.png .*\['1', '2'\]"):
        tool.main([str(pred_dir), str(gt_dir), '--workers', '1'])
    import cv2
    cv2.imwrite(str(pred_dir / '1.png'), boundaries * 255)
    cv2.imwrite(str(pred_dir / '2.png'), np.zeros((12, 17), np.uint8))  # wrong size
    with pytest.raises(ValueError, match=r'2.png vs .*2.mat: .*\(12, 16\) but the prediction is \(12, 17\)'):
        tool.main([str(pred_dir), str(gt_dir), '--workers', '1', '--thresholds', '3'])
    cv2.imwrite(str(pred_dir / '2.png'), boundaries * 255)
    summary = tool.main([str(pred_dir), str(gt_dir), '--workers', '1', '--thresholds', '3'])
    assert summary['ods_f'] == pytest.approx(1.0)
