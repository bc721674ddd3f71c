# Copyright (c) mmkd contributors. All rights reserved.
import math

import pytest
import torch

from mmkd.models.losses import EdgeKDLoss, WeightedEdgeBCELoss
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


# eta = 0.5: positives are 1.0 and 0.6; negatives the four zeros; 0.2, 0.4 (uncertain) and 255 (padding) ignored.
TARGET = torch.tensor([[0.0, 0.2, 1.0], [0.0, 0.6, 0.0], [255.0, 0.0, 0.4]]).view(1, 1, 3, 3)
LOGITS = torch.tensor([[0.0, 1.0, 2.0], [-1.0, 0.5, 3.0], [7.0, -2.0, 9.0]]).view(1, 1, 3, 3)


def hand_weighted_bce(neg_weight: float = 1.1) -> float:
    num_pos, num_neg = 2, 4
    alpha = num_neg / (num_pos + num_neg)
    beta = neg_weight * num_pos / (num_pos + num_neg)
    positives = softplus(-2.0) + softplus(-0.5)  # -log sigmoid(z) at z = 2 and 0.5
    negatives = softplus(0.0) + softplus(-1.0) + softplus(3.0) + softplus(-2.0)  # -log(1 - sigmoid(z))
    return alpha * positives + beta * negatives


def test_weighted_bce_matches_hand_computation_3x3():
    loss = WeightedEdgeBCELoss()(LOGITS, TARGET)
    assert loss.item() == pytest.approx(hand_weighted_bce(), rel=1e-6)
    # the ignored pixels (0.2, 0.4, padding) carry weight 0: changing their logits changes nothing
    logits = LOGITS.clone()
    logits[0, 0, 0, 1] = -50.0
    logits[0, 0, 2, 0] = 50.0
    logits[0, 0, 2, 2] = -50.0
    assert WeightedEdgeBCELoss()(logits, TARGET).item() == pytest.approx(hand_weighted_bce(), rel=1e-6)


def test_weighted_bce_parameters():
    assert WeightedEdgeBCELoss(neg_weight=2.0)(LOGITS, TARGET).item() == pytest.approx(
        hand_weighted_bce(2.0), rel=1e-6)
    assert WeightedEdgeBCELoss(loss_weight=3.0)(LOGITS, TARGET).item() == pytest.approx(
        3 * hand_weighted_bce(), rel=1e-6)
    assert WeightedEdgeBCELoss(reduction='mean')(LOGITS, TARGET).item() == pytest.approx(
        hand_weighted_bce() / 6, rel=1e-6)
    # eta = 0.3 makes 0.4 a positive too: 3 positives, 4 negatives, only 0.2 and padding ignored
    alpha, beta = 4 / 7, 1.1 * 3 / 7
    expected = alpha * (softplus(-2.0) + softplus(-0.5) + softplus(-9.0)) + beta * (
        softplus(0.0) + softplus(-1.0) + softplus(3.0) + softplus(-2.0))
    assert WeightedEdgeBCELoss(eta=0.3)(LOGITS, TARGET).item() == pytest.approx(expected, rel=1e-6)


def test_weighted_bce_counts_over_the_batch():
    # Two copies in one batch: the class fractions are unchanged, the sum doubles.
    loss = WeightedEdgeBCELoss()(LOGITS.repeat(2, 1, 1, 1), TARGET.repeat(2, 1, 1, 1))
    assert loss.item() == pytest.approx(2 * hand_weighted_bce(), rel=1e-6)


def test_weighted_bce_errors():
    with pytest.raises(ValueError, match='eta'):
        WeightedEdgeBCELoss(eta=0)
    with pytest.raises(ValueError, match='ignore_index'):
        WeightedEdgeBCELoss(ignore_index=1)
    with pytest.raises(ValueError, match='same shape'):
        WeightedEdgeBCELoss()(LOGITS, TARGET[..., :2])


def test_edge_kd_zero_when_outputs_match():
    pred = torch.randn(2, 1, 5, 7)
    assert EdgeKDLoss()(pred, pred.clone()).item() == 0.0
    assert EdgeKDLoss(target='logits')([torch.randn(2, 1, 5, 7), pred], [pred.clone()]).item() == 0.0


def test_edge_kd_hand_values():
    student = torch.tensor([0.0, math.log(3.0)]).view(1, 1, 1, 2)
    teacher = torch.zeros(1, 1, 1, 2)
    # probabilities 0.5, 0.75 vs 0.5, 0.5: (0.25)^2 summed
    assert EdgeKDLoss()(student, teacher).item() == pytest.approx(0.0625, rel=1e-6)
    assert EdgeKDLoss(reduction='mean')(student, teacher).item() == pytest.approx(0.03125, rel=1e-6)
    assert EdgeKDLoss(target='logits', loss_weight=2.0)(student, teacher).item() == pytest.approx(
        2 * math.log(3.0)**2, rel=1e-6)
    # a list of outputs: the last (final) one is used
    assert EdgeKDLoss()([teacher, student], [student, teacher]).item() == pytest.approx(0.0625, rel=1e-6)


def test_edge_kd_teacher_gets_no_gradient():
    student = torch.randn(1, 1, 4, 4, requires_grad=True)
    teacher = torch.randn(1, 1, 4, 4, requires_grad=True)
    EdgeKDLoss()(student, teacher).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_edge_kd_errors():
    with pytest.raises(ValueError, match='target'):
        EdgeKDLoss(target='prob')
    with pytest.raises(ValueError, match='differ'):
        EdgeKDLoss()(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 5))
    with pytest.raises(TypeError, match='preds_S'):
        EdgeKDLoss()([], torch.zeros(1))
