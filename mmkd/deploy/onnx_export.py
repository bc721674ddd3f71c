# Copyright (c) mmkd contributors. All rights reserved.
"""ONNX export of the edge networks (RCF, HED, Model, SO Model) and of mmseg segmentors (the segmentation students).

The graph is the deploy form (:mod:`mmkd.deploy.deploy_mode`: re-orderings, BN folded). Export uses PyTorch's
TorchScript-based exporter (``torch.onnx.export(..., dynamo=False)``): on these models it needs no extra package
(the dynamo exporter needs ``onnxscript``) and took 1.3 s instead of 23 s for the SO Model here; dynamic height and
width work with it because the networks resize to ``inputs.shape`` (traced as shape ops).

- Edge networks are fully convolutional: dynamic batch/height/width by default. Outputs: ``logits`` (the final /
  fused map, [N, 1, H, W]) or, with ``outputs='all'``, ``side1`` … ``sideK`` then ``logits``. Probabilities are
  ``sigmoid(logits)`` (``tools/test.py --backend onnxruntime`` applies it, as ``EdgeDetector.predict`` does).
- Segmentors export at a fixed input size only: PSPNet's pyramid pooling (adaptive pooling) is traced into pools
  whose kernels fit the export size, so another size would run with wrong kernels. Output ``seg_logits``
  [N, K, H, W] (the decode head resized to the input size; softmax gives the probabilities).
"""
import os
import os.path as osp
import warnings
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

DEFAULT_OPSET = 17


class ONNXExportError(RuntimeError):
    """An export that cannot work (unsupported model or operator); the message says what to change."""


class EdgeExportWrapper(nn.Module):
    """Edge network → ``logits`` (final output) or all outputs (side outputs first, ``logits`` last)."""

    def __init__(self, network: nn.Module, all_outputs: bool = False) -> None:
        super().__init__()
        self.network = network
        self.all_outputs = all_outputs

    def forward(self, inputs: Tensor):
        outputs = self.network(inputs)
        return tuple(outputs) if self.all_outputs else outputs[-1]


class SegmentorExportWrapper(nn.Module):
    """mmseg ``EncoderDecoder`` → ``seg_logits`` [N, K, H, W]: decode head on the backbone (+ neck) features,
    bilinearly resized to the input size (what ``encode_decode`` does for an un-padded image)."""

    def __init__(self, segmentor: nn.Module) -> None:
        super().__init__()
        self.segmentor = segmentor

    def forward(self, inputs: Tensor) -> Tensor:
        logits = self.segmentor.decode_head(self.segmentor.extract_feat(inputs))
        return F.interpolate(logits, size=inputs.shape[-2:], mode='bilinear',
                             align_corners=self.segmentor.decode_head.align_corners)


def unsupported_model_message(model: nn.Module, source: str = 'the model') -> str:
    return (f'cannot export {source} (type {type(model).__name__}) to ONNX: supported are mmkd.EdgeDetector '
            '(RCF, HED, MobileNetV2EdgeNet: Model / SO Model) and mmseg EncoderDecoder segmentors. For a distillation '
            'config, export its student config (the architecture.cfg_path of the algorithm) with the trained student '
            'checkpoint.')


def model_kind(model: nn.Module, source: str = 'the model') -> str:
    """``'edge'`` (an ``EdgeDetector``) or ``'segmentor'`` (an mmseg ``EncoderDecoder``); raises for other models."""
    from mmseg.models.segmentors import EncoderDecoder

    from mmkd.models.edge import EdgeDetector
    if isinstance(model, EdgeDetector):
        return 'edge'
    if isinstance(model, EncoderDecoder):
        return 'segmentor'
    raise ONNXExportError(unsupported_model_message(model, source))


