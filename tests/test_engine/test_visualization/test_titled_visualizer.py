# Copyright (c) mmkd contributors. All rights reserved.
"""tools/test.py --show-dir panels are titled (mmkd.TitledSegLocalVisualizer): same pixels as mmseg's, plus titles."""
import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from mmkd.engine.visualization import TitledSegLocalVisualizer


def test_titles_on_the_ground_truth_and_prediction_panels(tmp_path):
    image = np.full((64, 400, 3), 90, np.uint8)
    sample = SegDataSample()
    labels = torch.zeros(1, 64, 400, dtype=torch.long)
    labels[:, 32:] = 1
    sample.gt_sem_seg = PixelData(data=labels)
    sample.pred_sem_seg = PixelData(data=1 - labels)
    meta = dict(classes=('road', 'sidewalk'), palette=[[128, 64, 128], [244, 35, 232]])
    plain = SegLocalVisualizer(name='plain', save_dir=str(tmp_path / 'p'))
    plain.set_dataset_meta(**meta)
    titled = TitledSegLocalVisualizer(name='titled', save_dir=str(tmp_path / 't'))
    titled.set_dataset_meta(**meta)
    plain.add_datasample('x', image, sample, draw_gt=True, draw_pred=True, out_file=str(tmp_path / 'p.png'))
    titled.add_datasample('x', image, sample, draw_gt=True, draw_pred=True, out_file=str(tmp_path / 't.png'))
    import mmcv
    a, b = mmcv.imread(str(tmp_path / 'p.png')), mmcv.imread(str(tmp_path / 't.png'))
    assert a.shape == b.shape == (64, 800, 3)
    differs = np.any(a != b, axis=2)
    rows, cols = np.nonzero(differs)
    assert rows.max() < 30  # only a band along the top edge (the panels are 64 px high)
    assert cols.min() < 200 and cols.max() >= 400  # in both panels: ground truth (left) and prediction (right)
    assert not differs[:, 200:400].any()  # titles are short: the rest of each panel is mmseg's
