# Copyright (c) mmkd contributors. All rights reserved.
"""EdgeDetector.predict runs the network under torch.inference_mode and hands back an ordinary tensor."""
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmkd.registry import MODELS
from tests.helpers.tools import REPO_ROOT
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)


def test_predict_runs_under_inference_mode_and_returns_a_normal_tensor():
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/edge/model_mobilenetv2_1xb1-900e_bsds.py')
    with DefaultScope.overwrite_default_scope('mmkd'):
        model = MODELS.build(cfg.model).eval()
    modes = []
    model.network.register_forward_hook(lambda *args: modes.append(torch.is_inference_mode_enabled()))
    inputs = torch.randn(1, 3, 32, 48, generator=torch.Generator().manual_seed(0)) * 50
    with torch.no_grad():
        expected = torch.sigmoid(model(inputs, mode='tensor')[-1])[0]
    prob = model.predict(inputs)[0].pred_edge_map.data
    assert modes == [False, True]  # 'tensor' mode: plain; predict: inference mode
    assert not prob.is_inference()
    prob.mul_(1.0)  # callers may modify it in place (an inference tensor would raise here)
    assert torch.allclose(prob, expected, atol=1e-6)
