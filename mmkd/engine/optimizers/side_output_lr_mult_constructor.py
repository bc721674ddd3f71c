# Copyright (c) mmkd contributors. All rights reserved.
"""Caffe-style per-layer learning-rate multipliers of HED and RCF, derived from the networks' structure."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mmkd.registry import OPTIM_WRAPPER_CONSTRUCTORS

# The values of RCF's official Caffe solver (the prototxt's lr_mult per layer); HED's (Xie & Tu, ICCV 2015) are the
# same for the layers it has (conv5 ×100, 1-channel side convs ×0.01, fuse ×0.001, biases ×2 without decay).
DEFAULT_MULTS = dict(
    stage_lr_mults=(1.0, 1.0, 1.0, 1.0, 100.0),
    side_lr_mult=0.1,
    score_lr_mult=0.01,
    fuse_lr_mult=0.001,
    bias_lr_mult=2.0,
    bias_decay_mult=0.0)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SideOutputLrMultOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Per-layer lr multipliers of side-output edge networks (:class:`~mmkd.models.edge.RCF`,
    :class:`~mmkd.models.edge.HED`), as their Caffe solvers set them.

    Every parameter falls in exactly one group, found from the network's modules (not from parameter names):

    - trunk stage :math:`k` (the convs in ``backbone.stage_conv_names[k]``, VGG16's conv1_x … conv5_x):
      ``stage_lr_mults[k]``;
    - RCF's per-conv 21-channel 1×1 side convs (``conv_down``): ``side_lr_mult``;
    - the 1-channel side-output convs (RCF's ``score``, HED's ``side_convs``): ``score_lr_mult``;
    - the 1×1 fuse conv over the 5 side outputs: ``fuse_lr_mult``.

    For a conv of group multiplier :math:`m` and base lr / weight decay :math:`\\eta, \\lambda` (the optimizer's):

    .. math::
        \\eta_W = \\eta\\,m,\\quad \\lambda_W = \\lambda,\\qquad
        \\eta_b = \\eta\\,(\\mathrm{bias\\_lr\\_mult}\\cdot m),\\quad
        \\lambda_b = \\lambda\\,\\mathrm{bias\\_decay\\_mult}.

    Each parameter gets its own param group, in ``model.named_parameters()`` order, as mmengine's
    :class:`DefaultOptimWrapperConstructor` makes them; so the groups (and an optimizer state saved with mmengine's
    ``paramwise_cfg.custom_keys`` tables these replace) line up one to one. Parameters with ``requires_grad=False``
    are skipped with a warning, as mmengine does.

    Use in a config (the multipliers go in ``paramwise_cfg``; every key is optional, defaults in brackets)::

        optim_wrapper = dict(
            constructor='mmkd.SideOutputLrMultOptimWrapperConstructor',
            paramwise_cfg=dict(stage_lr_mults=(1, 1, 1, 1, 100), side_lr_mult=0.1, score_lr_mult=0.01,
                               fuse_lr_mult=0.001, bias_lr_mult=2.0, bias_decay_mult=0.0))

    Args:
        optim_wrapper_cfg (dict): The optim wrapper config (``optimizer`` with ``lr``, and ``weight_decay`` unless
            there is none).
        paramwise_cfg (dict, optional): The multipliers:

            - ``stage_lr_mults`` (Sequence[float]): one per trunk stage. Defaults to (1, 1, 1, 1, 100).
            - ``side_lr_mult`` (float): RCF's 21-channel per-conv side convs (HED has none: setting it for HED
              is an error). Defaults to 0.1.
            - ``score_lr_mult`` (float): the 1-channel side-output convs. Defaults to 0.01.
            - ``fuse_lr_mult`` (float): the fuse conv. Defaults to 0.001.
            - ``bias_lr_mult`` (float): applied on top of the group's multiplier to every bias. Defaults to 2.0.
            - ``bias_decay_mult`` (float): weight-decay multiplier of every bias. Defaults to 0.0.

            Defaults to None (all defaults: RCF's Caffe solver).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        super().__init__(optim_wrapper_cfg, None)
        name = type(self).__name__
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(paramwise_cfg) - set(DEFAULT_MULTS))
        if unknown:
            raise ValueError(f'{name}: unknown paramwise_cfg keys {unknown}; it takes {sorted(DEFAULT_MULTS)} '
                             f'(for name-based custom_keys use mmengine\'s DefaultOptimWrapperConstructor)')
        cfg = dict(DEFAULT_MULTS, **paramwise_cfg)
        stage_mults = cfg['stage_lr_mults']
        if isinstance(stage_mults, (str, bytes)) or not isinstance(stage_mults, Sequence) or not all(
                _is_number(m) for m in stage_mults):
            raise TypeError(f'{name}: paramwise_cfg.stage_lr_mults must be a sequence of numbers (one per trunk '
                            f'stage), got {stage_mults!r}')
        for key in ('side_lr_mult', 'score_lr_mult', 'fuse_lr_mult', 'bias_lr_mult', 'bias_decay_mult'):
            if not _is_number(cfg[key]) or cfg[key] < 0:
                raise ValueError(f'{name}: paramwise_cfg.{key} must be a number >= 0, got {cfg[key]!r}')
        if any(m < 0 for m in stage_mults):
            raise ValueError(f'{name}: paramwise_cfg.stage_lr_mults must be >= 0, got {stage_mults!r}')
        if self.base_lr is None:
            raise ValueError(f'{name}: optim_wrapper.optimizer needs an explicit lr for the multipliers to scale')
        cfg['stage_lr_mults'] = tuple(float(m) for m in stage_mults)
        # Non-empty, so mmengine's __call__ always goes through add_params below.
        self.paramwise_cfg = cfg
        self._given = set(paramwise_cfg)

    def _groups(self, model: nn.Module) -> Dict[int, Tuple[str, float, bool]]:
        """id(parameter) -> (group name, group lr multiplier, is a bias), from the network's modules."""
        from mmkd.models.edge.hed import HED
        from mmkd.models.edge.rcf import RCF
        name = type(self).__name__
        network = getattr(model, 'network', model)  # mmkd.EdgeDetector wraps the network
        if not isinstance(network, (RCF, HED)):
            raise TypeError(f'{name} knows mmkd.RCF and mmkd.HED (alone or as model.network of mmkd.EdgeDetector), '
                            f'got {type(network).__name__}; for other networks use mmengine\'s '
                            f'DefaultOptimWrapperConstructor with paramwise_cfg.custom_keys')
        cfg = self.paramwise_cfg
        convs: List[Tuple[str, nn.Module, float]] = []
        stage_names = getattr(network.backbone, 'stage_conv_names', None)
        if stage_names is None or len(stage_names) != len(cfg['stage_lr_mults']):
            raise ValueError(f'{name}: paramwise_cfg.stage_lr_mults has {len(cfg["stage_lr_mults"])} values but the '
                             f'trunk {type(network.backbone).__name__} has '
                             f'{"no stage_conv_names" if stage_names is None else f"{len(stage_names)} stages"}')
        for stage, (names, mult) in enumerate(zip(stage_names, cfg['stage_lr_mults']), start=1):
            convs += [(f'trunk stage {stage}', getattr(network.backbone, conv_name), mult) for conv_name in names]
        if isinstance(network, RCF):
            convs += [('side', conv, cfg['side_lr_mult']) for stage in network.conv_down for conv in stage]
            convs += [('score', conv, cfg['score_lr_mult']) for conv in network.score]
        else:
            if 'side_lr_mult' in self._given:  # it would have no effect: say so rather than ignore it
                raise ValueError(f'{name}: HED has no 21-channel side convs, so paramwise_cfg.side_lr_mult does '
                                 f'nothing; its 1-channel side convs take score_lr_mult')
            convs += [('score', conv, cfg['score_lr_mult']) for conv in network.side_convs]
        convs.append(('fuse', network.fuse, cfg['fuse_lr_mult']))
        groups = {}
        for group, conv, mult in convs:
            groups[id(conv.weight)] = (group, mult, False)
            if conv.bias is not None:
                groups[id(conv.bias)] = (group, mult, True)
        return groups

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '', **kwargs) -> None:
        """One param group per parameter of ``module`` with its lr and weight decay (see the class docstring).

        Raises:
            TypeError: ``module`` is neither RCF nor HED (nor an EdgeDetector around one).
            ValueError: a trainable parameter is in none of the groups (e.g. a module added to the network).
        """
        groups = self._groups(module)
        cfg = self.paramwise_cfg
        outside = []
        for name, param in module.named_parameters(prefix=prefix):
            if not param.requires_grad:
                print_log(f'{name} is skipped since its requires_grad=False', logger='current', level=logging.WARNING)
                continue
            if id(param) not in groups:
                outside.append(name)
                continue
            _, mult, is_bias = groups[id(param)]
            group = dict(params=[param])
            # bias: base_lr * (bias_lr_mult * mult), the product mmengine's custom_keys tables wrote as one lr_mult
            group['lr'] = self.base_lr * (cfg['bias_lr_mult'] * mult if is_bias else mult)
            if self.base_wd is not None:
                group['weight_decay'] = self.base_wd * (cfg['bias_decay_mult'] if is_bias else 1.0)
            params.append(group)
        if outside:
            raise ValueError(f'{type(self).__name__}: parameters {outside} fall in no lr-multiplier group (trunk '
                             f'stage convs, side convs, score convs, fuse conv); give them a group here or use '
                             f'mmengine\'s DefaultOptimWrapperConstructor')


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


__all__ = ['SideOutputLrMultOptimWrapperConstructor', 'DEFAULT_MULTS']
