# Copyright (c) mmkd contributors. All rights reserved.
"""Loading checkpoints as untrusted input: ``weights_only=True`` with an explicit allow-list.

A checkpoint is a pickle, and unpickling an arbitrary pickle runs arbitrary code. torch's ``weights_only`` unpickler
only rebuilds tensors, containers and primitive types, plus the classes a caller allows. mmengine's checkpoints also
hold a few objects of its own (the ``message_hub`` stores :class:`~mmengine.logging.HistoryBuffer` objects backed by
numpy arrays), so those exact classes are allowed here, and nothing else. A checkpoint that pickles anything outside
the list (a function, a class with a ``__reduce__`` payload) is refused with :class:`UnsafeCheckpointError` before
any of its objects are built, so the payload never runs.
"""
import os
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

MapLocation = Optional[Union[str, torch.device, Callable, dict]]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """Raised when a checkpoint pickles objects outside :func:`checkpoint_safe_globals`."""


def _numpy_globals() -> List[Any]:
    """numpy objects that appear when a ``HistoryBuffer`` (numpy arrays and scalars) is pickled."""
    # numpy>=2 pickles through ``numpy._core``; numpy 1.x through ``numpy.core``. Only the module that exists is used.
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(name)) for name in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float16', 'float32',
        'float64')]
    return [_reconstruct, scalar, np.ndarray, np.dtype, *dtype_classes]


# HistoryBuffer.__getstate__ stores its statistics methods, which pickle as ``getattr(HistoryBuffer, 'mean')``.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_statistic(owner: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` while unpickling: only ``getattr(HistoryBuffer, <statistic>)`` is allowed.

    Allowing the real ``getattr`` would let a checkpoint read any attribute of any object it can name.
    """
    if owner is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({getattr(owner, "__qualname__", type(owner).__name__)}, {name!r}) is not allowed: checkpoints may '
        f'only reference HistoryBuffer statistics {HISTORY_BUFFER_STATISTICS}.')


# What users added with add_safe_globals(). Process-wide on purpose, like torch.serialization.add_safe_globals: the
# loader is called by mmengine (CheckpointLoader), which has no way to pass a per-call list through.
_USER_SAFE_GLOBALS: List[Any] = []


def add_safe_globals(safe_globals: List[Any]) -> None:
    """Allow more classes/functions in the checkpoints mmkd loads (``weights_only=True`` stays on).

    ``import mmkd`` replaces mmengine's checkpoint loading (``load_checkpoint``, ``Runner.load_checkpoint``,
    ``init_cfg=dict(type='Pretrained')``) with :func:`safe_torch_load`, which refuses any pickled object outside the
    allow-list. A project whose checkpoints hold objects of its own (say a config dataclass in ``meta``) registers
    them once, e.g. next to its module definitions::

        from mmkd.utils import add_safe_globals
        add_safe_globals([MyRunInfo])

    Only allow classes whose unpickling runs no code you do not trust: torch rebuilds them with ``__setstate__`` /
    ``__dict__`` updates (or ``__reduce__`` for the ones it knows), so a plain data class is safe; a function is not
    meant to be.

    Args:
        safe_globals (list): classes or functions, or ``(object, 'module.QualName')`` pairs for objects pickled under
            another name (as :func:`torch.serialization.add_safe_globals` takes them).

    Raises:
        TypeError: an entry is neither a class/function nor such a pair.
    """
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(f'add_safe_globals expects a list of classes/functions, got {type(safe_globals).__name__}: '
                        f'write add_safe_globals([{getattr(safe_globals, "__name__", "MyClass")}]).')
    for entry in safe_globals:
        pair = isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str) and callable(entry[0])
        if not (pair or isinstance(entry, type) or callable(entry)):
            raise TypeError(f'add_safe_globals: {entry!r} is not a class, a function or an (object, "module.Name") '
                            f'pair.')
        if entry not in _USER_SAFE_GLOBALS:
            _USER_SAFE_GLOBALS.append(entry)


def checkpoint_safe_globals() -> List[Any]:
    """The classes and functions mmengine writes into checkpoints, plus what :func:`add_safe_globals` added: the
    whole allow-list.

    Returns:
        list: objects (or ``(object, 'pickled.name')`` pairs) for :class:`torch.serialization.safe_globals`.
    """
    return [HistoryBuffer, (history_buffer_statistic, 'builtins.getattr'), *_numpy_globals(), *_USER_SAFE_GLOBALS]


def safe_torch_load(file: Union[str, os.PathLike, Any], map_location: MapLocation = None,
                    source: Optional[str] = None) -> Any:
    """``torch.load`` with ``weights_only=True`` and mmkd's allow-list.

    Args:
        file (str | PathLike | file-like): the checkpoint.
        map_location: same as :func:`torch.load`.
        source (str, optional): what to name in error messages (a URL, say). Defaults to ``file``.

    Returns:
        The unpickled checkpoint (usually a dict).

    Raises:
        UnsafeCheckpointError: the checkpoint pickles an object outside the allow-list; nothing of it was executed.
    """
    source = source if source is not None else str(file)
    with torch.serialization.safe_globals(checkpoint_safe_globals()):
        try:
            # weights_only is passed explicitly: torch then ignores TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD.
            return torch.load(file, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError as error:
            raise UnsafeCheckpointError(
                f'Refused to load checkpoint {source!r}: it pickles objects outside mmkd\'s allow-list '
                f'(mmkd.utils.checkpoint.checkpoint_safe_globals): {_disallowed_globals(file, error)}. It was not '
                f'unpickled and none of its code ran. If you trust this file, re-save its weights as plain tensors '
                f'(e.g. {{"state_dict": model.state_dict()}}).') from None


def _disallowed_globals(file: Any, error: Exception) -> str:
    """Name what the checkpoint pickles beyond the allow-list, by scanning its pickle (nothing is executed)."""
    if isinstance(file, (str, os.PathLike)):
        try:
            allowed = {name for entry in checkpoint_safe_globals() if isinstance(entry, tuple) for name in entry[1:]}
            allowed |= {f'{obj.__module__}.{obj.__qualname__}' for obj in checkpoint_safe_globals()
                        if not isinstance(obj, tuple)}
            found = [name for name in torch.serialization.get_unsafe_globals_in_checkpoint(file)
                     if name not in allowed]
            if found:
                return ', '.join(found)
        except Exception:  # a file torch cannot even scan: fall back to torch's own words
            pass
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__


def load_local_checkpoint(filename: str, map_location: MapLocation = None) -> Any:
    """Loader for local paths, registered into mmengine's ``CheckpointLoader`` by :mod:`mmkd.utils.compat`."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint file {filename!r} does not exist.')
    return safe_torch_load(filename, map_location=map_location)


def load_url_checkpoint(url: str, model_dir: Optional[str] = None, map_location: MapLocation = None,
                        progress: bool = True, check_hash: bool = False, file_name: Optional[str] = None) -> Any:
    """Download (once, into torch's hub cache) and load a checkpoint URL with :func:`safe_torch_load`.

    Same signature as ``mmengine.utils.dl_utils.load_url``, which on torch >= 1.7 is torch's
    ``load_state_dict_from_url`` with ``weights_only=False``.
    """
    from urllib.parse import urlparse

    from torch.hub import HASH_REGEX, download_url_to_file, get_dir
    model_dir = model_dir or osp.join(get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached_file = osp.join(model_dir, file_name or osp.basename(urlparse(url).path))
    if not osp.exists(cached_file):
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(osp.basename(cached_file))
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    return safe_torch_load(cached_file, map_location=map_location, source=url)
