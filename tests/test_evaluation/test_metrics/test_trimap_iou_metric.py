# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmkd.evaluation import TrimapIoUMetric


def sample(pred, label):
    data_sample = SegDataSample()
    data_sample.pred_sem_seg = PixelData(data=pred[None])
    data_sample.gt_sem_seg = PixelData(data=label[None])
    return data_sample.to_dict()


def evaluate(metric, pairs):
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process({}, [sample(pred, label) for pred, label in pairs])
    return metric.compute_metrics(metric.results)


def test_only_pixels_near_the_boundary_count():
    label = torch.zeros(8, 8, dtype=torch.long)
    label[:, 4:] = 1  # boundary between columns 3 and 4; band_width=1 -> columns 3..4
    pred = label.clone()
    pred[:, 0] = 1  # far from the boundary: wrong, but outside the trimap
    results = evaluate(TrimapIoUMetric(band_width=1), [(pred, label)])
    assert results['mIoU'] == pytest.approx(100.0)  # keys get the 'trimap/' prefix from the Evaluator
    pred = label.clone()
    pred[:, 3] = 1  # the band's class-0 column predicted as class 1
    results = evaluate(TrimapIoUMetric(band_width=1), [(pred, label)])
    # band: 8 px of class 0 (col 3), 8 px of class 1 (col 4); class 0: I=0, U=8; class 1: I=8, U=16
    assert results['mIoU'] == pytest.approx((0 + 50.0) / 2)
    # a wider band includes more correct class-0 pixels: class 0 I=8 U=16 (cols 2,3), class 1 I=16 U=24
    results = evaluate(TrimapIoUMetric(band_width=2), [(pred, label)])
    assert results['mIoU'] == pytest.approx((50.0 + 100 * 16 / 24) / 2, rel=1e-4)


def test_ignored_pixels_stay_ignored_and_prefix():
    label = torch.zeros(6, 6, dtype=torch.long)
    label[:, 3:] = 1
    label[0] = 255
    pred = torch.ones(6, 6, dtype=torch.long)
    pred[:, :3] = 0
    metric = TrimapIoUMetric(band_width=1)
    assert metric.prefix == 'trimap'
    assert evaluate(metric, [(pred, label)])['mIoU'] == pytest.approx(100.0)
    with pytest.raises(ValueError, match='band_width'):
        TrimapIoUMetric(band_width=0)


def test_in_val_evaluator_beside_iou_metric():
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope

    import mmkd  # noqa: F401
    init_default_scope('mmseg')
    evaluator = Evaluator([dict(type='IoUMetric', iou_metrics=['mIoU']), dict(type='mmkd.TrimapIoUMetric')])
    evaluator.dataset_meta = dict(classes=('a', 'b'))
    label = torch.zeros(8, 8, dtype=torch.long)
    label[:, 4:] = 1
    pred = label.clone()
    pred[:, 0] = 1
    evaluator.process([sample(pred, label)])
    results = evaluator.evaluate(1)
    assert results['trimap/mIoU'] == pytest.approx(100.0)
    assert results['mIoU'] < 100.0
