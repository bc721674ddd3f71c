# Copyright (c) mmkd contributors. All rights reserved.
"""Models named by a config *file*: ``architecture=dict(cfg_path='my_student.py')`` in a distillation config.

mmrazor hands ``cfg_path`` to ``mmengine.hub.get_model``, which only knows ``package::path`` and fails on a plain path
in ``_get_package_and_cfg_path``. mmkd's algorithms also accept plain paths: absolute, relative to the working
directory, or relative to the config that is run (``tools/train.py`` and ``tools/test.py`` make those absolute, see
:func:`resolve_cfg_paths`). The file's ``model`` is built in the file's ``default_scope`` with the file's top-level
``data_preprocessor``, as ``get_model`` does for a package config.
"""
import os.path as osp
from typing import Any, Optional

from mmengine.config import Config
from mmengine.registry import DefaultScope


def is_plain_cfg_path(cfg: Any) -> bool:
    """Whether ``cfg`` is a model given as ``dict(cfg_path=<file>)`` without a ``package::`` prefix."""
    return (isinstance(cfg, dict) and isinstance(cfg.get('cfg_path'), str) and '::' not in cfg['cfg_path']
            and not cfg.get('type'))


def build_model_from_cfg_path(cfg: dict, where: str = 'model') -> Any:
    """Build the ``model`` of the config file ``cfg['cfg_path']``.

    Args:
        cfg (dict): ``dict(cfg_path=..., pretrained=False, **default_args)``.
        where (str): the config key, for messages. Defaults to 'model'.

    Returns:
        nn.Module: the built model.
    """
    from mmengine.registry import MODELS
    cfg = dict(cfg)
    path = osp.expanduser(cfg.pop('cfg_path'))
    if cfg.pop('pretrained', False):
        raise ValueError(f'{where}.cfg_path={path!r}: pretrained=True needs a package config with a metafile '
                         f'(e.g. "mmseg::..."); for a file, set init_cfg=dict(type="Pretrained", checkpoint=...) in '
                         f'it, or load_from.')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{where}.cfg_path={path!r} does not exist (relative paths are taken from the '
                                f'config that is run, then from the working directory {osp.abspath(".")!r}).')
    file_cfg = Config.fromfile(path)
    if 'model' not in file_cfg:
        raise KeyError(f'{where}.cfg_path={path!r} has no `model` to build.')
    model_cfg = file_cfg.model
    if file_cfg.get('data_preprocessor') is not None and 'data_preprocessor' not in model_cfg:
        model_cfg.data_preprocessor = file_cfg.data_preprocessor
    scope: Optional[str] = file_cfg.get('default_scope', None)
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.build(model_cfg, default_args=cfg or None)


def resolve_cfg_paths(model_cfg: Any, config_file: str) -> Any:
    """Make the plain relative ``cfg_path`` entries of ``model_cfg`` absolute, relative to ``config_file``'s folder.

    A path that does not exist there is left as it is (it may be relative to the working directory).

    Args:
        model_cfg: the ``model`` of a config (changed in place).
        config_file (str): the config file that is run.
    """
    if isinstance(model_cfg, dict):
        if is_plain_cfg_path(model_cfg) and not osp.isabs(model_cfg['cfg_path']):
            candidate = osp.join(osp.dirname(osp.abspath(config_file)), osp.expanduser(model_cfg['cfg_path']))
            if osp.isfile(candidate):
                model_cfg['cfg_path'] = candidate
        for value in model_cfg.values():
            resolve_cfg_paths(value, config_file)
    elif isinstance(model_cfg, (list, tuple)):
        for value in model_cfg:
            resolve_cfg_paths(value, config_file)
    return model_cfg
