# Copyright (c) mmkd contributors. All rights reserved.
"""Production inference: deploy mode (re-orderings, folded BN, channels_last, inference_mode), ONNX export, and
ONNX Runtime / OpenVINO inference behind one interface (see configs/edge/README.md, "Deployment")."""
from .backend import BACKENDS, BackendEdgeNet, BackendSession
from .deploy_mode import DeployHook, deploy_model, deploy_segmentor, fold_bn_channels_last
from .onnx_export import DEFAULT_OPSET, ONNXExportError, export_onnx
from .test_tool import apply_deploy_test_args

__all__ = [
    'BACKENDS', 'BackendEdgeNet', 'BackendSession', 'DeployHook', 'deploy_model', 'deploy_segmentor',
    'fold_bn_channels_last', 'DEFAULT_OPSET', 'ONNXExportError', 'export_onnx', 'apply_deploy_test_args'
]
