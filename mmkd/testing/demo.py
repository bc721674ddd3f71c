# Copyright (c) mmkd contributors. All rights reserved.
"""The embedded demo's building blocks, shared by ``demo/run_demo.py`` and ``benchmarks/seg_kd.py``."""
import os.path as osp
import shutil
from typing import Dict

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner


def demo_config_path(relative_path: str) -> str:
    """Path of ``configs/<relative_path>`` in the installed package (``mmkd/.mim/configs``, what ``mmkd::`` reads).

    ``pip install -e .`` links ``mmkd/.mim/configs`` to the checkout's ``configs/``; a wheel copies them.
    """
    path = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim', 'configs', relative_path)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} does not exist: the demo reads its configs from the installed package (mmkd/.mim/configs). '
            'Install mmkd with `pip install -e .` in the checkout (or `bash tools/setup_env.sh`).')
    return path


TEACHER_CONFIG = 'demo/pspnet_r18-w32-d8_1xb4-600i_synthcity-128x256.py'
STUDENT_CONFIG = 'demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py'
DISTILL_CONFIGS = {
    'CWD': 'cwd/cwd-logits_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py',
    'BPKD': 'bpkd/bpkd_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py',
}


def ensure_synthetic_city(data_root: str, num_train: int, num_val: int, seed: int) -> None:
    """Generate the synthetic city into ``data_root`` unless it is already there."""
    from mmkd.testing.synthetic import generate_synthetic_cityscapes
    if osp.isdir(osp.join(data_root, 'leftImg8bit', 'train')):
        print_log(f'Using the synthetic city in {data_root}', logger='current')
        return
    print_log(f'Generating the synthetic city in {data_root} ({num_train} train / {num_val} val)', logger='current')
    generate_synthetic_cityscapes(data_root, num_train=num_train, num_val=num_val, seed=seed, progress=True)


def demo_stage_config(config_path: str, work_dir: str, data_root: str, iters: int, seed: int = 0) -> Config:
    """A demo config pointed at a work dir, data root, iteration budget and seed.

    ``config_path`` is a file, or a path relative to the package's configs (``TEACHER_CONFIG``, ...).
    """
    cfg = Config.fromfile(config_path if osp.isabs(config_path) else demo_config_path(config_path))
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    cfg.train_cfg.max_iters = iters
    # no validation inside train(): train_and_test evaluates once, with runner.test() (same split, same metrics)
    cfg.train_cfg.val_interval = iters + 1
    cfg.default_hooks.checkpoint.interval = iters
    warmup = max(1, min(50, iters // 10))
    # a log line every 20 iterations (about 4 s on 2 CPU cores): a person watching sees the run move
    cfg.default_hooks.logger.interval = max(1, min(20, iters // 30))
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=warmup),
        dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=warmup, end=iters, by_epoch=False),
    ]
    # Runners share one process: give each its own visualizer instance (mmengine keys them by name).
    cfg.visualizer.name = f'visualizer_{osp.basename(work_dir)}'
    return cfg


def train_and_test(cfg: Config) -> Dict[str, float]:
    """Train ``cfg`` from scratch in its work dir, then return the test metrics."""
    if osp.isdir(cfg.work_dir):
        shutil.rmtree(cfg.work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.test()


def count_parameters(cfg: Config) -> float:
    """Parameters of ``cfg.model`` in millions."""
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    return sum(p.numel() for p in model.parameters()) / 1e6
