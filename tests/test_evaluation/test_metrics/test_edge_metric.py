# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd.EdgeMetric through mmengine's Evaluator on fake data samples."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmkd.evaluation import EdgeMetric

SHAPE = (30, 40)  # diagonal 50 px: max_dist 0.05 -> 2.5 px


def line_map(col, shape=SHAPE):
    image = np.zeros(shape, dtype=bool)
    image[:, col] = True
    return image


def sample(pred, boundaries=None, gt_edge_map=None, name='img.jpg'):
    data_sample = SegDataSample(metainfo=dict(img_path=name))
    data_sample.pred_edge_map = PixelData(data=torch.as_tensor(pred, dtype=torch.float32)[None])
    if boundaries is not None:
        data_sample.set_metainfo(dict(gt_boundaries=[b.astype(np.uint8) for b in boundaries]))
    if gt_edge_map is not None:
        data_sample.gt_edge_map = PixelData(data=torch.as_tensor(gt_edge_map, dtype=torch.float32)[None])
    return data_sample


def evaluate(samples, **metric_args):
    init_default_scope('mmkd')
    evaluator = Evaluator(dict(type='mmkd.EdgeMetric', max_dist=0.05, nms=False, thresholds=9, **metric_args))
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


def test_perfect_and_shifted_predictions_through_the_evaluator():
    gt = line_map(10)
    results = evaluate([sample(gt, [gt]), sample(line_map(12), [gt])], num_workers=1)  # 2 px: within 2.5 px
    assert results['edge/ODS'] == pytest.approx(1.0) and results['edge/OIS'] == pytest.approx(1.0)
    assert results['edge/ODS_P'] == pytest.approx(1.0) and results['edge/ODS_R'] == pytest.approx(1.0)
    assert set(results) >= {'edge/AP', 'edge/R50', 'edge/ODS_threshold', 'edge/OIS_threshold_mean'}
    # one image 3 px off (beyond the tolerance): half the GT pixels and half the predictions are matched
    results = evaluate([sample(gt, [gt]), sample(line_map(13), [gt])], num_workers=1)
    assert results['edge/ODS'] == pytest.approx(0.5) and results['edge/ODS_R'] == pytest.approx(0.5)
    # OIS: the shifted image is worthless at every threshold, so its best is the first one (F = 0 everywhere)
    assert results['edge/OIS'] == pytest.approx(0.5)


def test_soft_predictions_several_annotators_and_parallel_workers_agree(tmp_path):
    rng = np.random.default_rng(0)
    samples = []
    for k in range(3):
        gt_a, gt_b = line_map(8 + k), line_map(30 - k)
        noise = rng.random(SHAPE) * 0.15 * (rng.random(SHAPE) < 0.05) * ~(gt_a | gt_b)
        samples.append(sample(gt_a * 0.85 + gt_b * 0.35 + noise, [gt_a, gt_b], name=f'img{k}.jpg'))
    curve = tmp_path / 'curves' / 'pr.png'
    one = evaluate(samples, num_workers=1, pr_curve_path=str(curve))
    two = evaluate(samples, num_workers=2)
    assert one == pytest.approx(two)
    # t = 0.1: lines + noise; t = 0.2, 0.3: both lines (R = P = 1); t = 0.4 ... 0.8: line A only (R = 0.5,
    # P = 1, each annotator counted); t = 0.9: nothing (R = P = 0)
    assert one['edge/ODS'] == pytest.approx(1.0) and one['edge/OIS'] == pytest.approx(1.0)
    assert one['edge/ODS_threshold'] == pytest.approx(0.2) and one['edge/OIS_threshold_mean'] == pytest.approx(0.2)
    # AP over the unique recalls 0 (P 0), 0.5 (P 1), 1 (P 1): P = 2R up to 0.5, then 1:
    # (sum_{k=0..50} 2k / 100 + 50) / 100 = (25.5 + 50) / 100
    assert one['edge/AP'] == pytest.approx(0.755)
    image = cv2.imread(str(curve))
    assert image is not None and image.shape == (500, 500, 3)


