# Copyright (c) mmkd contributors. All rights reserved.
"""The Hinton KD term of the edge rows counts the image's pixels only, not the padding (like the BCE)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmkd.models.losses import EdgeKDLoss
from mmkd.registry import MODELS
from tests.helpers.tools import REPO_ROOT
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)


def test_masked_kd_hand_values():
    student = torch.tensor([[[[0.0, 2.0], [-1.0, 3.0]]]])
    teacher = torch.tensor([[[[1.0, 2.0], [0.0, -3.0]]]])
    mask = torch.tensor([[[[True, True], [True, False]]]])
    s, t = torch.sigmoid(student), torch.sigmoid(teacher)
    by_hand = ((s - t)**2)[0, 0]
    expected_sum = float(by_hand[0, 0] + by_hand[0, 1] + by_hand[1, 0])
    assert float(EdgeKDLoss()(student, teacher, valid_mask=mask)) == pytest.approx(expected_sum, rel=1e-6)
    assert float(EdgeKDLoss(reduction='mean')(student, teacher, valid_mask=[mask[:, 0]])) == pytest.approx(
        expected_sum / 3, rel=1e-6)  # a recorder's list and an [N, H, W] mask are accepted
    assert float(EdgeKDLoss()(student, teacher)) == pytest.approx(float(by_hand.sum()), rel=1e-6)  # no mask
    with pytest.raises(ValueError, match='valid_mask'):
        EdgeKDLoss()(student, teacher, valid_mask=torch.ones(1, 1, 3, 3, dtype=torch.bool))


def test_kd_row_ignores_padded_pixels():
    """Two images of different sizes in one batch (the smaller one padded): the row's loss_kd equals the squared
    probability difference summed over the image pixels (gt != 255) and differs from the sum over all pixels."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/edge/kd_rcf_so-model_mobilenetv2_1xb1-900e_bsds.py'))
    cfg.model.teacher_ckpt = None
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    model.train()
    samples, images = [], []
    for h, w in ((64, 64), (40, 50)):
        gt = (torch.rand(1, h, w) > 0.9).float()
        sample = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        sample.gt_edge_map = PixelData(data=gt)
        samples.append(sample)
        images.append(torch.randint(0, 255, (3, h, w), dtype=torch.uint8))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), training=True)
    valid = torch.stack([s.gt_edge_map.data for s in data['data_samples']]) != 255
    assert data['inputs'].shape[-2:] == (64, 64) and (~valid).sum() == 64 * 64 - 40 * 50  # padding exists
    losses = model(**data, mode='loss')
    student = model.distiller.student_recorders.get_recorder('outputs').get_record_data()[-1]
    teacher = model.distiller.teacher_recorders.get_recorder('outputs').get_record_data()[-1]
    squared = (torch.sigmoid(student) - torch.sigmoid(teacher)).detach()**2
    masked, unmasked = float(squared[valid].sum()), float(squared.sum())
    assert float(losses['distill.loss_kd']) == pytest.approx(masked, rel=1e-5)
    assert unmasked - masked > 1e-3 * unmasked
