# Copyright (c) mmkd contributors. All rights reserved.
"""Helpers for tests that run the repository's scripts."""
import os
import os.path as osp
import subprocess
import sys
from typing import List, Sequence

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def city_cfg_options(data_root: str, max_iters: int) -> List[str]:
    """--cfg-options for a short CPU run of a demo config on ``data_root``."""
    options = [f'train_cfg.max_iters={max_iters}', f'train_cfg.val_interval={max_iters}',
               f'default_hooks.checkpoint.interval={max_iters}', 'default_hooks.logger.interval=1']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={data_root}', f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    return options


def run_tool(args: Sequence[str], cwd: str = REPO_ROOT, env_extra: dict = None, timeout: int = 600):
    """Run a repo script with this interpreter; returns the CompletedProcess (output captured as text)."""
    env = dict(os.environ)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.update(env_extra or {})
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