def test_falls_back_to_gt_edge_map_as_one_annotator():
    gt = line_map(10)
    average = gt * 0.4  # e.g. 2 of 5 annotators: still a GT edge
    results = evaluate([sample(gt, gt_edge_map=average)], num_workers=1)
    assert results['edge/ODS'] == pytest.approx(1.0)


def test_nms_is_applied_to_raw_maps():
    gt = line_map(20)
    cols = np.arange(SHAPE[1])
    blurred = np.exp(-((cols - 20)**2) / (2 * 3.0**2))[None].repeat(SHAPE[0], 0)
    init_default_scope('mmkd')
    # a tight tolerance (0.01 x 50 = 0.5 px) and no thinning: a blurred ridge is only precise after NMS
    options = dict(type='mmkd.EdgeMetric', max_dist=0.01, thin=False, thresholds=9, num_workers=1)
    raw, nms = Evaluator(dict(nms=False, **options)), Evaluator(dict(nms=True, **options))
    for evaluator in (raw, nms):
        evaluator.process([sample(blurred, [gt])])
    raw_ods, nms_ods = raw.evaluate(1)['edge/ODS'], nms.evaluate(1)['edge/ODS']
    # raw: at best (t = 0.9) columns 19-21 survive (exp(-1/18) = 0.946): P = 1/3, R = 1, F = 0.5
    assert raw_ods == pytest.approx(0.5)
    # NMS keeps column 20 only; the border fade zeroes rows 0 and 29: R = 28/30, P = 1
    assert nms_ods == pytest.approx(2 * (28 / 30) / (1 + 28 / 30))


def test_clear_errors():
    gt = line_map(10)
    with pytest.raises(ValueError, match='zero annotators'):
        evaluate([sample(gt, [])], num_workers=1)
    with pytest.raises(ValueError, match=r'img.jpg: the prediction is \(30, 40\) but annotator 0 is \(30, 41\)'):
        evaluate([sample(gt, [np.zeros((30, 41), bool)])], num_workers=1)
    with pytest.raises(ValueError, match=r'probabilities in \[0, 1\]'):
        evaluate([sample(gt * 5.0, [gt])], num_workers=1)
    with pytest.raises(KeyError, match='neither gt_boundaries'):
        evaluate([sample(gt)], num_workers=1)
    with pytest.raises(ValueError, match='ods_mode'):
        EdgeMetric(ods_mode='best')
    with pytest.raises(ValueError, match='num_workers'):
        EdgeMetric(num_workers=0)
    with pytest.raises(ValueError, match='max_dist'):
        EdgeMetric(max_dist=2)
    with pytest.raises(ValueError, match='radius'):
        EdgeMetric(nms_radius=0)


def test_real_pipeline_detector_and_metric_agree_on_the_contract(tmp_path):
    """The BSDS test pipeline of an edge config, an EdgeDetector's predictions and EdgeMetric, end to end."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DATASETS, MODELS

    from mmkd.testing.synthetic.bsds import generate_synthetic_bsds
    from tests.helpers.tools import REPO_ROOT
    root = str(tmp_path / 'bsds')
    generate_synthetic_bsds(root, num_train=1, num_test=2, height=48, width=72, seed=0)
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/edge/so-model_mobilenetv2_1xb1-900e_bsds.py'))
    init_default_scope('mmkd')
    dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=root))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    evaluator = Evaluator(dict(cfg.test_evaluator, thresholds=5, num_workers=1))
    with torch.no_grad():
        for index in range(len(dataset)):
            outputs = model.test_step(pseudo_collate([dataset[index]]))
            assert outputs[0].pred_edge_map.data.shape == (1, 48, 72)
            assert len(outputs[0].gt_boundaries) >= 1
            evaluator.process(outputs)
    results = evaluator.evaluate(len(dataset))
    assert set(results) >= {'edge/ODS', 'edge/OIS', 'edge/AP', 'edge/R50'}
    assert all(0 <= results[k] <= 1 for k in ('edge/ODS', 'edge/OIS', 'edge/AP'))
