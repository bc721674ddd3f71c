# Copyright (c) mmkd contributors. All rights reserved.
"""Train a model (plain mmseg/mmdet model, or an mmrazor distillation algorithm) from a config.

Works for configs in any OpenMMLab scope: ``import mmkd`` registers mmkd's modules and applies its compat layer,
and the config's ``default_scope`` / ``_scope_`` keys pick the registries, as in mmseg's and mmdet's tools.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--seed N] [--deterministic] [--amp]
                                 [--cfg-options k=v ...]
    bash tools/dist_train.sh CONFIG GPUS [args]          # torchrun, launcher=pytorch

Every run gets mmkd's safety hooks (unless the config lists them already): ``mmkd.RNGStateHook`` (checkpoints carry
the RNG states; ``--resume`` continues exactly as the uninterrupted run would), ``mmkd.NonFiniteLossHook`` (stops on a
NaN/Inf loss term, naming it) and ``mmkd.SegLabelCheckHook`` (labels outside the classes are an error naming the file;
all-ignore batches a warning). ``--resume`` also takes the seed of the checkpoint's run, so that the samplers shuffle
as they did.
"""
import argparse
import logging
import os
import os.path as osp
from typing import Optional

from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmkd  # noqa: F401  (compat layer + registries)
from mmkd.engine.runner_setup import check_dataset_folders, load_run_config, prepare_cpu_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model or distill a student')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume training: from CKPT if given, otherwise from the latest checkpoint in the work dir')
    parser.add_argument('--seed', type=int, default=None, help='random seed (randomness.seed)')
    parser.add_argument(
        '--deterministic', action='store_true',
        help='deterministic algorithms (randomness.deterministic: cudnn and torch.use_deterministic_algorithms)')
    parser.add_argument(
        '--amp', action='store_true', default=False, help='enable automatic mixed precision training (GPU)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs; e.g. model.teacher_ckpt=work_dirs/t/iter_600.pth')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (older torch: --local_rank); torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


#: hooks every run gets (the ones the config lists already are left as they are)
SAFETY_HOOKS = ('mmkd.RNGStateHook', 'mmkd.NonFiniteLossHook', 'mmkd.SegLabelCheckHook')


def add_safety_hooks(cfg) -> None:
    """Append :data:`SAFETY_HOOKS` to ``cfg.custom_hooks`` unless the config lists them (by name, scoped or not)."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    listed = {str(hook.get('type', '')).split('.')[-1] for hook in hooks if isinstance(hook, dict)}
    hooks += [dict(type=name) for name in SAFETY_HOOKS if name.split('.')[-1] not in listed]
    cfg.custom_hooks = hooks


def checkpoint_to_resume(cfg) -> Optional[str]:
    """The checkpoint ``--resume`` will use: ``load_from``, else the work dir's ``last_checkpoint``."""
    if cfg.get('load_from'):
        return cfg.load_from
    last = osp.join(cfg.work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            return f.read().strip() or None
    return None


def seed_of_checkpoint(path: str) -> Optional[int]:
    """The seed a checkpoint's run used (``meta.seed``), None when it cannot be read."""
    from mmkd.utils import safe_torch_load
    try:
        return safe_torch_load(path, map_location='cpu').get('meta', {}).get('seed')
    except Exception:  # the Runner reports an unreadable checkpoint itself, with its path
        return None


def apply_randomness(cfg, seed: Optional[int], deterministic: bool) -> None:
    """``cfg.randomness`` from --seed / --deterministic; on --resume without --seed, the checkpoint's seed.

    mmengine builds the samplers (seeded) before it reads the checkpoint's seed, so a resumed run without the same
    seed would shuffle differently.
    """
    randomness = dict(cfg.get('randomness', None) or {})
    if seed is not None:
        randomness['seed'] = seed
    if deterministic:
        randomness['deterministic'] = True
    if cfg.get('resume') and seed is None:
        checkpoint = checkpoint_to_resume(cfg)
        resumed_seed = seed_of_checkpoint(checkpoint) if checkpoint and osp.isfile(checkpoint) else None
        if resumed_seed is not None:
            randomness['seed'] = resumed_seed
    if randomness:
        cfg.randomness = randomness


def main() -> None:
    args = parse_args()
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print_log('AMP training is already enabled in your config.', logger='current', level=logging.WARNING)
        else:
            if optim_wrapper != 'OptimWrapper':
                raise ValueError(f'--amp only wraps the default OptimWrapper, but the config uses {optim_wrapper!r}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    apply_randomness(cfg, args.seed, args.deterministic)
    add_safety_hooks(cfg)
    check_dataset_folders(cfg, ('train_dataloader', 'val_dataloader'))

    prepare_cpu_distributed(cfg)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
