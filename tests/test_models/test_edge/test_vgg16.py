# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch

from mmkd.models.edge import EdgeVGG16, vgg16_conv_state_dict_keys
from mmkd.registry import MODELS
from tests.helpers.edge_configs import rcf_backbone
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)


def test_hed_settings_shapes_at_odd_size():
    trunk = MODELS.build(dict(type='mmkd.EdgeVGG16'))
    stages = trunk(torch.rand(1, 3, 35, 37))
    assert [len(s) for s in stages] == [2, 2, 3, 3, 3]
    # floor-mode 2x2 stride-2 pools: 35 -> 17 -> 8 -> 4 -> 2, 37 -> 18 -> 9 -> 4 -> 2
    expected = [(64, 35, 37), (128, 17, 18), (256, 8, 9), (512, 4, 4), (512, 2, 2)]
    for stage, shape in zip(stages, expected):
        for out in stage:
            assert tuple(out.shape) == (1, ) + shape
            assert out.min() >= 0  # after ReLU


def test_rcf_settings_shapes_at_odd_size():
    trunk = MODELS.build(rcf_backbone())  # the RCF rows' trunk, from configs/_base_/models/edge_rcf.py
    stages = trunk(torch.rand(1, 3, 35, 37))
    # ceil-mode pools: 35 -> 18 -> 9 -> 5, 37 -> 19 -> 10 -> 5; pool4 2x2 stride 1 (ceil) keeps 5 -> 5 - 1 = 4
    expected = [(64, 35, 37), (128, 18, 19), (256, 9, 10), (512, 5, 5), (512, 4, 4)]
    for stage, shape in zip(stages, expected):
        assert tuple(stage[-1].shape) == (1, ) + shape
    assert trunk.conv5_1.dilation == (2, 2) and trunk.conv5_1.padding == (2, 2)
    assert trunk.conv4_3.dilation == (1, 1)


def test_state_dict_keys_are_the_vgg_names():
    trunk = EdgeVGG16()
    assert list(trunk.state_dict().keys()) == vgg16_conv_state_dict_keys()
    assert vgg16_conv_state_dict_keys()[:2] == ['conv1_1.weight', 'conv1_1.bias']
    assert len(vgg16_conv_state_dict_keys()) == 26
    # VGG16 conv part: 14,714,688 parameters
    assert sum(p.numel() for p in trunk.parameters()) == 14714688


def test_stage_outputs_are_the_conv_outputs():
    trunk = EdgeVGG16()
    x = torch.rand(1, 3, 16, 16)
    stages = trunk(x)
    assert torch.allclose(stages[0][0], torch.relu(trunk.conv1_1(x)))
    assert torch.allclose(stages[0][1], torch.relu(trunk.conv1_2(stages[0][0])))


@pytest.mark.parametrize('key,value', [('pool4_stride', 0), ('conv5_dilation', 1.5)])
def test_bad_arguments(key, value):
    with pytest.raises(ValueError, match=key):
        EdgeVGG16(**{key: value})


def test_bad_input_dims():
    with pytest.raises(ValueError, match=r'\[N, C, H, W\]'):
        EdgeVGG16()(torch.rand(3, 8, 8))


def test_relu_points_are_explicit_modules():
    """Each conv has its own non-in-place ReLU: a forward hook on conv5_3 sees the pre-ReLU output (with
    negatives), one on relu5_3 the post-ReLU output knowledge adaptation records; the stage output is the latter."""
    torch.manual_seed(0)
    trunk = MODELS.build(rcf_backbone()).eval()
    seen = {}
    for name in ('conv5_3', 'relu5_3'):
        getattr(trunk, name).register_forward_hook(lambda m, a, out, name=name: seen.setdefault(name, out))
    with torch.no_grad():
        stages = trunk(torch.randn(1, 3, 24, 24) * 50)
    assert seen['conv5_3'].min() < 0 <= seen['relu5_3'].min()
    assert torch.equal(seen['relu5_3'], torch.relu(seen['conv5_3']))
    assert seen['relu5_3'] is stages[4][-1]
    assert not any(m.inplace for m in trunk.modules() if isinstance(m, torch.nn.ReLU))
