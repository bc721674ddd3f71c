# Copyright (c) mmkd contributors. All rights reserved.
"""Values that a distillation config reads from the built student and teacher instead of retyping them.

An mmengine base file cannot read a sibling base's variables, so before this module every segmentation row retyped its
pair's class count and feature widths into its losses, connectors and discriminator. Now a config writes a
*model reference* — a string ``'@student.num_classes'``, ``'@teacher.feat_channels'``, ... — and the distillation
algorithm (:class:`~mmkd.models.algorithms.CheckedSingleTeacherDistill` and its subclasses) builds the two models
first, then replaces every reference in the distiller (and discriminator) config by the built model's value:

================================  =============================================================================
reference                         value
================================  =============================================================================
``@student.num_classes``          classes the student predicts (:func:`num_predicted_classes`)
``@teacher.num_classes``          classes the teacher predicts
``@student.feat_channels``        width of the student decode head's penultimate features (``conv_seg`` input)
``@teacher.feat_channels``        the same for the teacher
================================  =============================================================================

A reference that the models cannot answer (an unknown name, or a model without a decode head) is a build-time error
that lists the references the two models do answer.
"""
import re
from typing import Any, Dict, Optional

from torch import nn

MODEL_REFERENCE = re.compile(r'^@(student|teacher)\.([A-Za-z_][A-Za-z0-9_]*)$')


def num_predicted_classes(model: nn.Module) -> Optional[int]:
    """Number of classes a dense-prediction model predicts, or None if it has no known head.

    Looks at the heads of mmseg segmentors (``decode_head``), mmdet one-stage detectors (``bbox_head``), two-stage
    detectors (``roi_head.bbox_head``) and single-stage instance segmentors (``mask_head``), then at the model's own
    ``num_classes`` (``mmkd.EdgeDetector``: 1).
    """
    for path in ('decode_head', 'bbox_head', 'roi_head.bbox_head', 'mask_head'):
        module = model
        for name in path.split('.'):
            module = getattr(module, name, None)
            if module is None:
                break
        if module is not None and hasattr(module, 'num_classes'):
            return int(module.num_classes)
    if isinstance(getattr(model, 'num_classes', None), int):  # models without a head that state it (EdgeDetector)
        return int(model.num_classes)
    return None


def decode_feature_channels(model: nn.Module) -> Optional[int]:
    """Width of the penultimate decode-head features of an mmseg segmentor (``decode_head.conv_seg.in_channels``).

    Those are the features the segmentation recorders call ``feats`` (the inputs of ``conv_seg``). None for a model
    without an mmseg decode head.
    """
    conv_seg = getattr(getattr(model, 'decode_head', None), 'conv_seg', None)
    in_channels = getattr(conv_seg, 'in_channels', None)
    return int(in_channels) if isinstance(in_channels, int) else None


def model_values(student: nn.Module, teacher: nn.Module) -> Dict[str, int]:
    """The references a student/teacher pair answers, e.g. ``{'@student.num_classes': 19, ...}``."""
    values: Dict[str, int] = {}
    for role, model in (('student', student), ('teacher', teacher)):
        for name, value in (('num_classes', num_predicted_classes(model)),
                            ('feat_channels', decode_feature_channels(model))):
            if value is not None:
                values[f'@{role}.{name}'] = value
    return values


def resolve_model_references(cfg: Any, values: Dict[str, int], where: str = 'config') -> Any:
    """Return a copy of ``cfg`` (dicts, lists and tuples, nested) with every model reference replaced by its value.

    Args:
        cfg (Any): a config (``dict``/``ConfigDict``, list, tuple or a plain value).
        values (dict[str, int]): what :func:`model_values` returns.
        where (str): where ``cfg`` sits in the model config, for the error message. Defaults to ``'config'``.

    Raises:
        KeyError: a reference the models do not answer (names it, its place, and the references available).
    """
    if isinstance(cfg, dict):
        resolved = type(cfg)() if type(cfg) is not dict else {}
        for key, value in cfg.items():
            resolved[key] = resolve_model_references(value, values, f'{where}.{key}')
        return resolved
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(resolve_model_references(value, values, f'{where}[{i}]') for i, value in enumerate(cfg))
    if isinstance(cfg, str) and MODEL_REFERENCE.match(cfg):
        if cfg not in values:
            raise KeyError(f'{where} = {cfg!r}: the built models do not answer this reference. Available: '
                           f'{", ".join(sorted(values)) or "none (neither model has a known head)"}. Write the value '
                           f'itself, or use one of these.')
        return values[cfg]
    return cfg
