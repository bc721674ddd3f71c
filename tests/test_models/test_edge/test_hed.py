# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd.HED structure on random weights (the real-weight checks are in test_hed_real.py)."""
import pytest
import torch
import torch.nn.functional as F

from mmkd.models.edge import HED
from mmkd.registry import MODELS
from tests.helpers.edge_configs import hed_backbone


def test_outputs_shapes_at_odd_size_and_init():
    hed = MODELS.build(dict(type='mmkd.HED', backbone=hed_backbone()))
    assert hed.num_outputs == 6
    outputs = hed(torch.rand(2, 3, 45, 61))
    assert len(outputs) == 6 and all(o.shape == (2, 1, 45, 61) for o in outputs)
    # Caffe HED init: side convs 0, fuse 1/5 each, so every output starts at exactly 0
    assert all(torch.count_nonzero(o) == 0 for o in outputs)
    assert torch.equal(hed.fuse.weight, torch.full((1, 5, 1, 1), 0.2))
    # ceil-mode pools: 45 -> 23 -> 12 -> 6 -> 3 at stage 5
    assert hed.backbone(torch.rand(1, 3, 45, 61))[4][-1].shape == (1, 512, 3, 4)


def test_side_outputs_are_upsampled_last_convs_and_fuse_combines_them():
    torch.manual_seed(0)
    hed = HED(hed_backbone())
    for conv in list(hed.side_convs) + [hed.fuse]:
        torch.nn.init.normal_(conv.weight)
        torch.nn.init.normal_(conv.bias)
    x = torch.rand(1, 3, 40, 36)
    outputs = hed(x)
    stages = hed.backbone(x)
    side3 = F.interpolate(hed.side_convs[2](stages[2][-1]), size=(40, 36), mode='bilinear', align_corners=False)
    assert torch.allclose(outputs[2], side3, atol=1e-6)
    assert torch.allclose(outputs[0], hed.side_convs[0](stages[0][-1]), atol=1e-6)  # stage 1: no resize
    fused = sum(hed.fuse.weight[0, k, 0, 0] * outputs[k] for k in range(5)) + hed.fuse.bias
    assert torch.allclose(outputs[5], fused, atol=1e-5)


def test_bad_arguments_and_inputs():
    with pytest.raises(TypeError, match='backbone must be a config dict'):
        HED(backbone='EdgeVGG16')
    with pytest.raises(TypeError, match='configs/_base_/models/edge_hed.py'):
        HED()
    with pytest.raises(ValueError, match=r'\[N, C, H, W\]'):
        HED(hed_backbone())(torch.rand(3, 32, 32))