def export_wrapper(model: nn.Module, outputs: str = 'final', source: str = 'the model') -> Tuple[nn.Module, str]:
    """The deploy-form module to trace and its kind (``'edge'`` or ``'segmentor'``); raises for other models."""
    from .deploy_mode import fold_bn_channels_last
    if outputs not in ('final', 'all'):
        raise ValueError(f'outputs must be "final" or "all", got {outputs!r}')
    kind = model_kind(model, source)
    if kind == 'edge':
        if model.scales != (1.0, ):
            warnings.warn(f'EdgeDetector test_cfg.scales={model.scales}: the ONNX graph is single-scale; '
                          'tools/test.py --backend onnxruntime averages the scales around it')
        network = model.network
        network.eval()
        if hasattr(network, 'switch_to_deploy'):
            network.switch_to_deploy()
        fold_bn_channels_last(network)
        network.to(memory_format=torch.contiguous_format)  # ONNX has one layout; the runtime picks its own
        return EdgeExportWrapper(network, all_outputs=outputs == 'all').eval(), 'edge'
    if outputs != 'final':
        raise ValueError('segmentors have one output (seg_logits); drop outputs="all"')
    fold_bn_channels_last(model).to(memory_format=torch.contiguous_format)
    return SegmentorExportWrapper(model).eval(), 'segmentor'


def output_names(wrapper: nn.Module, kind: str, dummy: Tensor) -> List[str]:
    if kind == 'segmentor':
        return ['seg_logits']
    if not wrapper.all_outputs:
        return ['logits']
    with torch.no_grad():
        count = len(wrapper(dummy))
    return [f'side{k + 1}' for k in range(count - 1)] + ['logits']


def export_onnx(model: nn.Module,
                out_file: str,
                shape: Sequence[int] = (512, 512),
                dynamic: Optional[bool] = None,
                outputs: str = 'final',
                opset: int = DEFAULT_OPSET,
                source: str = 'the model') -> List[str]:
    """Export ``model`` (modified in place: deploy form) to ``out_file``.

    Args:
        model (nn.Module): An ``EdgeDetector`` or an mmseg ``EncoderDecoder``, weights loaded.
        out_file (str): Output ``.onnx`` path (folders are created).
        shape (Sequence[int]): (H, W) of the dummy input traced; for segmentors the only size the file accepts.
            Defaults to (512, 512).
        dynamic (bool, optional): Dynamic batch, height and width. Defaults to None: True for edge networks,
            False for segmentors (which refuse True).
        outputs (str): ``'final'`` (default) or ``'all'`` (edge networks: side outputs too).
        opset (int): ONNX opset. Defaults to 17.
        source (str): What the model came from (a config path), for error messages.

    Returns:
        list[str]: The graph's output names.

    Raises:
        ONNXExportError: For an unsupported model, ``dynamic=True`` on a segmentor, or an operator the exporter
            cannot convert (the message names it and what to try).
    """
    if len(shape) != 2 or any(int(s) < 1 for s in shape):
        raise ValueError(f'shape must be (H, W) with positive sides, got {tuple(shape)!r}')
    wrapper, kind = export_wrapper(model, outputs, source)
    if dynamic is None:
        dynamic = kind == 'edge'
    if dynamic and kind == 'segmentor':
        raise ONNXExportError(f'{source}: segmentors export at a fixed size only (adaptive pooling and fixed '
                              'resizes are traced for the export size); drop --dynamic and give --shape H W')
    dummy = torch.randn(1, 3, int(shape[0]), int(shape[1]))
    names = output_names(wrapper, kind, dummy)
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {name: {0: 'batch', 2: 'height', 3: 'width'} for name in ['input'] + names}
    out_dir = osp.dirname(osp.abspath(out_file))
    os.makedirs(out_dir, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # tracer warnings about shape-dependent Python values
            torch.onnx.export(wrapper, (dummy, ), out_file, input_names=['input'], output_names=names,
                              dynamic_axes=dynamic_axes, opset_version=opset, do_constant_folding=True,
                              dynamo=False)
    except torch.onnx.errors.OnnxExporterError as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ONNXExportError(
            f'{source}: ONNX export failed at opset {opset}: {first_line}. An operator of the model has no ONNX '
            'conversion here: try another --opset, a fixed --shape whose feature maps the pooling bins divide, or '
            'replace the operator in the model.') from err
    return names


__all__ = ['DEFAULT_OPSET', 'ONNXExportError', 'EdgeExportWrapper', 'SegmentorExportWrapper', 'export_onnx',
           'export_wrapper', 'model_kind', 'unsupported_model_message']
