# Copyright (c) mmkd contributors. All rights reserved.
import math

import pytest
import torch
from mmrazor.models.losses import ChannelWiseDivergence

from mmkd.models.losses import BPKDBodyLoss, BPKDEdgeLoss


def kl(teacher_logits, student_logits):
    """KL(softmax(t) || softmax(s)) for two 2-class logit pairs, by hand."""
    def softmax(logits):
        exps = [math.exp(v) for v in logits]
        return [e / sum(exps) for e in exps]
    p_t, p_s = softmax(teacher_logits), softmax(student_logits)
    return sum(t * (math.log(t) - math.log(s)) for t, s in zip(p_t, p_s))


def two_class_case(height=4, width=4):
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[:, :, 2:] = 1  # band (edge_width=3) = columns 1 and 2 for both classes
    teacher = torch.tensor([2., 0.]).view(1, 2, 1, 1).expand(1, 2, height, width).clone()
    student = torch.tensor([0., 1.]).view(1, 2, 1, 1).expand(1, 2, height, width).clone()
    return student, teacher, labels


def test_edge_loss_hand_computed():
    student, teacher, labels = two_class_case()
    loss = BPKDEdgeLoss(tau=1.0, edge_width=3, class_weights=2.0, loss_weight=1.0)(student, teacher, labels)
    # 8 band pixels per class, each with KL(softmax([2,0]) || softmax([0,1])); alpha=2; /8 per class; 2 classes
    expected = 2 * (8 * kl([2, 0], [0, 1]) * 2.0 / 8)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert expected == pytest.approx(2 * 2 * 0.828730, rel=1e-5)

    # temperature: logits / 2, times T^2 = 4
    loss = BPKDEdgeLoss(tau=2.0, edge_width=3, class_weights=2.0, loss_weight=1.0)(student, teacher, labels)
    assert loss.item() == pytest.approx(4 * 2 * (2.0 * kl([1, 0], [0, 0.5])), rel=1e-5)

    # soft mask: logits at 2x2, every cell has M_E = 0.5 -> logits halved before softmax, KL weighted by 0.5
    student, teacher, labels = two_class_case(2, 2)
    loss = BPKDEdgeLoss(tau=1.0, edge_width=3, class_weights=2.0, loss_weight=3.0)(student, teacher, labels)
    assert loss.item() == pytest.approx(3.0 * 2 * (4 * 0.5 * kl([1, 0], [0, 0.5]) * 2.0 / 4), rel=1e-5)

    # per-class weights
    loss = BPKDEdgeLoss(tau=1.0, edge_width=3, class_weights=[1.0, 0.0], loss_weight=1.0)(*two_class_case())
    assert loss.item() == pytest.approx(kl([2, 0], [0, 1]), rel=1e-5)


def test_edge_loss_zero_when_student_equals_teacher_and_grad_only_to_student():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (2, 16, 16), generator=generator)
    teacher = torch.randn(2, 3, 8, 8, generator=generator, requires_grad=True)
    loss_fn = BPKDEdgeLoss()
    assert loss_fn(teacher.detach().clone(), teacher, labels).item() == pytest.approx(0, abs=1e-6)
    student = torch.randn(2, 3, 8, 8, generator=generator, requires_grad=True)
    loss = loss_fn(student, teacher, labels)
    loss.backward()
    assert loss.item() > 0 and teacher.grad is None and student.grad.abs().sum() > 0


def test_edge_loss_ignores_ignored_pixels():
    student, teacher, labels = two_class_case()
    labels[0, :, 0] = 255  # column 0 ignored: its pixels border class 0 but must not count
    loss_fn = BPKDEdgeLoss(edge_width=3)
    before = loss_fn(student, teacher, labels)
    student_changed = student.clone()
    student_changed[:, :, :, 0] = torch.tensor([5., -5.]).view(1, 2, 1)
    assert loss_fn(student_changed, teacher, labels).item() == pytest.approx(before.item(), rel=1e-6)


def test_edge_and_body_loss_degenerate_crops_are_zero_not_nan():
    student = torch.randn(1, 3, 4, 4)
    teacher = torch.randn(1, 3, 4, 4)
    all_ignore = torch.full((1, 8, 8), 255, dtype=torch.long)
    no_boundary = torch.ones(1, 8, 8, dtype=torch.long)
    for labels in (all_ignore, no_boundary):
        assert BPKDEdgeLoss()(student, teacher, labels).item() == 0
    body = BPKDBodyLoss()(student, teacher, all_ignore)
    assert torch.isfinite(body) and body.item() == pytest.approx(0, abs=1e-6)


def test_bad_inputs_raise_clear_errors():
    student, teacher, labels = two_class_case()
    labels[0, 0, 0] = 5
    with pytest.raises(ValueError, match=r'\[5\]'):
        BPKDEdgeLoss()(student, teacher, labels)
    with pytest.raises(ValueError, match='student C=2, teacher C=3'):
        BPKDEdgeLoss()(student, torch.randn(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match='class_weights has 3 entries'):
        BPKDEdgeLoss(class_weights=[1, 1, 1])(*two_class_case())
    with pytest.raises(ValueError, match='edge_width'):
        BPKDBodyLoss(edge_width=6)


def test_teacher_logits_of_another_size_are_resized():
    student, _, labels = two_class_case()
    teacher_small = torch.tensor([2., 0.]).view(1, 2, 1, 1).expand(1, 2, 2, 2).clone()
    loss = BPKDEdgeLoss(tau=1.0, edge_width=3, class_weights=2.0, loss_weight=1.0)(student, teacher_small, labels)
    assert loss.item() == pytest.approx(2 * (8 * kl([2, 0], [0, 1]) * 2.0 / 8), rel=1e-5)  # constant map


def test_body_loss_is_mmrazor_cwd_when_the_mask_is_all_ones():
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(2, 4, 6, 6, generator=generator)
    teacher = torch.randn(2, 4, 6, 6, generator=generator)
    no_boundary = torch.full((2, 12, 12), 2, dtype=torch.long)
    ours = BPKDBodyLoss(tau=4.0, loss_weight=20.0)(student, teacher, no_boundary)
    reference = ChannelWiseDivergence(tau=4.0, loss_weight=20.0)(student, teacher)
    assert ours.item() == pytest.approx(reference.item(), rel=1e-6)
    assert BPKDBodyLoss()(teacher.clone(), teacher, no_boundary).item() == pytest.approx(0, abs=1e-5)


def test_body_loss_ignores_the_boundary_band():
    student, teacher, labels = two_class_case()
    loss_fn = BPKDBodyLoss(edge_width=3)
    before = loss_fn(student, teacher, labels)
    student_changed = student.clone()
    student_changed[:, :, :, 1:3] = torch.randn(1, 2, 4, 2)  # the band columns
    assert loss_fn(student_changed, teacher, labels).item() == pytest.approx(before.item(), rel=1e-6)
    student_changed[:, :, :, 0] = torch.tensor([5., -5.]).view(1, 2, 1)  # a body column
    assert loss_fn(student_changed, teacher, labels).item() != pytest.approx(before.item(), rel=1e-3)


def test_bad_band_settings_fail_at_build_time():
    with pytest.raises(ValueError, match='compute_iters=2'):
        BPKDEdgeLoss(edge_width=7, compute_iters=2)
    with pytest.raises(ValueError, match='compute_iters=4'):
        BPKDBodyLoss(edge_width=7, compute_iters=4)
    BPKDEdgeLoss(edge_width=7, compute_iters=3)
