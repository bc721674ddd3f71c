# Copyright (c) mmkd contributors. All rights reserved.
"""BPKD: the edge term (both reductions), the body term (both softmax forms), and mmkd.BPKDLoss (one mask for both)
against hand-computed values and mmrazor's CWD."""
import math

import pytest
import torch
from mmrazor.models.losses import ChannelWiseDivergence

from mmkd.models.losses import BPKDBodyLoss, BPKDEdgeLoss, BPKDLoss
from mmkd.models.utils import bpkd_edge_mask


def kl(teacher_logits, student_logits):
    """KL(softmax(t) || softmax(s)) for two logit lists, by hand."""
    def softmax(logits):
        exps = [math.exp(v) for v in logits]
        return [e / sum(exps) for e in exps]
    p_t, p_s = softmax(teacher_logits), softmax(student_logits)
    return sum(t * (math.log(t) - math.log(s)) for t, s in zip(p_t, p_s) if t > 0)


def two_class_case(height=4, width=4):
    """Labels 4x4: columns 0-1 class 0, 2-3 class 1; with edge_width=3 the band is columns 1 and 2 of both classes
    (8 of the 16 cells per class at 4x4 logits); constant logits teacher [2, 0], student [0, 1]."""
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[:, :, 2:] = 1
    teacher = torch.tensor([2., 0.]).view(1, 2, 1, 1).expand(1, 2, height, width).clone()
    student = torch.tensor([0., 1.]).view(1, 2, 1, 1).expand(1, 2, height, width).clone()
    return student, teacher, labels


def edge_term(student, teacher, labels, edge_width=3, **kwargs):
    edge_mask, _ = bpkd_edge_mask(labels, student.shape[1], student.shape[2:], edge_width)
    return BPKDEdgeLoss(**kwargs)(student, teacher, edge_mask)


def body_term(student, teacher, labels, edge_width=3, **kwargs):
    edge_mask, valid = bpkd_edge_mask(labels, student.shape[1], student.shape[2:], edge_width)
    return BPKDBodyLoss(**kwargs)(student, teacher, (1 - edge_mask) * valid)


@pytest.mark.parametrize('reduction', ['mean', 'class_sum'])
def test_edge_term_hand_computed_both_reductions(reduction):
    phi = kl([2, 0], [0, 1])
    assert phi == pytest.approx(0.828730, rel=1e-5)
    # E = alpha * phi on the 8 band cells of each of the 2 classes, 0 elsewhere.
    # mean: sum(E) / (N*C*h*w) = 2 * 8 * 2 * phi / 32 = phi; class_sum: per class 8 * 2 * phi / 8, summed: 4 * phi
    expected = {'mean': phi, 'class_sum': 4 * phi}[reduction]
    loss = edge_term(*two_class_case(), tau=1.0, class_weights=2.0, loss_weight=1.0, reduction=reduction)
    assert loss.item() == pytest.approx(expected, rel=1e-5)

    # temperature: logits / 2 and x T^2 = 4
    phi_t2 = kl([1, 0], [0, 0.5])
    loss = edge_term(*two_class_case(), tau=2.0, class_weights=2.0, loss_weight=1.0, reduction=reduction)
    assert loss.item() == pytest.approx(4 * phi_t2 * {'mean': 1, 'class_sum': 4}[reduction], rel=1e-5)

    # soft mask: 2x2 logits, every cell M_E = 0.5 -> logits halved before the softmax, KL weighted by 0.5.
    # mean: 2 classes * 4 cells * 0.5 * 2 * phi / 8 = phi; class_sum: per class 4 * 0.5 * 2 * phi / 4 = phi, x 2
    loss = edge_term(*two_class_case(2, 2), tau=1.0, class_weights=2.0, loss_weight=3.0, reduction=reduction)
    assert loss.item() == pytest.approx(3.0 * phi_t2 * {'mean': 1, 'class_sum': 2}[reduction], rel=1e-5)

    # per-class weights: only class 0 counts. mean: 8 * phi / 32; class_sum: 8 * phi / 8
    loss = edge_term(*two_class_case(), tau=1.0, class_weights=[1.0, 0.0], loss_weight=1.0, reduction=reduction)
    assert loss.item() == pytest.approx({'mean': phi / 4, 'class_sum': phi}[reduction], rel=1e-5)


