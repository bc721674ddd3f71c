# Copyright (c) mmkd contributors. All rights reserved.
"""ONNX export + ONNX Runtime: parity with PyTorch per family (max |probability diff| <= 1e-4), dynamic H/W for the
edge networks, fixed size for the segmentors, and clear errors from the export tool."""
import copy
import sys

import numpy as np
import pytest
import torch

pytest.importorskip('onnxruntime')
import onnx  # noqa: E402

from mmkd.deploy import BackendEdgeNet, BackendSession, ONNXExportError, export_onnx  # noqa: E402
from tests.helpers.tools import run_tool  # noqa: E402  (the slow CLI test)
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401,E402  (autouse)
from .conftest import EDGE_CONFIGS, SEG_CONFIGS  # noqa: E402

PARITY = 1e-4


def images(size, seed=3):
    return torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(seed)) * 50


@pytest.mark.parametrize('name', list(EDGE_CONFIGS))
def test_edge_parity_with_dynamic_height_and_width(name, edge_model, tmp_path):
    """One file, four input sizes (odd ones, and one so small that the students' banded encoder blocks have fewer
    output rows than bands): ORT's probabilities equal PyTorch eager's."""
    model = edge_model(name)
    eager = copy.deepcopy(model)
    onnx_file = str(tmp_path / 'edge.onnx')
    names = export_onnx(model, onnx_file, shape=(64, 64), outputs='all')
    assert names == [f'side{k + 1}' for k in range(eager.num_outputs - 1)] + ['logits']
    graph = onnx.load(onnx_file).graph
    assert [d.dim_param for d in graph.input[0].type.tensor_type.shape.dim] == ['batch', '', 'height', 'width']
    assert not any(node.op_type == 'BatchNormalization' for node in graph.node)  # folded before export
    session = BackendSession(onnx_file, num_threads=1)
    for size in [(64, 64), (45, 61), (33, 80), (12, 20)]:
        inputs = images(size)
        outputs = session.run(inputs.numpy())
        with torch.no_grad():
            reference = eager(inputs, mode='tensor')
        assert len(outputs) == len(reference)
        for out, ref in zip(outputs, reference):
            assert out.shape == tuple(ref.shape) == (1, 1) + size
            diff = float((torch.sigmoid(torch.from_numpy(out)) - torch.sigmoid(ref)).abs().max())
            assert diff <= PARITY, (name, size, diff)


@pytest.mark.parametrize('name', list(SEG_CONFIGS))
def test_segmentor_parity_at_a_fixed_size(name, seg_model, tmp_path):
    """PSPNet-R18 / DeepLabV3+-MobileNetV2 at 96x96 (PSPNet's 1/8 map of 12x12 divides its pooling bins 1, 2, 3,
    6): softmax probabilities of ORT vs mmseg's encode_decode."""
    model = seg_model(name)
    eager = copy.deepcopy(model)
    onnx_file = str(tmp_path / 'seg.onnx')
    assert export_onnx(model, onnx_file, shape=(96, 96)) == ['seg_logits']
    graph = onnx.load(onnx_file).graph
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [1, 3, 96, 96]
    inputs = images((96, 96)) / 50
    metas = [dict(img_shape=(96, 96), ori_shape=(96, 96), pad_shape=(96, 96), padding_size=[0, 0, 0, 0])]
    with torch.no_grad():
        reference = torch.softmax(eager.encode_decode(inputs, metas), dim=1)
    output = BackendSession(onnx_file, num_threads=1).run(inputs.numpy())[0]
    assert output.shape == tuple(reference.shape) == (1, 19, 96, 96)
    assert float((torch.softmax(torch.from_numpy(output), dim=1) - reference).abs().max()) <= PARITY


def test_segmentor_refuses_dynamic_sizes(seg_model, tmp_path):
    with pytest.raises(ONNXExportError, match='fixed size only'):
        export_onnx(seg_model('PSPNet-R18'), str(tmp_path / 'x.onnx'), shape=(96, 96), dynamic=True)


class _AdaptivePoolNet(torch.nn.Module):
    """A tiny edge network whose 3x3 adaptive pooling cannot be exported at a 64x64 input (bins must divide)."""
    num_outputs = 1

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 1, 1)
        self.pool = torch.nn.AdaptiveAvgPool2d(3)

    def forward(self, x):
        return [torch.nn.functional.interpolate(self.pool(self.conv(x)), size=x.shape[-2:])]


