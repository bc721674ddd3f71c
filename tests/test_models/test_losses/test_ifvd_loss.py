# Copyright (c) mmkd contributors. All rights reserved.
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn

from mmkd.models.losses import IFVDLoss
from mmkd.registry import MODELS
from tests.helpers.distill_configs import build_distill_model, random_seg_batch
from tests.helpers.tools import REPO_ROOT

IFVD_CONFIG = 'configs/ifvd/ifvd_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py'


def tiny_case():
    """N=1, D=2, 2×2 map; labels [[0, 0], [1, ignore]]. Features as [N, D, h, w] from per-pixel (x, y) lists."""

    def to_map(pixels):
        return torch.tensor(pixels, dtype=torch.float32).t().reshape(1, 2, 2, 2)

    student = to_map([[1, 0], [0, 1], [1, 1], [3, -2]])
    teacher = to_map([[1, 0], [1, 0], [2, 0], [-1, 5]])
    labels = torch.tensor([[[0, 0], [1, 255]]])
    return student, teacher, labels


def test_hand_computed():
    student, teacher, labels = tiny_case()
    # Student prototypes: class 0 = mean((1,0), (0,1)) = (.5,.5) -> cos = 1/sqrt(2) for both its pixels;
    # class 1 = (1,1) -> cos 1. Teacher: class 0 = (1,0) -> cos 1, 1; class 1 = (2,0) -> cos 1. Ignore pixel: 0, 0.
    student_map = [1 / math.sqrt(2), 1 / math.sqrt(2), 1.0, 0.0]
    teacher_map = [1.0, 1.0, 1.0, 0.0]
    expected = sum((s - t)**2 for s, t in zip(student_map, teacher_map)) / 4  # = (1 - 1/sqrt(2))^2 / 2
    assert expected == pytest.approx(0.0428932, abs=1e-6)
    loss = IFVDLoss(loss_weight=1.0, num_classes=2)(student, teacher, labels)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert IFVDLoss(num_classes=2)(student, teacher, labels).item() == pytest.approx(200 * expected, rel=1e-5)


def test_labels_are_nearest_resized_to_the_feature_map():
    student, teacher, labels = tiny_case()
    big_labels = labels.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)  # [1, 4, 4]
    loss = IFVDLoss(loss_weight=1.0, num_classes=2)
    assert torch.allclose(loss(student, teacher, big_labels), loss(student, teacher, labels))


def test_zero_when_features_equal():
    student, _, labels = tiny_case()
    assert IFVDLoss(num_classes=2)(student, student.clone(), labels).item() == 0.0


def test_ignored_pixels_never_contribute():
    student, teacher, labels = tiny_case()
    loss = IFVDLoss(num_classes=2)
    reference = loss(student, teacher, labels)
    student_changed, teacher_changed = student.clone(), teacher.clone()
    student_changed[0, :, 1, 1] = torch.tensor([-7.0, 0.5])
    teacher_changed[0, :, 1, 1] = torch.tensor([9.0, 9.0])
    assert torch.equal(loss(student_changed, teacher_changed, labels), reference)


def test_all_ignore_crop_is_zero_not_nan():
    student, teacher, _ = tiny_case()
    student.requires_grad_(True)
    value = IFVDLoss(num_classes=2)(student, teacher, torch.full((1, 2, 2), 255))
    assert value.item() == 0.0
    value.backward()
    assert torch.isfinite(student.grad).all()


def test_labels_out_of_range_name_the_value():
    student, teacher, labels = tiny_case()
    labels[0, 0, 0] = 7
    with pytest.raises(ValueError, match=r'\[7\]'):
        IFVDLoss(num_classes=2)(student, teacher, labels)
    with pytest.raises(ValueError, match='num_classes'):
        IFVDLoss(num_classes=0)


def test_teacher_gets_no_gradient_student_does():
    student, teacher, labels = tiny_case()
    student.requires_grad_(True)
    teacher.requires_grad_(True)
    IFVDLoss(num_classes=2)(student, teacher, labels).backward()
    assert teacher.grad is None
    assert student.grad.abs().sum() > 0


def test_widths_and_sizes_may_differ():
    student, teacher, labels = tiny_case()
    loss = IFVDLoss(loss_weight=1.0, num_classes=2)
    reference = loss(student, teacher, labels)
    # A zero third channel leaves every cosine unchanged.
    wider_teacher = torch.cat([teacher, torch.zeros(1, 1, 2, 2)], dim=1)
    assert torch.allclose(loss(student, wider_teacher, labels), reference)
    # Constant 2×2 blocks come back exactly under bilinear downsampling (align_corners=False).
    bigger_teacher = wider_teacher.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert torch.allclose(loss(student, bigger_teacher, labels), reference)


def test_prototypes_are_per_image():
    student, teacher, labels = tiny_case()
    other_student = student * torch.tensor([1.0, 3.0]).view(1, 2, 1, 1)
    loss = IFVDLoss(loss_weight=1.0, num_classes=2)
    batch = loss(torch.cat([student, other_student]), torch.cat([teacher, teacher]), torch.cat([labels, labels]))
    separate = (loss(student, teacher, labels) + loss(other_student, teacher, labels)) / 2
    assert torch.allclose(batch, separate)


def test_config_one_step():
    model = build_distill_model(IFVD_CONFIG)
    model.train()
    data = model.data_preprocessor(random_seg_batch(), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {'student.decode.loss_ce', 'distill.loss_ifv', 'distill.loss_kd'} <= set(losses)
    for key in ('distill.loss_ifv', 'distill.loss_kd'):
        assert torch.isfinite(losses[key]) and losses[key].item() > 0, key
    sum(value for key, value in losses.items() if 'loss' in key).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.student.decode_head.bottleneck.conv.weight.grad.abs().sum() > 0


def test_ifvd_method_base_logit_kd_is_the_released_kldivloss_mean():
    """IFVD's CriterionKD: nn.KLDivLoss() (mean over all N·C·h·w elements) x lambda_kd 10, for any class count."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/distill/seg/methods/ifvd.py'))
    loss_fn = MODELS.build(cfg.distiller.distill_losses.loss_kd)
    torch.manual_seed(0)
    for num_classes in (19, 59):
        student, teacher = torch.randn(2, num_classes, 4, 6), torch.randn(2, num_classes, 4, 6)
        released = 10.0 * nn.KLDivLoss()(F.log_softmax(student, dim=1), F.softmax(teacher, dim=1))
        assert loss_fn(student, teacher).item() == pytest.approx(released.item(), rel=1e-5)
    assert cfg.distiller.distill_losses.loss_ifv.num_classes == '@student.num_classes'
