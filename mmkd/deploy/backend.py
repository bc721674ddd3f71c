# Copyright (c) mmkd contributors. All rights reserved.
"""Inference on an exported ONNX file behind one interface: ONNX Runtime (default) or OpenVINO."""
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from mmkd.registry import MODELS

BACKENDS = ('onnxruntime', 'openvino')


class BackendSession:
    """An inference session on an ONNX file: ``run(images) -> list of arrays``, one per graph output.

    Args:
        onnx_file (str): The exported model (``tools/deployment/pytorch2onnx.py``).
        backend (str): ``'onnxruntime'`` (CPUExecutionProvider, all graph optimisations) or ``'openvino'`` (the
            ``openvino`` package, CPU device, fp32 inference precision forced). Defaults to ``'onnxruntime'``.
        num_threads (int, optional): Intra-op threads; None lets the runtime choose (all cores).
        memory_arena (bool): ONNX Runtime's CPU memory arena (keeps the largest activations allocated between calls:
            faster, but the process holds its peak). Defaults to True.
    """

    def __init__(self, onnx_file: str, backend: str = 'onnxruntime', num_threads: Optional[int] = None,
                 memory_arena: bool = True) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'unknown inference backend {backend!r}; use one of {BACKENDS}')
        if not osp.isfile(onnx_file):
            raise FileNotFoundError(f'ONNX file {onnx_file} does not exist; export one with '
                                    'tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out FILE.onnx')
        self.onnx_file = onnx_file
        self.backend = backend
        if backend == 'onnxruntime':
            try:
                import onnxruntime as ort
            except ImportError as err:
                raise ImportError('the onnxruntime backend needs `pip install onnxruntime` '
                                  '(requirements/runtime.txt)') from err
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.enable_cpu_mem_arena = bool(memory_arena)
            if num_threads is not None:
                options.intra_op_num_threads = int(num_threads)
                options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(onnx_file, options, providers=['CPUExecutionProvider'])
            self.input_name = self._session.get_inputs()[0].name
            self.output_names = [o.name for o in self._session.get_outputs()]
        else:
            try:
                import openvino as ov
            except ImportError as err:
                raise ImportError('the openvino backend needs `pip install openvino`') from err
            # fp32 like every other runtime here: OpenVINO's CPU default is bf16 where the CPU has AVX512-BF16/AMX
            # (it does here: 1.8e-3 max probability difference to PyTorch on the SO Model, beyond the 1e-4 parity)
            config = {'INFERENCE_PRECISION_HINT': 'f32'}
            if num_threads is not None:
                config['INFERENCE_NUM_THREADS'] = int(num_threads)
            self._compiled = ov.Core().compile_model(onnx_file, 'CPU', config)
            self.input_name = self._compiled.inputs[0].get_any_name()
            self.output_names = [o.get_any_name() for o in self._compiled.outputs]

    def run(self, images: np.ndarray) -> List[np.ndarray]:
        """Args: images (np.ndarray): float32 [N, 3, H, W]. Returns: list[np.ndarray]: the graph's outputs."""
        images = np.ascontiguousarray(images, dtype=np.float32)
        if self.backend == 'onnxruntime':
            return self._session.run(None, {self.input_name: images})
        result = self._compiled(images)
        return [np.asarray(result[output]) for output in self._compiled.outputs]


@MODELS.register_module()
class BackendEdgeNet(nn.Module):
    """An exported edge network as an ``EdgeDetector`` network: images [N, 3, H, W] → the ONNX file's logit maps
    ([N, 1, H, W] each, final last), so ``EdgeDetector``'s predict path (sigmoid, crop, multi-scale) and
    ``mmkd.EdgeMetric`` run unchanged on ONNX Runtime / OpenVINO (``tools/test.py --backend onnxruntime``).

    Args:
        onnx_file (str): File written by ``tools/deployment/pytorch2onnx.py`` for an edge config.
        backend (str): ``'onnxruntime'`` or ``'openvino'``. Defaults to ``'onnxruntime'``.
        num_threads (int, optional): Intra-op threads. Defaults to None (the runtime's choice).
    """

    def __init__(self, onnx_file: str, backend: str = 'onnxruntime', num_threads: Optional[int] = None) -> None:
        super().__init__()
        self.session = BackendSession(onnx_file, backend, num_threads)

    @property
    def num_outputs(self) -> int:
        return len(self.session.output_names)

    def forward(self, inputs: Tensor) -> List[Tensor]:
        outputs = self.session.run(inputs.detach().float().cpu().numpy())
        return [torch.from_numpy(np.asarray(o)).to(inputs.device) for o in outputs]


__all__ = ['BACKENDS', 'BackendSession', 'BackendEdgeNet']