def test_class_sum_grows_with_the_number_of_classes_and_mean_does_not():
    # the same per-pixel KL map and band on 2 classes and on 6 (4 extra classes absent: no band, no E).
    # class_sum adds one normalised class per class present; mean divides by C
    student, teacher, labels = two_class_case()
    wide_S = torch.cat([student, torch.zeros(1, 4, 4, 4)], dim=1)
    wide_T = torch.cat([teacher, torch.zeros(1, 4, 4, 4)], dim=1)
    mean_2 = edge_term(student, teacher, labels, tau=1.0, reduction='mean')
    sum_2 = edge_term(student, teacher, labels, tau=1.0, reduction='class_sum')
    mean_6 = edge_term(wide_S, wide_T, labels, tau=1.0, reduction='mean')
    sum_6 = edge_term(wide_S, wide_T, labels, tau=1.0, reduction='class_sum')
    phi_6 = kl([2, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0])
    assert mean_6.item() == pytest.approx(50 * 2 * 2 * 8 * phi_6 / (6 * 16), rel=1e-5)
    assert sum_6.item() == pytest.approx(50 * 2 * 2 * phi_6, rel=1e-5)
    assert (sum_2 / mean_2).item() == pytest.approx(4.0, rel=1e-5)  # = C*h*w / band cells = 2 * 16 / 8
    assert (sum_6 / mean_6).item() == pytest.approx(12.0, rel=1e-5)  # = 6 * 16 / 8


def test_edge_term_zero_when_student_equals_teacher_and_grad_only_to_student():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (2, 16, 16), generator=generator)
    teacher = torch.randn(2, 3, 8, 8, generator=generator)
    loss_fn = BPKDLoss()
    assert loss_fn(teacher.clone(), teacher, labels)['edge'].item() == pytest.approx(0, abs=1e-6)
    teacher.requires_grad_()
    student = torch.randn(2, 3, 8, 8, generator=generator, requires_grad=True)
    losses = loss_fn(student, teacher, labels)
    sum(losses.values()).backward()
    assert losses['edge'].item() > 0 and teacher.grad is None and student.grad.abs().sum() > 0


def test_edge_term_ignores_ignored_pixels():
    student, teacher, labels = two_class_case()
    labels[0, :, 0] = 255  # column 0 ignored: its pixels border class 0 but must not count
    before = edge_term(student, teacher, labels)
    student_changed = student.clone()
    student_changed[:, :, :, 0] = torch.tensor([5., -5.]).view(1, 2, 1)
    assert edge_term(student_changed, teacher, labels).item() == pytest.approx(before.item(), rel=1e-6)


@pytest.mark.parametrize('body_softmax', ['zeroed', 'masked'])
def test_degenerate_crops_are_zero_not_nan(body_softmax):
    student = torch.randn(1, 3, 4, 4, requires_grad=True)
    teacher = torch.randn(1, 3, 4, 4)
    all_ignore = torch.full((1, 8, 8), 255, dtype=torch.long)
    no_boundary = torch.ones(1, 8, 8, dtype=torch.long)
    loss_fn = BPKDLoss(body_softmax=body_softmax)
    for labels in (all_ignore, no_boundary):
        assert loss_fn(student, teacher, labels)['edge'].item() == 0
    body = loss_fn(student, teacher, all_ignore)['body']
    body.backward()
    assert torch.isfinite(body) and body.item() == pytest.approx(0, abs=1e-6)
    assert torch.isfinite(student.grad).all()


def test_bad_inputs_raise_clear_errors():
    student, teacher, labels = two_class_case()
    labels[0, 0, 0] = 5
    with pytest.raises(ValueError, match=r'\[5\]'):
        BPKDLoss()(student, teacher, labels)
    with pytest.raises(ValueError, match='student C=2, teacher C=3'):
        BPKDLoss()(student, torch.randn(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.long))
    with pytest.raises(ValueError, match='class_weights has 3 entries'):
        BPKDLoss(class_weights=[1, 1, 1])(*two_class_case())
    with pytest.raises(ValueError, match='edge_width'):
        BPKDLoss(edge_width=6)
    with pytest.raises(ValueError, match="edge_reduction must be one of.*'sum'"):
        BPKDLoss(edge_reduction='sum')
    with pytest.raises(ValueError, match="body_softmax must be one of.*'none'"):
        BPKDLoss(body_softmax='none')
    with pytest.raises(ValueError, match='compute_iters=2'):
        BPKDLoss(edge_width=7, compute_iters=2)
    BPKDLoss(edge_width=7, compute_iters=3)


