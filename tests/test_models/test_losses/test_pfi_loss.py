# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch

from mmkd.models.losses import PFILoss


@pytest.mark.parametrize('pred_reduction,feat_reduction', [('sum', 'sum'), ('mean', 'mean'), ('sum', 'mean')])
def test_prediction_mask_equals_the_formula(pred_reduction, feat_reduction):
    torch.manual_seed(0)
    f_S, f_T = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    c_S, c_T = torch.randn(2, 6, 4, 5), torch.randn(2, 6, 4, 5)  # A*C = 6
    g_S, g_T = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    d_S, d_T = torch.randn(2, 6, 2, 2), torch.randn(2, 6, 2, 2)
    loss = PFILoss(loss_weight=1.5, pred_reduction=pred_reduction, feat_reduction=feat_reduction)(
        [f_S, g_S], [f_T, g_T], [c_S, d_S], [c_T, d_T])
    expected = []
    for f_s, f_t, c_s, c_t in ((f_S, f_T, c_S, c_T), (g_S, g_T, d_S, d_T)):
        total = 0.
        n, k, h, w = f_s.shape
        for b in range(n):
            for i in range(h):
                for j in range(w):
                    # the paper's Eq. 7-8 sum over the A*C score and the K feature channels; 'mean' divides
                    dp = sum((c_t[b, c, i, j].sigmoid() - c_s[b, c, i, j].sigmoid())**2 for c in range(6))
                    df = sum((f_t[b, c, i, j] - f_s[b, c, i, j])**2 for c in range(k))
                    dp = dp / 6 if pred_reduction == 'mean' else dp
                    df = df / k if feat_reduction == 'mean' else df
                    total += dp * df
        expected.append(total / (n * h * w))
    assert loss.item() == pytest.approx(1.5 * float(sum(expected) / 2), rel=1e-5)


def test_zero_when_features_equal():
    feats = [torch.randn(1, 4, 3, 3)]
    loss = PFILoss()(feats, [f.clone() for f in feats], [torch.randn(1, 2, 3, 3)], [torch.randn(1, 2, 3, 3)])
    assert loss.item() == 0.0


def test_gradient_only_into_student_features():
    f_S = torch.randn(1, 4, 3, 3, requires_grad=True)
    f_T = torch.randn(1, 4, 3, 3, requires_grad=True)
    c_S = torch.randn(1, 2, 3, 3, requires_grad=True)  # the student's cls head output: ΔP must not train it
    c_T = torch.randn(1, 2, 3, 3, requires_grad=True)
    PFILoss(loss_weight=1.0)([f_S], [f_T], [c_S], [c_T]).backward()
    assert c_S.grad is None and c_T.grad is None and f_T.grad is None
    dp = (c_T.sigmoid() - c_S.sigmoid()).detach().pow(2).sum(1, keepdim=True)
    # d/d f_S of mean_ij dp * sum_k (f_T - f_S)^2 = dp * 2 (f_S - f_T) / (H * W)
    assert torch.allclose(f_S.grad, dp * 2 * (f_S - f_T).detach() / 9, atol=1e-6)


@pytest.mark.parametrize('mode', ['whole', 'positive', 'negative', 'gt_box'])
def test_mask_modes_weight_the_given_positions(mode):
    f_S = torch.zeros(1, 2, 2, 3)
    f_T = torch.arange(12, dtype=torch.float).reshape(1, 2, 2, 3)
    # ΔF per position = sum over the 2 channels of f_T²
    delta_f = f_T.pow(2).sum(1)[0]
    mask = torch.tensor([[[True, False, False], [False, True, False]]])
    loss = PFILoss(mask=mode, loss_weight=1.0)
    if mode == 'whole':
        assert loss([f_S], [f_T]).item() == pytest.approx(delta_f.mean().item())
    else:
        # the caller gives the positions to imitate; normalised by the 2 positions inside the mask
        value = loss([f_S], [f_T], masks=[mask])
        assert value.item() == pytest.approx((delta_f[0, 0] + delta_f[1, 1]).item() / 2)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match='mask must be one of'):
        PFILoss(mask='edges')
    with pytest.raises(ValueError, match='needs student and teacher cls scores'):
        PFILoss()([torch.zeros(1, 2, 2, 2)], [torch.zeros(1, 2, 2, 2)])
    with pytest.raises(ValueError, match='one \\[N, H, W\\] mask per FPN level'):
        PFILoss(mask='gt_box')([torch.zeros(1, 2, 2, 2)], [torch.zeros(1, 2, 2, 2)])
    with pytest.raises(ValueError, match='FPN widths must be equal'):
        PFILoss(mask='whole')([torch.zeros(1, 2, 2, 2)], [torch.zeros(1, 3, 2, 2)])
