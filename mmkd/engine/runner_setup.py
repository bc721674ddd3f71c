# Copyright (c) mmkd contributors. All rights reserved.
"""Run set-up shared by ``tools/train.py`` and ``tools/test.py``: the config, and distributed runs on CPU (gloo).

mmengine 0.10.7 assumes a GPU once a launcher is set: ``init_dist`` calls ``torch.cuda.set_device`` (an
AttributeError on CPU builds of torch) and the DDP wrapper is given ``device_ids=[LOCAL_RANK]`` (rejected by
``DistributedDataParallel`` for CPU modules). When no GPU is present this module initialises the process group itself
with gloo, so the Runner skips ``init_dist``, and asks for a DDP wrapper without device ids. With a GPU nothing
changes.
"""
import os
import os.path as osp
import subprocess
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


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
    cfg = Config.fromfile(config_path)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
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
