# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd: knowledge distillation for dense prediction, as an OpenMMLab plugin.

``import mmkd`` (or ``custom_imports=dict(imports=['mmkd'])`` in a config) applies the compat layer for the pinned
stack (:mod:`mmkd.utils.compat`) and registers every mmkd module in the ``mmkd`` scope.
"""
from .utils.compat import apply_compat

# Before anything imports mmrazor: its quantization package cannot import on torch 2.x without the stub.
apply_compat()

from . import datasets, deploy, engine, evaluation, models  # noqa: E402,F401
from .version import __version__, version_info  # noqa: E402

__all__ = ['__version__', 'version_info']
