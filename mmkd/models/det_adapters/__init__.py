# Copyright (c) mmkd contributors. All rights reserved.
"""Adapters between mmdet dense heads and detection distillation: per image and GT, the positives of the student
head's own assignment (indices into the level-concatenated (H, W, A) predictions) and the boxes a head predicts.

One small adapter per head family, registered in mmkd's ``TASK_UTILS``. :func:`adapter_for_head` picks, among all
registered adapters (a user's own, registered from their project with ``custom_imports``, included), the one whose
head type is closest to the head's class; ``DenseDetectionDistiller(adapter=dict(type=...))`` overrides the choice.
:class:`DetDistillStepInputs` hands one step's inputs to the losses, computing each lazily.
"""
from typing import List, Optional, Union

from torch import nn

from mmkd.registry import TASK_UTILS
from .anchor_head_adapter import AnchorHeadAdapter
from .atss_head_adapter import ATSSHeadAdapter
from .base import DenseHeadAdapter, PositiveAssignment, flatten_level_outputs, imitation_masks
from .fcos_head_adapter import FCOSHeadAdapter
from .gfl_head_adapter import GFLHeadAdapter
from .step_inputs import STEP_INPUTS, DetDistillStepInputs


def registered_adapters() -> List[type]:
    """Every :class:`DenseHeadAdapter` subclass registered in mmkd's ``TASK_UTILS``."""
    return [cls for cls in TASK_UTILS.module_dict.values()
            if isinstance(cls, type) and issubclass(cls, DenseHeadAdapter)]


def _distance(adapter: type, head: nn.Module) -> int:
    """How far up the head's MRO the adapter's nearest head type is (0: the head's own class)."""
    mro = type(head).__mro__
    return min(mro.index(t) for t in adapter.head_types if t in mro)


def adapter_for_head(head: nn.Module) -> DenseHeadAdapter:
    """The adapter of ``head``'s family: the registered adapter that supports it with the most specific head type
    (GFLHead and ATSSHead are AnchorHeads too); a clear error for heads none supports."""
    candidates = [adapter for adapter in registered_adapters() if adapter.supports(head)]
    if not candidates:
        supported = sorted({t.__name__ for a in registered_adapters() for t in a.head_types})
        raise TypeError(f'No detection-distillation adapter for {type(head).__name__}: supported are the heads '
                        f'{supported} with their own _get_targets_single and loss_by_feat; a subclass that changes '
                        f'the assignment needs its own adapter (a DenseHeadAdapter registered in '
                        f'mmkd.registry.TASK_UTILS, given as DenseDetectionDistiller(adapter=dict(type=...))).')
    return min(candidates, key=lambda adapter: _distance(adapter, head))()


def build_adapter(cfg: Optional[Union[dict, str, DenseHeadAdapter]], head: nn.Module) -> DenseHeadAdapter:
    """``cfg`` (a ``TASK_UTILS`` config, a registered name or an instance) built and checked against ``head``; the
    automatic choice of :func:`adapter_for_head` when None."""
    if cfg is None:
        return adapter_for_head(head)
    if isinstance(cfg, str):
        cfg = dict(type=cfg)
    adapter = cfg if isinstance(cfg, DenseHeadAdapter) else TASK_UTILS.build(cfg)
    if not isinstance(adapter, DenseHeadAdapter):
        raise TypeError(f'DenseDetectionDistiller: adapter={cfg!r} built a {type(adapter).__name__}, not a '
                        f'mmkd.models.det_adapters.DenseHeadAdapter.')
    if not adapter.supports(head):
        raise TypeError(f'DenseDetectionDistiller: adapter {adapter.name} does not support {type(head).__name__} '
                        f'(it serves {[t.__name__ for t in adapter.head_types]} using their own '
                        f'_get_targets_single and loss_by_feat).')
    return adapter


__all__ = [
    'AnchorHeadAdapter', 'ATSSHeadAdapter', 'DenseHeadAdapter', 'DetDistillStepInputs', 'FCOSHeadAdapter',
    'GFLHeadAdapter', 'PositiveAssignment', 'STEP_INPUTS', 'adapter_for_head', 'build_adapter',
    'flatten_level_outputs', 'imitation_masks', 'registered_adapters'
]