def test_teacher_logits_of_another_size_are_resized():
    student, _, labels = two_class_case()
    teacher_small = torch.tensor([2., 0.]).view(1, 2, 1, 1).expand(1, 2, 2, 2).clone()
    loss = BPKDLoss(edge_tau=1.0, edge_width=3, class_weights=2.0, edge_weight=1.0)(student, teacher_small, labels)
    assert loss['edge'].item() == pytest.approx(kl([2, 0], [0, 1]), rel=1e-5)  # constant map: as above


@pytest.mark.parametrize('body_softmax', ['zeroed', 'masked'])
def test_body_term_is_mmrazor_cwd_when_the_mask_is_all_ones(body_softmax):
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(2, 4, 6, 6, generator=generator)
    teacher = torch.randn(2, 4, 6, 6, generator=generator)
    no_boundary = torch.full((2, 12, 12), 2, dtype=torch.long)
    ours = BPKDLoss(body_tau=4.0, body_weight=20.0, body_softmax=body_softmax)(student, teacher, no_boundary)
    reference = ChannelWiseDivergence(tau=4.0, loss_weight=20.0)(student, teacher)
    assert ours['body'].item() == pytest.approx(reference.item(), rel=1e-5)
    assert BPKDLoss(body_softmax=body_softmax)(teacher.clone(), teacher, no_boundary)['body'].item() == \
        pytest.approx(0, abs=1e-5)


def test_masked_body_softmax_is_cwd_over_the_body_cells_only():
    generator = torch.Generator().manual_seed(2)
    _, _, labels = two_class_case()
    student = torch.randn(1, 2, 4, 4, generator=generator)
    teacher = torch.randn(1, 2, 4, 4, generator=generator)
    body_columns = [0, 3]  # the band is columns 1 and 2 (binary here: logits at label resolution)
    ours = body_term(student, teacher, labels, tau=2.0, loss_weight=3.0, softmax='masked')
    reference = ChannelWiseDivergence(tau=2.0, loss_weight=3.0)(student[..., body_columns], teacher[..., body_columns])
    assert ours.item() == pytest.approx(reference.item(), rel=1e-5)
    # the zeroed form keeps the 8 band cells at logit 0 inside each channel's softmax: a different number
    zeroed = body_term(student, teacher, labels, tau=2.0, loss_weight=3.0, softmax='zeroed')
    assert zeroed.item() != pytest.approx(ours.item(), rel=1e-3)


def test_masked_body_softmax_with_soft_weights_hand_computed():
    # one channel, 3 cells, body weights [1, 0.5, 0]: p_i = w_i e^{z_i} / sum_j w_j e^{z_j} (tau = 1)
    student = torch.tensor([0.0, 1.0, 5.0]).view(1, 1, 1, 3)
    teacher = torch.tensor([1.0, 0.0, -3.0]).view(1, 1, 1, 3)
    weights = torch.tensor([1.0, 0.5, 0.0]).view(1, 1, 1, 3)
    loss = BPKDBodyLoss(tau=1.0, loss_weight=1.0, softmax='masked')(student, teacher, weights)
    # = KL over cells 0 and 1 of the logits shifted by log(w): [0, 1 + log .5] vs [1, log .5]
    assert loss.item() == pytest.approx(kl([1.0, math.log(0.5)], [0.0, 1.0 + math.log(0.5)]), rel=1e-5)


def test_body_term_ignores_the_boundary_band():
    student, teacher, labels = two_class_case()
    for softmax in ('zeroed', 'masked'):
        before = body_term(student, teacher, labels, softmax=softmax)
        student_changed = student.clone()
        student_changed[:, :, :, 1:3] = torch.randn(1, 2, 4, 2)  # the band columns
        assert body_term(student_changed, teacher, labels, softmax=softmax).item() == pytest.approx(
            before.item(), rel=1e-6)
        student_changed[:, :, :, 0] = torch.tensor([5., -5.]).view(1, 2, 1)  # a body column
        assert body_term(student_changed, teacher, labels, softmax=softmax).item() != pytest.approx(
            before.item(), rel=1e-3)
