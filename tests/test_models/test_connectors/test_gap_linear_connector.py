# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch
from mmrazor.models.losses import L2Loss

from mmkd.models.connectors import GAPLinearConnector


def test_projections_have_the_stated_widths():
    teacher_proj = GAPLinearConnector(512, 256)
    student_proj = GAPLinearConnector(1280, 256)
    assert teacher_proj(torch.rand(2, 512, 5, 7)).shape == (2, 256)
    assert student_proj(torch.rand(2, 1280, 3, 3)).shape == (2, 256)
    assert tuple(teacher_proj.fc.weight.shape) == (256, 512)
    assert tuple(student_proj.fc.weight.shape) == (256, 1280)


def test_projection_is_pool_then_linear():
    proj = GAPLinearConnector(3, 2)
    feature = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).view(2, 3, 2, 2)
    pooled = feature.mean(dim=(2, 3))
    assert torch.allclose(proj(feature), pooled @ proj.fc.weight.T + proj.fc.bias)


def test_adaptation_loss_is_mean_squared_error_times_weight():
    # the configs use mmrazor's L2Loss(normalize=False, div_element=True, loss_weight=1e4) on the projections
    s, t = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]])
    loss = L2Loss(loss_weight=1e4, normalize=False, div_element=True)(s, t)
    assert loss.item() == pytest.approx(1e4 * (1 + 4) / 2)


def test_bad_widths_and_inputs():
    with pytest.raises(ValueError, match='in_channels'):
        GAPLinearConnector(0, 4)
    with pytest.raises(ValueError, match=r'\[N, 8, H, W\]'):
        GAPLinearConnector(8, 4)(torch.rand(1, 7, 2, 2))


def test_fixed_teacher_projection_stays_fixed_while_the_student_side_trains():
    torch.manual_seed(0)
    teacher_proj = GAPLinearConnector(6, 4, trainable=False)
    student_proj = GAPLinearConnector(5, 4)
    before_teacher = [p.detach().clone() for p in teacher_proj.parameters()]
    before_student = [p.detach().clone() for p in student_proj.parameters()]
    # one optimiser over every parameter, as mmengine builds it for the distiller's connectors
    optimizer = torch.optim.SGD(list(teacher_proj.parameters()) + list(student_proj.parameters()), lr=0.5,
                                momentum=0.9, weight_decay=5e-4)
    loss = L2Loss(normalize=False, div_element=True)(student_proj(torch.rand(3, 5, 2, 2)),
                                                      teacher_proj(torch.rand(3, 6, 2, 2)))
    loss.backward()
    optimizer.step()
    assert all(p.grad is None and not p.requires_grad for p in teacher_proj.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before_teacher, teacher_proj.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(before_student, student_proj.parameters()))
    with pytest.raises(TypeError, match='trainable'):
        GAPLinearConnector(6, 4, trainable='no')
