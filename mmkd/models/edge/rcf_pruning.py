# Copyright (c) mmkd contributors. All rights reserved.
"""Channel pruning of RCF's VGG16 trunk (He, Zhang, Sun, ICCV 2017) and the pruned model's config.

Every trunk conv ``conv{s}_{i}`` is a producer: its output feeds the next trunk conv (through ReLU, and a pool at a
stage end) and RCF's side conv ``conv_down.{s-1}.{i-1}`` (1×1 → 21 channels). The next trunk conv is the consumer
whose reconstruction selects the channels (LASSO) and is refit; the side conv loses the same input channels and is
refit by least squares to its original output. conv5_3 has no next trunk conv: its side conv is its consumer.
The widths of the result are ``EdgeVGG16(channels=...)`` (13 ints), which :func:`pruned_rcf_config` writes.
"""
from typing import Callable, Dict, Iterable, List, Optional, Union

from torch import Tensor

from ..task_modules.pruning import LayerPruningReport, PruningStep, prune_channels_layer_by_layer
from .rcf import RCF
from .vgg16 import EdgeVGG16

# The 2020 edge-detection article ("Accuracy and runtime tradeoff in modern edge detection algorithms") gives no
# ratio, only "≈2.8× faster" for its pruned RCF. Keeping 60 % of every trunk conv's outputs
# leaves 0.36 of the interior convs' multiply-adds: 2.7× fewer FLOPs (measured by benchmarks/edge_speed.py).
DEFAULT_KEEP_RATIO = 0.6


def rcf_conv_names(rcf: RCF) -> List[str]:
    """``conv1_1`` … ``conv5_3`` of the trunk, in network order."""
    return [name for names in rcf.backbone.stage_conv_names for name in names]


def _check_rcf(rcf: RCF) -> None:
    if not isinstance(rcf, RCF) or not isinstance(rcf.backbone, EdgeVGG16):
        raise TypeError(f'expected an RCF on an EdgeVGG16 trunk, got {type(rcf).__name__} '
                        f'(backbone {type(getattr(rcf, "backbone", None)).__name__})')


def rcf_pruning_steps(rcf: RCF, keep_ratio: Union[float, Dict[str, float]] = DEFAULT_KEEP_RATIO) -> List[PruningStep]:
    """One :class:`PruningStep` per trunk conv whose keep ratio is below 1.

    Args:
        rcf (RCF): The network.
        keep_ratio (float | dict[str, float]): Fraction of each conv's output channels kept: one value for all, or
            per conv name (``{'conv1_1': 0.8, ...}``; convs not named keep every channel). Defaults to 0.6.

    Returns:
        list[PruningStep]: Steps with module names relative to ``rcf``.
    """
    _check_rcf(rcf)
    names = rcf_conv_names(rcf)
    if isinstance(keep_ratio, dict):
        unknown = sorted(set(keep_ratio) - set(names))
        if unknown:
            raise ValueError(f'keep_ratio names unknown convs {unknown}; RCF trunk convs are {names}')
        ratios = {name: float(keep_ratio.get(name, 1.0)) for name in names}
    else:
        ratios = {name: float(keep_ratio) for name in names}
    for name, ratio in ratios.items():
        if not 0 < ratio <= 1:
            raise ValueError(f'keep ratio of {name} must be in (0, 1], got {ratio}')
    side_names = {}
    for stage, stage_names in enumerate(rcf.backbone.stage_conv_names):
        for index, name in enumerate(stage_names):
            side_names[name] = f'conv_down.{stage}.{index}'
    steps = []
    for position, name in enumerate(names):
        width = getattr(rcf.backbone, name).out_channels
        num_keep = max(1, int(round(ratios[name] * width)))
        if num_keep == width:
            continue
        if position + 1 < len(names):
            steps.append(PruningStep(f'backbone.{name}', f'backbone.{names[position + 1]}', num_keep,
                                     [side_names[name]]))
        else:  # the last trunk conv feeds only its side conv
            steps.append(PruningStep(f'backbone.{name}', side_names[name], num_keep))
    return steps


