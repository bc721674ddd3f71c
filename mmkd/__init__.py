# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd: knowledge distillation for dense prediction, as an OpenMMLab plugin.

``import mmkd`` (or ``custom_imports=dict(imports=['mmkd'])`` in a config) does two things only:

1. it applies the compat layer for the pinned stack (:mod:`mmkd.utils.compat`), which among others replaces
   mmengine's checkpoint loading by a ``weights_only=True`` allow-list loader (extend it with
   :func:`mmkd.utils.add_safe_globals`);
2. it creates mmkd's registries (:mod:`mmkd.registry`).

It imports neither mmseg's, mmdet's nor mmrazor's models: mmkd's modules are imported when a build first asks a
registry for an ``mmkd.X`` name (the registries' ``locations``), when code imports them (``from mmkd.models import
...``), by attribute access (``mmkd.models``), or all at once by :func:`mmkd.utils.register_all_modules`. A
segmentation user's ``import mmkd`` therefore does not load mmdet (mmseg's and mmrazor's own model packages do import
it when it is installed, so building a distiller may). ``mmkd.models`` itself needs no mmdet: the detection classes
import it when they are built and say ``pip install mmdet`` when it is missing.
"""
import importlib
from types import ModuleType

from .utils.compat import apply_compat

# Before anything imports mmrazor: its quantization package cannot import on torch 2.x without the stub.
apply_compat()

from . import registry  # noqa: E402,F401
from .version import __version__, version_info  # noqa: E402

# Subpackages imported on first attribute access (PEP 562), so that ``import mmkd`` stays free of mmdet.
_LAZY_SUBPACKAGES = ('datasets', 'deploy', 'engine', 'evaluation', 'models', 'testing')


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY_SUBPACKAGES:
        return importlib.import_module(f'.{name}', __name__)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = ['__version__', 'version_info']
