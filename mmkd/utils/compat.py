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

4. **The scope of what a config inherits through ``mmkd::``.**
   mmengine gives every dict with a ``type`` that a ``pkg::`` base defines ``_scope_=pkg``, assuming one package, one
   scope. mmkd's configs are compositions of mmseg, mmdet and mmrazor pieces (``SegVisualizationHook``,
   ``CityscapesDataset``, ``RetinaNet``) and say their scope themselves (``default_scope``, ``_scope_``,
   ``mmkd.`` prefixes); with ``_scope_='mmkd'`` those types are looked up in mmkd's registries and fail
   (``SegVisualizationHook is not in the mmkd::hook registry``). An ``mmkd::`` base therefore gets the scope it was
   written for: its own ``default_scope`` (``mmseg`` for the segmentation and edge configs, ``mmdet`` for the
   detection ones), or none when it has no ``default_scope`` (then the inheriting config's scope applies, as for a
   local base). Making mmkd's registries children of mmseg's would not do: the detection configs need mmdet's, and a
   registry has one parent. Can go with fix 3.

5. **Checkpoint mismatches reach the log file.**
   ``mmengine.runner.checkpoint.load_state_dict`` reports missing / unexpected / mis-shaped keys with
   ``print_log(logger=None)``, i.e. a plain ``print`` that never reaches the work-dir log, whenever its caller passes
   no logger (``Runner.load_checkpoint`` for ``load_from``, mmrazor's teacher loading). mmkd makes ``None`` mean
   mmengine's current logger, so the WARNING lands in the log. Can go when mmengine logs it itself.

6. **Data pipeline errors name the sample's files.**
   A transform that fails (a corrupt PNG: ``UnidentifiedImageError: cannot identify image file <_io.BytesIO ...>``)
   says nothing about which file. mmengine's dataset ``Compose`` is wrapped so that any exception leaving a pipeline
   gets a note (PEP 678, printed with the traceback, also across DataLoader workers) naming the transform and the
   sample's ``img_path`` / ``seg_map_path`` / ``ann_path``; its type and message are unchanged. Can go when
   mmengine/mmcv name the file themselves.
"""
import functools
import os.path as osp
import sys
import types
from typing import Optional, Tuple

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


def mmkd_base_scope(cfg_path: str) -> Optional[str]:
    """The scope of the dicts a config inherits from the ``mmkd::`` base ``cfg_path``: its ``default_scope``.

    Args:
        cfg_path (str): the resolved file of the base.

    Returns:
        str | None: the base's ``default_scope``, None when it sets none.
    """
    return _default_scope_cached(osp.abspath(cfg_path), osp.getmtime(cfg_path))


@functools.lru_cache(maxsize=256)
def _default_scope_cached(cfg_path: str, mtime: float) -> Optional[str]:
    from mmengine.config import Config
    return Config.fromfile(cfg_path).get('default_scope', None)


def install_mmkd_base_scope() -> None:
    """Fix 4: ``mmkd::`` bases are built in their own ``default_scope`` instead of a blanket ``mmkd``."""
    from mmengine.config import Config
    original = Config._get_cfg_path
    if getattr(original, '_mmkd_base_scope', False):
        return

    def get_cfg_path(cfg_path: str, filename: str) -> Tuple[str, Optional[str]]:
        path, scope = original(cfg_path, filename)
        if scope == 'mmkd':
            scope = mmkd_base_scope(path)
        return path, scope

    get_cfg_path._mmkd_base_scope = True  # type: ignore[attr-defined]
    get_cfg_path.__doc__ = original.__doc__
    Config._get_cfg_path = staticmethod(get_cfg_path)


def install_logged_load_state_dict() -> None:
    """Fix 5: ``load_state_dict(..., logger=None)`` logs through mmengine's current logger."""
    import mmengine.runner.checkpoint as mmengine_checkpoint
    original = mmengine_checkpoint.load_state_dict
    if getattr(original, '_mmkd_logged', False):
        return

    @functools.wraps(original)
    def load_state_dict(module, state_dict, strict=False, logger=None):
        return original(module, state_dict, strict=strict, logger='current' if logger is None else logger)

    load_state_dict._mmkd_logged = True  # type: ignore[attr-defined]
    mmengine_checkpoint.load_state_dict = load_state_dict


#: result keys that name a sample's files, in the order a note lists them
SAMPLE_FILE_KEYS = ('img_path', 'seg_map_path', 'ann_path', 'edge_map_path', 'img_id')


def sample_files(results) -> str:
    """'img_path=...; seg_map_path=...' of a pipeline's input dict (what a failing transform was reading)."""
    if not isinstance(results, dict):
        return ''
    return '; '.join(f'{key}={results[key]!r}' for key in SAMPLE_FILE_KEYS if results.get(key) is not None)


def install_pipeline_file_notes() -> None:
    """Fix 6: exceptions leaving a dataset pipeline carry a note naming the transform and the sample's files."""
    from mmengine.dataset import base_dataset
    compose = base_dataset.Compose
    if getattr(compose.__call__, '_mmkd_notes', False):
        return

    def __call__(self, data):
        files = sample_files(data)  # before the transforms change the dict
        current = None
        try:
            for current in self.transforms:
                data = current(data)
                if data is None:
                    return None
            return data
        except Exception as error:
            if files and not getattr(error, '_mmkd_noted', False):
                try:
                    error.add_note(f'mmkd: raised by {type(current).__name__} of the data pipeline on {files}')
                    error._mmkd_noted = True
                except (AttributeError, TypeError):  # an exception type that takes no attributes: left as it is
                    pass
            raise

    __call__._mmkd_notes = True  # type: ignore[attr-defined]
    __call__.__doc__ = compose.__call__.__doc__
    compose.__call__ = __call__


def apply_compat() -> None:
    """Apply every fix once (idempotent)."""
    global _applied
    if _applied:
        return
    install_mmrazor_quantization_stub()
    install_safe_checkpoint_loaders()
    register_mmkd_config_package()
    install_mmkd_base_scope()
    install_logged_load_state_dict()
    install_pipeline_file_notes()
    _applied = True
