# Copyright (c) mmkd contributors. All rights reserved.
"""Fixes that make the pinned OpenMMLab stack work on torch 2.13. Applied once by ``import mmkd``.

Each fix says what it works around, why, and when it can go. All are covered by ``tests/test_utils/test_compat.py``.

1. **mmrazor 1.0.0 imports on torch 2.x.**
   ``mmrazor.structures.quantization.backend_config`` imports private ``torch.ao.quantization`` helpers
   (``reverse2``, ``reverse3``, ``reverse_sequential_wrapper2``, ``backend_config.utils``,
   ``_set_overwrite_output_fake_quantize``) that newer torch renamed or removed, and mmrazor turns that
   ``ImportError`` into ``torch>=1.13 is not installed properly``, so ``import mmrazor.models`` fails as a whole.
   Distillation never touches quantization backends, so before mmrazor is first imported a stand-in module is placed
   under that name exporting what the rest of mmrazor imports from it (``BackendConfigs``, empty, so asking for a
   quantization backend fails with a KeyError naming it). Can go when mmrazor releases a version that imports on
   torch 2.x (or when mmkd stops depending on mmrazor).

2. **Checkpoints under torch >= 2.6 (``weights_only``).**
   torch.load now defaults to ``weights_only=True``; mmengine 0.10.7 does not pass it and pickles its own
   ``HistoryBuffer`` objects into every checkpoint, so ``--resume`` fails with ``UnpicklingError`` (mmengine issue
   #1655). Its URL loader goes through ``torch.hub.load_state_dict_from_url``, whose default is
   ``weights_only=False``: any downloaded checkpoint could run code. mmkd registers its own loader for local paths
   into mmengine's ``CheckpointLoader`` and replaces the URL helper behind its ``http(s)://``, ``open-mmlab://``,
   ``torchvision://`` and ``mmcls://`` schemes; they load with ``weights_only=True`` and an explicit allow-list
   (:mod:`mmkd.utils.checkpoint`). Resume, ``load_from``, ``init_cfg=dict(type='Pretrained')`` and mmrazor's
   ``teacher_ckpt`` all go through ``CheckpointLoader``. Can go when an mmengine release loads with ``weights_only``
   and an allow-list itself (mmengine PR #1650), though the allow-list stays the project's policy.

3. **``mmkd::`` config paths.**
   mmengine resolves ``package::path/to/config.py`` (in ``_base_``, ``mmengine.hub.get_model`` and so in mmrazor's
   ``cfg_path``) only for the packages listed in ``mmengine.config.utils.MODULE2PACKAGE``, and has no API to add one.
   mmkd adds itself to that table so that configs can compose ``mmkd::`` bases and mmrazor can build mmkd's model
   configs. Can go when mmengine offers a registration API for config packages.
"""
import sys
import types

MMRAZOR_BACKEND_CONFIG = 'mmrazor.structures.quantization.backend_config'

_applied = False


def install_mmrazor_quantization_stub() -> None:
    """Fix 1: put a stand-in for mmrazor's quantization ``backend_config`` package into ``sys.modules``."""
    if MMRAZOR_BACKEND_CONFIG in sys.modules:
        return
    stub = types.ModuleType(MMRAZOR_BACKEND_CONFIG)
    stub.__doc__ = ('Stand-in installed by mmkd.utils.compat: the real module imports torch.ao internals that '
                    'torch 2.x removed. Quantization backends are unavailable.')
    stub.BackendConfigs = {}
    stub.__all__ = ['BackendConfigs']
    sys.modules[MMRAZOR_BACKEND_CONFIG] = stub


def install_safe_checkpoint_loaders() -> None:
    """Fix 2: make mmengine load local and URL checkpoints with ``weights_only=True`` and an allow-list."""
    import mmengine.runner.checkpoint as mmengine_checkpoint
    from mmengine.runner import CheckpointLoader

    from .checkpoint import load_local_checkpoint, load_url_checkpoint

    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    # http(s)://, open-mmlab://, torchvision:// and mmcls:// all end in mmengine's load_from_http, which calls this
    # module-level name; replacing it keeps mmengine's rank-0-downloads-first logic.
    mmengine_checkpoint.load_url = load_url_checkpoint


def register_mmkd_config_package() -> None:
    """Fix 3: let mmengine resolve ``mmkd::`` config paths (``mmkd/.mim/configs``, created by ``pip install``)."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('mmkd', 'mmkd')


def apply_compat() -> None:
    """Apply every fix once (idempotent)."""
    global _applied
    if _applied:
        return
    install_mmrazor_quantization_stub()
    install_safe_checkpoint_loaders()
    register_mmkd_config_package()
    _applied = True
