# Copyright (c) mmkd contributors. All rights reserved.
"""Deploy mode (re-orderings, BN folded, channels_last, inference_mode) gives eager's outputs within 1e-5."""
import copy

import pytest
import torch
from mmengine.config import ConfigDict
from mmseg.structures import SegDataSample

from mmkd.deploy import DeployHook, apply_deploy_test_args, deploy_model
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)
from .conftest import EDGE_CONFIGS, SEG_CONFIGS

TOLERANCE = 1e-5


def edge_inputs(size=(45, 61), seed=1):
    return torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(seed)) * 50


@pytest.mark.parametrize('name', list(EDGE_CONFIGS))
def test_edge_deploy_equals_eager(name, edge_model):
    """Every output (probabilities) of RCF / HED / Model / SO Model in deploy mode equals eager within 1e-5, at an
    odd size (ceil-mode pools, odd upsampling sizes)."""
    model = edge_model(name)
    inputs = edge_inputs()
    with torch.no_grad():
        eager = [torch.sigmoid(o) for o in model(inputs, mode='tensor')]
    deployed = deploy_model(copy.deepcopy(model))
    assert deployed.deployed
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in deployed.modules())
    outputs = [torch.sigmoid(o) for o in deployed(inputs, mode='tensor')]
    assert len(outputs) == len(eager) == model.num_outputs
    diff = max(float((a - b).abs().max()) for a, b in zip(outputs, eager))
    assert diff <= TOLERANCE, f'{name}: {diff}'
    # predict() goes through the same deploy path: probabilities cropped to the image
    sample = SegDataSample(metainfo=dict(img_shape=(40, 60), ori_shape=(40, 60)))
    predicted = deployed.predict(inputs, [sample])[0].pred_edge_map.data
    assert torch.allclose(predicted, eager[-1][0, :, :40, :60], atol=TOLERANCE)


def test_students_reorder_the_last_upsampling(edge_model):
    """Deploy mode applies the final 1x1 conv before the last bilinear upsampling: the full-size upsampling then
    carries 1 (Model) / 2 (SO Model: side 5 + final) channels instead of the last block's 16."""
    for name, channels in (('Model', 1), ('SO Model', 2)):
        network = edge_model(name).network
        network.switch_to_deploy()
        sizes = []
        hook = torch.nn.functional.interpolate

        def spy(x, *args, **kwargs):
            sizes.append((x.shape[1], kwargs.get('size')))
            return hook(x, *args, **kwargs)

        torch.nn.functional.interpolate = spy
        try:
            with torch.no_grad():
                network(edge_inputs((64, 64)))
        finally:
            torch.nn.functional.interpolate = hook
        full = [c for c, size in sizes if size is not None and tuple(size) == (64, 64)]
        assert full and max(full) == channels, (name, sizes)


def test_rcf_deploy_composes_side_convs(edge_model):
    """RCF's 21-channel side convs and score conv become one 1-channel conv per trunk conv."""
    rcf = edge_model('RCF').network
    rcf.switch_to_deploy()
    assert [len(s) for s in rcf.deploy_side] == [2, 2, 3, 3, 3]
    assert all(c.out_channels == 1 for s in rcf.deploy_side for c in s)
    assert [c.bias is not None for c in rcf.deploy_side[2]] == [True, False, False]  # one bias per stage


def test_config_flag_switches_after_the_checkpoint_load(edge_model, tmp_path):
    """``model.deploy=True``: a plain checkpoint still loads (BN unfolded), the switch happens at the first
    inference call in eval mode, and training is refused afterwards."""
    plain = edge_model('Model')
    flagged = edge_model('Model', deploy=True)
    flagged.load_state_dict(plain.state_dict(), strict=True)
    assert not flagged.deployed
    inputs = edge_inputs((32, 32))
    with torch.no_grad():
        expected = plain(inputs, mode='tensor')[-1]
    assert torch.allclose(flagged.eval()(inputs, mode='tensor')[-1], expected, atol=TOLERANCE)
    assert flagged.deployed
    with pytest.raises(RuntimeError, match='inference only'):
        flagged.loss(inputs, [])


@pytest.mark.parametrize('name', list(SEG_CONFIGS))
def test_segmentor_deploy_equals_eager(name, seg_model):
    """The segmentation students (mmseg segmentors) through the same API: softmax probabilities within 1e-5."""
    model = seg_model(name)
    inputs = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    metas = [dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64), padding_size=[0, 0, 0, 0])]
    with torch.no_grad():
        eager = torch.softmax(model.encode_decode(inputs, metas), dim=1)
        eager_pred = model.predict(inputs, [SegDataSample(metainfo=metas[0])])[0].seg_logits.data
    deployed = deploy_model(copy.deepcopy(model))
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in deployed.modules())
    with torch.no_grad():
        probs = torch.softmax(deployed.encode_decode(inputs, metas), dim=1)
    assert float((probs - eager).abs().max()) <= TOLERANCE
    pred = deployed.predict(inputs, [SegDataSample(metainfo=metas[0])])[0].seg_logits.data  # inference_mode path
    assert torch.allclose(torch.softmax(pred, 0), torch.softmax(eager_pred, 0), atol=TOLERANCE)


def test_deploy_model_rejects_other_models():
    with pytest.raises(TypeError, match='deploy mode supports'):
        deploy_model(torch.nn.Linear(2, 2))


def test_test_tool_args():
    """--deploy adds the hook; --backend swaps the network for the exported one and loads nothing."""
    cfg = ConfigDict(model=dict(type='mmkd.EdgeDetector', network=dict(type='mmkd.RCF'), deploy=True),
                     load_from='x.pth')
    apply_deploy_test_args(cfg, deploy=True)
    assert cfg.custom_hooks == [dict(type='mmkd.DeployHook')]
    apply_deploy_test_args(cfg, backend='onnxruntime', checkpoint='rcf.onnx', num_threads=1)
    assert cfg.model.network == dict(type='mmkd.BackendEdgeNet', onnx_file='rcf.onnx', backend='onnxruntime',
                                     num_threads=1)
    assert cfg.load_from is None and 'deploy' not in cfg.model
    with pytest.raises(ValueError, match='must be the .onnx file'):
        apply_deploy_test_args(cfg, backend='onnxruntime', checkpoint='rcf.pth')
    distill = ConfigDict(model=dict(type='mmkd.CheckedSingleTeacherDistill',
                                    architecture=dict(cfg_path='mmkd::edge/model.py')))
    distill.filename = 'ka.py'
    with pytest.raises(ValueError, match='pass the student config'):
        apply_deploy_test_args(distill, backend='onnxruntime', checkpoint='m.onnx')
    assert issubclass(DeployHook, object)
