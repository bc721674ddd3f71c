# Copyright (c) mmkd contributors. All rights reserved.
import math

import pytest
import torch

from mmkd.models.losses import RankMimickingLoss
from mmkd.models.losses.rank_mimicking_loss import grouped_log_softmax


def kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


def softmax(values, tau=1.0):
    exps = [math.exp(v / tau) for v in values]
    return [e / sum(exps) for e in exps]


def test_equals_the_formula_on_hand_made_instances():
    # instance 7: three positives, instance 2: two, instance 5: one (skipped)
    ids = torch.tensor([7, 2, 7, 5, 2, 7])
    s_S = torch.tensor([0.5, -1.0, 2.0, 3.0, 0.0, -0.5])
    s_T = torch.tensor([1.0, 0.3, 0.2, -2.0, 1.5, 0.7])
    expected_7 = kl(softmax([1.0, 0.2, 0.7]), softmax([0.5, 2.0, -0.5]))
    expected_2 = kl(softmax([0.3, 1.5]), softmax([-1.0, 0.0]))
    loss = RankMimickingLoss(mode='cls', loss_weight=4.0)(ids, cls_scores_S=s_S, cls_scores_T=s_T)
    assert loss.item() == pytest.approx(4.0 * (expected_7 + expected_2) / 2, rel=1e-5)


def test_temperature_and_sigmoid_option():
    ids = torch.tensor([0, 0, 0])
    s_S, s_T = torch.tensor([0.5, 2.0, -1.0]), torch.tensor([1.0, -1.0, 0.0])
    loss = RankMimickingLoss(tau=2.0, loss_weight=1.0)(ids, cls_scores_S=s_S, cls_scores_T=s_T)
    assert loss.item() == pytest.approx(kl(softmax([1.0, -1.0, 0.0], 2.0), softmax([0.5, 2.0, -1.0], 2.0)), rel=1e-5)
    sig = RankMimickingLoss(use_sigmoid=True, loss_weight=1.0)(ids, cls_scores_S=s_S, cls_scores_T=s_T)
    assert sig.item() == pytest.approx(
        kl(softmax(s_T.sigmoid().tolist()), softmax(s_S.sigmoid().tolist())), rel=1e-5)


def test_no_sorting_anchor_correspondence_matters():
    # same multiset of scores, permuted: a sorting implementation would give 0
    ids = torch.zeros(3, dtype=torch.long)
    loss = RankMimickingLoss()(ids, cls_scores_S=torch.tensor([3., 2., 1.]), cls_scores_T=torch.tensor([1., 2., 3.]))
    assert loss.item() > 0.5


def test_zero_when_student_equals_teacher_and_shift_invariant():
    ids = torch.tensor([0, 0, 1, 1, 1])
    scores = torch.tensor([0.3, -2.0, 1.0, 4.0, 0.5])
    loss = RankMimickingLoss()
    assert loss(ids, cls_scores_S=scores, cls_scores_T=scores).item() == pytest.approx(0.0, abs=1e-7)
    s_T = torch.tensor([1.0, 0.0, -1.0, 2.0, 0.1])
    shift = torch.tensor([5.0, 5.0, -30.0, -30.0, -30.0])  # one shift per instance
    base = loss(ids, cls_scores_S=scores, cls_scores_T=s_T)
    assert loss(ids, cls_scores_S=scores + shift, cls_scores_T=s_T).item() == pytest.approx(base.item(), rel=1e-5)
    assert loss(ids, cls_scores_S=scores, cls_scores_T=s_T - shift).item() == pytest.approx(base.item(), rel=1e-5)


def test_single_positive_instances_and_no_gt_give_zero_without_nan():
    loss = RankMimickingLoss()
    s_S = torch.tensor([1.0, 2.0], requires_grad=True)
    value = loss(torch.tensor([0, 1]), cls_scores_S=s_S, cls_scores_T=torch.tensor([5.0, -5.0]))
    assert value.item() == 0.0
    value.backward()
    assert torch.equal(s_S.grad, torch.zeros(2))
    empty = torch.zeros(0, requires_grad=True)
    value = loss(torch.zeros(0, dtype=torch.long), cls_scores_S=empty, cls_scores_T=torch.zeros(0))
    assert value.item() == 0.0 and not torch.isnan(value)
    value.backward()


def test_loc_and_cls_plus_loc():
    ids = torch.tensor([0, 0, 0])
    c_S, c_T = torch.tensor([0.5, 2.0, -1.0]), torch.tensor([1.0, -1.0, 0.0])
    i_S, i_T = torch.tensor([0.6, 0.7, 0.5]), torch.tensor([0.9, 0.5, 0.6])
    loc = RankMimickingLoss(mode='loc', loss_weight=1.0)(ids, ious_S=i_S, ious_T=i_T)
    assert loc.item() == pytest.approx(kl(softmax(i_T.tolist()), softmax(i_S.tolist())), rel=1e-5)
    both = RankMimickingLoss(mode='cls+loc', loss_weight=2.0)(ids, c_S, c_T, i_S, i_T)
    cls = kl(softmax(c_T.tolist()), softmax(c_S.tolist()))
    assert both.item() == pytest.approx(2.0 * (cls + loc.item()), rel=1e-5)
    with pytest.raises(ValueError, match='needs ious'):
        RankMimickingLoss(mode='loc')(ids, cls_scores_S=c_S, cls_scores_T=c_T)


def test_gradient_reaches_student_only():
    ids = torch.tensor([0, 0, 0])
    s_S = torch.tensor([0.5, 2.0, -1.0], requires_grad=True)
    s_T = torch.tensor([1.0, -1.0, 0.0], requires_grad=True)
    RankMimickingLoss()(ids, cls_scores_S=s_S, cls_scores_T=s_T).backward()
    assert s_T.grad is None
    # d KL(p_t || p_s) / d s_s = (p_s - p_t) / T
    expected = torch.softmax(s_S.detach(), 0) - torch.softmax(s_T.detach(), 0)
    assert torch.allclose(s_S.grad, 4.0 * expected, atol=1e-6)


def test_grouped_log_softmax_is_stable_and_matches_torch():
    values = torch.tensor([1000.0, 1001.0, -3.0, 0.0, 2.0])
    groups = torch.tensor([0, 0, 1, 1, 1])
    out = grouped_log_softmax(values, groups, 2)
    assert torch.allclose(out[:2], torch.log_softmax(values[:2], 0))
    assert torch.allclose(out[2:], torch.log_softmax(values[2:], 0))


def test_bad_arguments():
    with pytest.raises(ValueError, match='mode'):
        RankMimickingLoss(mode='rank')
    with pytest.raises(ValueError, match='tau'):
        RankMimickingLoss(tau=0)
    with pytest.raises(ValueError, match='must all be'):
        RankMimickingLoss()(torch.zeros(3, dtype=torch.long), cls_scores_S=torch.zeros(3), cls_scores_T=torch.zeros(2))