def test_unsupported_operator_is_a_clear_error(tmp_path):
    from mmkd.models.edge import EdgeDetector
    from mmkd.registry import MODELS
    from tests.helpers.edge_configs import edge_data_preprocessor
    MODELS.register_module(name='TestOnlyAdaptivePoolEdgeNet', module=_AdaptivePoolNet, force=True)
    model = EdgeDetector(network=dict(type='mmkd.TestOnlyAdaptivePoolEdgeNet'),
                         data_preprocessor=edge_data_preprocessor())
    with pytest.raises(ONNXExportError, match=r'my_config\.py: ONNX export failed at opset 17: .*adaptive'):
        export_onnx(model, str(tmp_path / 'x.onnx'), shape=(64, 64), source='my_config.py')


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(ONNXExportError, match='supported are mmkd.EdgeDetector'):
        export_onnx(torch.nn.Conv2d(3, 1, 1), str(tmp_path / 'x.onnx'))


def test_backend_edge_net_and_missing_file(edge_model, tmp_path):
    model = edge_model('Model')
    eager = copy.deepcopy(model)
    onnx_file = str(tmp_path / 'model.onnx')
    export_onnx(model, onnx_file, shape=(32, 32))
    net = BackendEdgeNet(onnx_file, num_threads=1)
    assert net.num_outputs == 1
    inputs = images((40, 56))
    with torch.no_grad():
        expected = torch.sigmoid(eager(inputs, mode='tensor')[-1])
    assert float((torch.sigmoid(net(inputs)[-1]) - expected).abs().max()) <= PARITY
    with pytest.raises(FileNotFoundError, match='pytorch2onnx.py'):
        BackendSession(str(tmp_path / 'missing.onnx'))
    with pytest.raises(ValueError, match='unknown inference backend'):
        BackendSession(onnx_file, backend='tensorrt')


def load_tool():
    import importlib.util

    from tests.helpers.tools import REPO_ROOT
    spec = importlib.util.spec_from_file_location('pytorch2onnx', f'{REPO_ROOT}/tools/deployment/pytorch2onnx.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_errors_are_one_line(tmp_path, capsys):
    """Unknown model (a config whose model is not exportable) and a missing config: exit 2, a one-line message
    (the tool's main, in process: a subprocess would import the stack twice more)."""
    tool = load_tool()
    config = tmp_path / 'linear.py'
    config.write_text("model = dict(type='mmengine.BaseDataPreprocessor')\n")
    assert tool.main([str(config), 'none', '--out', str(tmp_path / 'x.onnx')]) == 2
    err = capsys.readouterr().err
    assert err.startswith('pytorch2onnx: error: ') and 'cannot export' in err and err.count('\n') == 1, err
    assert tool.main([str(tmp_path / 'nope.py'), 'none', '--out', str(tmp_path / 'x.onnx')]) == 2
    err = capsys.readouterr().err
    assert 'does not exist' in err and err.count('\n') == 1, err


@pytest.mark.slow
def test_cli_exports_and_verifies(tmp_path):
    """The tool on the Model config (random weights): writes a dynamic graph and checks it at two sizes."""
    out = tmp_path / 'model.onnx'
    result = run_tool([sys.executable, 'tools/deployment/pytorch2onnx.py',
                       'configs/edge/model_mobilenetv2_1xb1-900e_bsds.py', 'none', '--out', str(out), '--shape',
                       '64', '96'], env_extra=dict(OMP_NUM_THREADS='1'))
    assert result.returncode == 0, result.stderr[-3000:]
    diffs = [float(line.rsplit('=', 1)[1]) for line in result.stdout.splitlines() if 'max |probability diff|' in line]
    assert len(diffs) == 2 and max(diffs) <= PARITY and out.is_file()
    assert np.isfinite(diffs).all()


def test_openvino_backend_parity(edge_model, tmp_path):
    """The second backend behind the same interface: OpenVINO on the same dynamic file, two sizes."""
    pytest.importorskip('openvino')
    model = edge_model('SO Model')
    eager = copy.deepcopy(model)
    onnx_file = str(tmp_path / 'so_model.onnx')
    export_onnx(model, onnx_file, shape=(32, 32), outputs='all')
    session = BackendSession(onnx_file, backend='openvino', num_threads=1)
    for size in [(32, 32), (45, 61)]:
        inputs = images(size)
        with torch.no_grad():
            reference = eager(inputs, mode='tensor')
        outputs = session.run(inputs.numpy())
        assert len(outputs) == len(reference) == 6
        diff = max(float((torch.sigmoid(torch.from_numpy(o)) - torch.sigmoid(r)).abs().max())
                   for o, r in zip(outputs, reference))
        assert diff <= PARITY, (size, diff)
