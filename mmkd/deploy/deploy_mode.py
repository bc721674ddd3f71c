# Copyright (c) mmkd contributors. All rights reserved.
"""Deploy mode for CPU inference: algebraic re-orderings, BatchNorm folded into convs, channels_last, inference_mode.

One API call, :func:`deploy_model`, for every model mmkd tests: an :class:`~mmkd.models.edge.EdgeDetector`
(its ``switch_to_deploy``), an mmseg segmentor (:func:`deploy_segmentor`) or an mmrazor distillation algorithm (its
student, which is what predicts). ``tools/test.py --deploy`` applies it through :class:`DeployHook` after the
checkpoint is loaded; an edge config can also say ``model = dict(deploy=True)``.
"""
import types
from typing import Any

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, fuse_conv_bn
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


def fold_bn_channels_last(module: nn.Module) -> nn.Module:
    """Eval mode, every BatchNorm that follows a conv folded into it (mmcv's ``fuse_conv_bn``: w' = w·γ/σ,
    b' = (b − μ)·γ/σ + β, the BN replaced by ``nn.Identity``), parameters in ``channels_last``; in place.

    Returns:
        nn.Module: ``module`` itself.
    """
    module.eval()
    for child in module.modules():  # folded BNs become nn.Identity: the per-call folding must not look for them
        if isinstance(child, ConvModule):
            child.turn_on_efficient_conv_bn_eval(False)
    fuse_conv_bn(module)
    return module.to(memory_format=torch.channels_last)


def deploy_segmentor(model: nn.Module) -> nn.Module:
    """Deploy mode for an mmseg segmentor (e.g. PSPNet-R18, DeepLabV3+-MobileNetV2 students): BN folded,
    ``channels_last``, and its ``predict`` / ``_forward`` run under ``torch.inference_mode`` with ``channels_last``
    inputs. In place and irreversible (inference only); returns the model.
    """
    if getattr(model, 'mmkd_deployed', False):
        return model
    fold_bn_channels_last(model)
    for name in ('predict', '_forward'):
        method = getattr(model, name, None)
        if method is None:
            continue

        def wrapped(self, inputs, *args, _original=method, **kwargs):
            with torch.inference_mode():
                return _original(inputs.contiguous(memory_format=torch.channels_last), *args, **kwargs)

        setattr(model, name, types.MethodType(wrapped, model))
    model.mmkd_deployed = True
    return model


def deploy_model(model: Any) -> nn.Module:
    """Switch a model to deploy mode in place (see the module docstring) and return the module that predicts.

    Args:
        model: An ``EdgeDetector``, an mmseg ``BaseSegmentor``, an mmrazor algorithm with an ``architecture``
            (the student is deployed), or a model wrapper around one of them.

    Raises:
        TypeError: For any other model, naming its type.
    """
    from mmseg.models.segmentors import BaseSegmentor

    from mmkd.models.edge import EdgeDetector
    if is_model_wrapper(model):
        model = model.module
    if isinstance(model, EdgeDetector):
        return model.switch_to_deploy()
    if isinstance(model, BaseSegmentor):
        return deploy_segmentor(model)
    architecture = getattr(model, 'architecture', None)
    if isinstance(architecture, (EdgeDetector, BaseSegmentor)):  # mmrazor distillation: the student predicts
        deploy_model(architecture)
        return model
    raise TypeError(f'deploy mode supports mmkd.EdgeDetector, mmseg segmentors and mmrazor algorithms around them; '
                    f'got {type(model).__name__}')


@HOOKS.register_module()
class DeployHook(Hook):
    """Switch the runner's model to deploy mode before testing (after ``load_from`` was loaded); what
    ``tools/test.py --deploy`` adds to ``custom_hooks``. Test only: the switch is irreversible."""

    priority = 'VERY_LOW'

    def before_test(self, runner) -> None:
        deploy_model(runner.model)


__all__ = ['fold_bn_channels_last', 'deploy_segmentor', 'deploy_model', 'DeployHook']
