# Copyright (c) mmkd contributors. All rights reserved.
"""mmdet is optional: only the detection pieces of mmkd need it.

The segmentation and edge models need mmseg and mmrazor only. The detection pieces (``DenseDetectorDistill``,
``DenseDetectionDistiller``, the dense-head adapters, ``SOLOv2InstanceMaskDistillLoss``) import mmdet inside the
methods that use it, and check at build time that it is installed (:func:`require_mmdet`). So ``import mmkd.models``
works without mmdet and every class stays registered under its name; building a detection model without mmdet says
what to install instead of failing on the first mmdet import.
"""
import importlib
from typing import Optional, Tuple, Union

#: what the detection configs were written and tested against (requirements/det.txt)
MMDET_REQUIREMENT = 'mmdet==3.3.0'


def require_mmdet(owner: str) -> None:
    """Raise a clear ``ImportError`` when mmdet cannot be imported.

    Args:
        owner (str): the mmkd class that needs mmdet, named in the message.

    Raises:
        ImportError: ``mmkd's <owner> needs mmdet (pip install mmdet==3.3.0)``, chained to the original error.
    """
    try:
        importlib.import_module('mmdet')
    except ImportError as err:
        raise ImportError(f"mmkd's {owner} needs mmdet (pip install {MMDET_REQUIREMENT}); importing it failed: "
                          f'{err}') from err


class MMDetClassAttr:
    """A class attribute that holds an mmdet class, given by its dotted name and imported on first access.

    For class-level settings such as an adapter's ``head_types`` that would otherwise import mmdet when the module
    is imported. Reading it (on the class or an instance) without mmdet raises :func:`require_mmdet`'s message.
    A subclass may still assign a plain class or tuple instead.

    Args:
        name (str): dotted name, e.g. ``'mmdet.models.dense_heads.AnchorHead'``.
        as_tuple (bool): give ``(cls, )`` instead of ``cls`` (for ``isinstance`` tuples). Defaults to False.
    """

    def __init__(self, name: str, as_tuple: bool = False) -> None:
        module, _, attr = name.rpartition('.')
        if not module.startswith('mmdet.') or not attr:
            raise ValueError(f'MMDetClassAttr: {name!r} is not a dotted name inside mmdet (mmdet.<module>.<Class>).')
        self.module, self.attr, self.as_tuple = module, attr, as_tuple
        self.owner_name = 'an mmdet-dependent class'

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner_name = owner.__name__

    def __get__(self, instance: Optional[object], owner: Optional[type] = None) -> Union[type, Tuple[type, ...]]:
        require_mmdet(owner.__name__ if owner is not None else self.owner_name)
        cls = getattr(importlib.import_module(self.module), self.attr)  # cached by Python after the first import
        return (cls, ) if self.as_tuple else cls
