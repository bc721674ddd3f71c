# Copyright (c) mmkd contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from mmkd.models.losses import SigmoidSoftLabelKDLoss


def test_equals_binary_kl_by_hand_and_bce_minus_entropy():
    s = torch.tensor([[[[0.5]], [[-1.0]]]])  # [1, 2, 1, 1]
    t = torch.tensor([[[[2.0]], [[0.0]]]])
    expected = 0.
    for si, ti in ((0.5, 2.0), (-1.0, 0.0)):
        p, q = 1 / (1 + math.exp(-ti)), 1 / (1 + math.exp(-si))
        expected += p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    loss = SigmoidSoftLabelKDLoss(loss_weight=1.0, reduction='mean')([s], [t])
    assert loss.item() == pytest.approx(expected / 2, rel=1e-5)
    # same thing as mmdet-style BCE with soft targets minus the teacher entropy
    torch.manual_seed(0)
    s, t = torch.randn(2, 9, 4, 4) * 3, torch.randn(2, 9, 4, 4) * 3
    p = t.sigmoid()
    bce = F.binary_cross_entropy_with_logits(s / 2, (t / 2).sigmoid(), reduction='none')
    entropy = F.binary_cross_entropy_with_logits(t / 2, (t / 2).sigmoid(), reduction='none')
    loss = SigmoidSoftLabelKDLoss(tau=2.0, loss_weight=0.5, reduction='mean')([s], [t])
    assert loss.item() == pytest.approx(0.5 * 4 * (bce - entropy).mean().item(), rel=1e-4)
    assert p.shape == s.shape


def test_zero_for_equal_logits_and_teacher_gets_no_gradient():
    s = (torch.randn(1, 4, 2, 2) * 20).requires_grad_()
    assert SigmoidSoftLabelKDLoss(reduction='mean')([s], [s.detach().clone()]).item() == pytest.approx(0.0, abs=1e-6)
    t = torch.randn(1, 4, 2, 2, requires_grad=True)
    SigmoidSoftLabelKDLoss(reduction='mean')([s], [t]).backward()
    assert t.grad is None and s.grad is not None


def test_levels_are_pooled_by_element_count():
    a_s, a_t = torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 1.0)
    b_s, b_t = torch.zeros(1, 1, 1, 1), torch.full((1, 1, 1, 1), -3.0)
    loss = SigmoidSoftLabelKDLoss(reduction='mean')
    pooled = loss([a_s, b_s], [a_t, b_t]).item()
    assert pooled == pytest.approx((4 * loss([a_s], [a_t]).item() + loss([b_s], [b_t]).item()) / 5, rel=1e-6)
    with pytest.raises(ValueError, match='level 0'):
        loss([a_s], [b_t])