def prune_rcf(rcf: RCF,
              batches: Callable[[], Iterable[Tensor]],
              keep_ratio: Union[float, Dict[str, float]] = DEFAULT_KEEP_RATIO,
              positions_per_image: int = 10,
              seed: int = 0,
              logger: Optional[str] = 'current') -> List[LayerPruningReport]:
    """Channel-prune an RCF in place (see the module docstring) and update its trunk's width attributes.

    Args:
        rcf (RCF): The network, modified in place.
        batches (Callable[[], Iterable[Tensor]]): Returns the image batches [N, 3, H, W] (normalised as the model
            expects) to sample, once per layer.
        keep_ratio (float | dict[str, float]): See :func:`rcf_pruning_steps`. Defaults to 0.6.
        positions_per_image (int): Positions sampled per image and layer. Defaults to 10 (the paper's).
        seed (int): Sampling seed. Defaults to 0.
        logger (str, optional): mmengine logger. Defaults to 'current'.

    Returns:
        list[LayerPruningReport]: Per-layer reports.
    """
    steps = rcf_pruning_steps(rcf, keep_ratio)
    reports = prune_channels_layer_by_layer(rcf, steps, batches, positions_per_image, seed, logger)
    trunk = rcf.backbone
    trunk.conv_channels = [[getattr(trunk, name).out_channels for name in names] for names in trunk.stage_conv_names]
    trunk.stage_channels = [widths[-1] for widths in trunk.conv_channels]
    return reports


def rcf_channels(rcf: RCF) -> List[int]:
    """The 13 trunk widths, as ``EdgeVGG16(channels=...)`` takes them."""
    _check_rcf(rcf)
    return [getattr(rcf.backbone, name).out_channels for name in rcf_conv_names(rcf)]


def pruned_rcf_config(base_config: str, rcf: RCF, checkpoint: str, network_key: str = 'network') -> str:
    """Text of a config that inherits ``base_config`` and builds the pruned widths, fine-tuning from ``checkpoint``.

    The trunk is written out in full (``_delete_``) so that a ``Pretrained`` ``init_cfg`` of the unpruned trunk
    cannot load mismatching weights; ``init_cfg`` of the network and model are cleared for the same reason
    (``load_from`` brings the pruned weights).

    Args:
        base_config (str): Path of the original RCF config (absolute, or ``mmkd::...``).
        rcf (RCF): The pruned network.
        checkpoint (str): Path of the pruned checkpoint (state dict of the whole model).
        network_key (str): Key of the RCF inside ``model``. Defaults to 'network' (:class:`EdgeDetector`).

    Returns:
        str: The config file's text.
    """
    trunk = rcf.backbone
    backbone = dict(
        _delete_=True, type='mmkd.EdgeVGG16', pool4_stride=trunk.pool4_stride, pool4_kernel=trunk.pool4_kernel,
        conv5_dilation=trunk.conv5_dilation, pool_ceil_mode=trunk.pool_ceil_mode,
        in_channels=trunk.conv1_1.in_channels, channels=rcf_channels(rcf))
    backbone_text = ',\n            '.join(f'{key}={value!r}' for key, value in backbone.items())
    return (f'# Channel-pruned RCF written by tools/pruning/prune_rcf.py (He et al., ICCV 2017): the trunk widths\n'
            f'# below, weights in load_from; fine-tune with tools/train.py like any other config.\n'
            f'_base_ = [{base_config!r}]\n'
            f'model = dict(\n'
            f'    init_cfg=None,\n'
            f'    {network_key}=dict(\n'
            f'        init_cfg=None,\n'
            f'        backbone=dict(\n'
            f'            {backbone_text})))\n'
            f'load_from = {checkpoint!r}\n')


__all__ = [
    'DEFAULT_KEEP_RATIO', 'rcf_conv_names', 'rcf_pruning_steps', 'prune_rcf', 'rcf_channels', 'pruned_rcf_config'
]
