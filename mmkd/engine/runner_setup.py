# Copyright (c) mmkd contributors. All rights reserved.
"""Run set-up shared by ``tools/train.py`` and ``tools/test.py``: the config, and distributed runs on CPU (gloo).

The config is read with the checks a person needs before a long run: a config file that does not exist is an error
that suggests the nearest configs of the repository ("did you mean ..."), a dataset folder that does not exist points
at the README's dataset section, and plain ``cfg_path`` files of a distillation model are taken relative to the config
(:func:`mmkd.utils.model_config.resolve_cfg_paths`).

mmengine 0.10.7 assumes a GPU once a launcher is set: ``init_dist`` calls ``torch.cuda.set_device`` (an
AttributeError on CPU builds of torch) and the DDP wrapper is given ``device_ids=[LOCAL_RANK]`` (rejected by
``DistributedDataParallel`` for CPU modules). When no GPU is present this module initialises the process group itself
with gloo, so the Runner skips ``init_dist``, and asks for a DDP wrapper without device ids. With a GPU nothing
changes.
"""
import difflib
import glob
import os
import os.path as osp
import re
import subprocess
from typing import Iterator, List, Optional, Tuple

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from mmkd.utils.model_config import resolve_cfg_paths

#: where a missing dataset folder points the user
DATASET_HELP = 'the "Preparing real datasets" section of the README (README.md#preparing-real-datasets)'


def _configs_root() -> str:
    """The repository's ``configs/`` (a source checkout), else the installed package's ``mmkd/.mim/configs``."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for root in (osp.join(osp.dirname(package), 'configs'), osp.join(package, '.mim', 'configs')):
        if osp.isdir(root):
            return root
    return osp.join(osp.dirname(package), 'configs')


def _tokens(path: str) -> List[str]:
    return [t for t in re.split(r'[-_./\\]+', osp.splitext(path)[0].lower()) if t]


def similar_configs(config_path: str, limit: int = 3) -> List[str]:
    """The repository configs nearest to a missing ``config_path``, best first.

    Ranked by how many of the path's name parts (``pspnet``, ``r101``, ``cityscapes``, ...) a config shares, then by
    the text similarity of the file names.
    """
    root = _configs_root()
    candidates = [p for p in glob.glob(osp.join(root, '**', '*.py'), recursive=True) if '_base_' not in p]
    wanted = _tokens(osp.relpath(osp.abspath(config_path), osp.dirname(root))
                     if not osp.isabs(config_path) else config_path)
    wanted = [t for t in wanted if t != 'configs'] or _tokens(osp.basename(config_path))
    name = osp.basename(config_path)

    def score(candidate: str) -> Tuple[int, float]:
        parts = set(_tokens(osp.relpath(candidate, root)))
        shared = sum(1 for t in wanted if t in parts)
        return shared, difflib.SequenceMatcher(None, name, osp.basename(candidate)).ratio()

    ranked = sorted(candidates, key=score, reverse=True)
    repo = osp.dirname(root)
    return [osp.relpath(p, repo) for p in ranked[:limit]]


def _data_roots(cfg, where: str) -> Iterator[Tuple[str, str]]:
    """(config key, data_root) of every dataset under ``cfg`` (wrappers such as ``RepeatDataset`` included)."""
    if isinstance(cfg, dict):
        if isinstance(cfg.get('data_root'), str) and cfg.get('type') is not None:
            yield f'{where}.data_root', cfg['data_root']
        for key, value in cfg.items():
            if key in ('dataset', 'datasets'):
                yield from _data_roots(value, f'{where}.{key}')
    elif isinstance(cfg, (list, tuple)):
        for index, value in enumerate(cfg):
            yield from _data_roots(value, f'{where}[{index}]')


def check_dataset_folders(cfg: Config, loaders: Tuple[str, ...]) -> None:
    """Fail with a pointer to the README when a dataset folder of ``loaders`` (e.g. 'train_dataloader') is missing.

    Args:
        cfg (Config): the run's config.
        loaders (tuple[str]): the dataloader keys the run uses.
    """
    for loader in loaders:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for key, data_root in _data_roots(loader_cfg.get('dataset'), f'{loader}.dataset'):
            if '://' not in data_root and not osp.isdir(osp.expanduser(data_root)):
                raise FileNotFoundError(
                    f'Dataset folder {data_root!r} ({key} in {cfg.filename}) does not exist (looked in '
                    f'{osp.abspath(osp.expanduser(data_root))!r}). Prepare the dataset as described in '
                    f'{DATASET_HELP}, or point the config at it: --cfg-options {key}=/path/to/data')


def load_run_config(config_path: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
                    work_dir: Optional[str] = None) -> Config:
    """Read a config for a run: CLI overrides merged, launcher set, work dir resolved.

    Args:
        config_path (str): the config file.
        launcher (str): job launcher. Defaults to 'none'.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        work_dir (str, optional): ``--work-dir``; else the config's, else ``./work_dirs/<config name>``.

    Returns:
        Config: the run's config.
    """
    if not osp.isfile(config_path) and '::' not in config_path:
        suggestions = '\n  '.join(similar_configs(config_path))
        raise FileNotFoundError(f'No such config: {config_path!r} (from {os.getcwd()!r}). Did you mean\n  '
                                f'{suggestions}')
    cfg = Config.fromfile(config_path)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
    if isinstance(cfg.get('model'), dict):
        resolve_cfg_paths(cfg.model, config_path)
    return cfg


def _slurm_env_to_torch_env(port: str = '29500') -> None:
    """Translate SLURM's task variables into the ``env://`` ones (what mmengine does for its slurm launcher)."""
    node_list = os.environ['SLURM_NODELIST']
    master = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
    os.environ.setdefault('MASTER_PORT', port)
    os.environ.setdefault('MASTER_ADDR', master)
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ['SLURM_LOCALID']


def prepare_cpu_distributed(cfg: Config) -> bool:
    """Set up gloo-based DDP for ``cfg.launcher`` when no GPU is available.

    Args:
        cfg (Config): the run's config; ``env_cfg.dist_cfg`` and ``model_wrapper_cfg`` are updated in place.

    Returns:
        bool: True if this function initialised a CPU process group.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    if launcher not in ('pytorch', 'slurm'):
        raise ValueError(f'launcher={launcher!r} is not supported on a machine without GPU; use pytorch or slurm.')
    if launcher == 'slurm':
        _slurm_env_to_torch_env()
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    torch_dist.init_process_group(backend='gloo')

    wrapper_cfg = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg
    return True
