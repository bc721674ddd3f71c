# Copyright (c) mmkd contributors. All rights reserved.
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmkd.engine.hooks import EdgeVisualizationHook


def predicted_sample(prob: torch.Tensor, img_path: str, img_id: str = None) -> SegDataSample:
    sample = SegDataSample(metainfo=dict(img_path=img_path, **({'img_id': img_id} if img_id else {})))
    sample.pred_edge_map = PixelData(data=prob)
    return sample


def test_writes_probability_pngs(tmp_path):
    runner = SimpleNamespace(log_dir=str(tmp_path / 'log'))
    hook = EdgeVisualizationHook(draw=True, test_out_dir='edges', side_by_side=True)
    hook.before_test(runner)
    img_path = str(tmp_path / 'photo.jpg')
    cv2.imwrite(img_path, np.full((2, 3, 3), 100, np.uint8))
    prob = torch.tensor([[[0.0, 0.5, 1.0], [0.25, 0.75, 0.999]]])
    hook.after_test_iter(runner, 0, outputs=[predicted_sample(prob, img_path), predicted_sample(prob, 'x/y.jpg', '7')])
    png = cv2.imread(str(tmp_path / 'log' / 'edges' / 'photo.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(png, [[0, 128, 255], [64, 191, 255]])  # rint(p * 255)
    assert (tmp_path / 'log' / 'edges' / '7.png').is_file()
    vis = cv2.imread(str(tmp_path / 'log' / 'edges' / 'photo_vis.png'))
    assert vis.shape == (2, 6, 3)


def test_off_unless_drawing_and_interval(tmp_path):
    runner = SimpleNamespace(log_dir=str(tmp_path))
    hook = EdgeVisualizationHook(draw=True, interval=2, test_out_dir=str(tmp_path / 'out'))
    hook.before_test(runner)
    sample = predicted_sample(torch.zeros(1, 2, 2), 'a.jpg')
    hook.after_test_iter(runner, 1, outputs=[sample])
    assert not list((tmp_path / 'out').iterdir())
    hook.after_test_iter(runner, 2, outputs=[sample])
    assert [p.name for p in (tmp_path / 'out').iterdir()] == ['a.png']
    EdgeVisualizationHook().after_test_iter(runner, 0, outputs=[sample])  # draw=False: nothing, no error
    with pytest.raises(KeyError, match='pred_edge_map'):
        hook.after_test_iter(runner, 0, outputs=[SegDataSample()])
    with pytest.raises(ValueError, match='interval'):
        EdgeVisualizationHook(interval=0)
