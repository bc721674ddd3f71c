# Copyright (c) mmkd contributors. All rights reserved.
"""Adapters between mmdet dense heads and detection distillation: per image and GT, the positives of the student
head's own assignment (indices into the level-concatenated (H, W, A) predictions) and the boxes a head predicts.

One small adapter per head family; :func:`adapter_for_head` picks it.
"""
from torch import nn

from .anchor_head_adapter import AnchorHeadAdapter
from .atss_head_adapter import ATSSHeadAdapter
from .base import DenseHeadAdapter, PositiveAssignment, flatten_level_outputs, imitation_masks
from .fcos_head_adapter import FCOSHeadAdapter
from .gfl_head_adapter import GFLHeadAdapter

#: most specific first: GFLHead and ATSSHead are AnchorHeads too
ADAPTERS = (GFLHeadAdapter, ATSSHeadAdapter, FCOSHeadAdapter, AnchorHeadAdapter)


def adapter_for_head(head: nn.Module) -> DenseHeadAdapter:
    """The adapter of ``head``'s family; a clear error for heads none supports (or that override their targets)."""
    for adapter in ADAPTERS:
        if adapter.supports(head):
            return adapter()
    raise TypeError(f'No detection-distillation adapter for {type(head).__name__}: supported are the mmdet heads '
                    f'{[t.__name__ for a in ADAPTERS for t in a.head_types]} (RetinaNet, FCOS, ATSS, GFL) with their '
                    f'own _get_targets_single; a subclass that changes the assignment needs its own adapter.')


__all__ = [
    'ADAPTERS', 'AnchorHeadAdapter', 'ATSSHeadAdapter', 'DenseHeadAdapter', 'FCOSHeadAdapter', 'GFLHeadAdapter',
    'PositiveAssignment', 'adapter_for_head', 'flatten_level_outputs', 'imitation_masks'
]
