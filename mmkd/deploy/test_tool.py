# Copyright (c) mmkd contributors. All rights reserved.
"""What ``tools/test.py --deploy`` and ``--backend onnxruntime|openvino`` change in a test config."""
from typing import Optional

from mmengine.config import Config, ConfigDict

from .backend import BACKENDS


def apply_deploy_test_args(cfg: Config, deploy: bool = False, backend: str = 'pytorch',
                           checkpoint: Optional[str] = None, num_threads: Optional[int] = None) -> None:
    """Edit ``cfg`` in place for a deploy-mode or exported-model test run.

    Args:
        cfg (Config): The test config (``cfg.load_from`` already set to ``checkpoint``).
        deploy (bool): Add :class:`~mmkd.deploy.DeployHook` (the PyTorch model switches to deploy mode after the
            checkpoint is loaded). Defaults to False.
        backend (str): ``'pytorch'`` (default), or ``'onnxruntime'`` / ``'openvino'``: the edge network is replaced
            by :class:`~mmkd.deploy.BackendEdgeNet` on ``checkpoint``, which is then the ``.onnx`` file (nothing
            is loaded into PyTorch). Data pipeline, preprocessing, ``EdgeDetector.predict`` and the evaluator stay.
        checkpoint (str, optional): The CHECKPOINT argument of tools/test.py.
        num_threads (int, optional): Backend intra-op threads. Defaults to None (the runtime's choice).

    Raises:
        ValueError: For an unknown backend, or a backend with a config whose model is not an ``EdgeDetector``.
    """
    if backend == 'pytorch':
        if deploy:
            cfg.custom_hooks = list(cfg.get('custom_hooks', None) or []) + [ConfigDict(type='mmkd.DeployHook')]
        return
    if backend not in BACKENDS:
        raise ValueError(f'--backend {backend!r}: use pytorch or one of {BACKENDS}')
    model_type = str(cfg.model.get('type', ''))
    if not model_type.endswith('EdgeDetector'):
        hint = ''
        if 'architecture' in cfg.model:
            hint = (' For a distillation config pass the student config '
                    f'({cfg.model.architecture.get("cfg_path", "architecture.cfg_path")}) with the exported student.')
        raise ValueError(f'--backend {backend} runs exported edge networks: {cfg.filename} builds {model_type}, not '
                         f'mmkd.EdgeDetector.{hint}')
    if checkpoint is None or not str(checkpoint).endswith('.onnx'):
        raise ValueError(f'--backend {backend}: CHECKPOINT must be the .onnx file written by '
                         f'tools/deployment/pytorch2onnx.py, got {checkpoint!r}')
    cfg.model.network = ConfigDict(type='mmkd.BackendEdgeNet', onnx_file=checkpoint, backend=backend,
                                   num_threads=num_threads)
    cfg.model.pop('deploy', None)  # the exported graph is already in deploy form
    cfg.load_from = None


__all__ = ['apply_deploy_test_args']
