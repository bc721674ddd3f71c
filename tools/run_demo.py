# Copyright (c) mmkd contributors. All rights reserved.
"""The embedded default: distill a small segmentation student on the synthetic city, on the CPU, in minutes.

Steps (each an mmengine Runner on a config under ``configs/demo/``):
  1. generate the synthetic city (Cityscapes layout) into ``data/synthetic_city`` unless it is there;
  2. train the teacher (PSPNet, ResNet-18-V1c at width 32);
  3. train the student alone (width 16, 1/4 of the teacher's parameters);
  4. distill the student from the teacher (mmrazor SingleTeacherDistill + ConfigurableDistiller, CWD on logits);
  5. evaluate all three on the validation split and print a table.

    python tools/run_demo.py [--iters 600] [--work-dir work_dirs/demo] [--data-root data/synthetic_city]
"""
import argparse
import logging
import os.path as osp
import shutil
import time
from typing import Dict

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner
from prettytable import PrettyTable

import mmkd  # noqa: F401  (compat layer + registries)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIGS = osp.join(REPO_ROOT, 'configs', 'demo')
TEACHER_CONFIG = osp.join(DEMO_CONFIGS, 'pspnet_r18-w32-d8_1xb4-600i_synthcity-128x256.py')
STUDENT_CONFIG = osp.join(DEMO_CONFIGS, 'pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py')
DISTILL_CONFIGS = {
    'CWD (logits)': osp.join(DEMO_CONFIGS, 'cwd-logits_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py'),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--iters', type=int, default=600, help='training iterations of every stage')
    parser.add_argument('--work-dir', default='work_dirs/demo', help='where the stages write checkpoints and logs')
    parser.add_argument('--data-root', default='data/synthetic_city', help='synthetic city location')
    parser.add_argument('--num-train', type=int, default=100, help='training images to generate')
    parser.add_argument('--num-val', type=int, default=30, help='validation images to generate')
    parser.add_argument('--seed', type=int, default=0, help='data generation and training seed')
    return parser.parse_args()


def ensure_synthetic_city(data_root: str, num_train: int, num_val: int, seed: int) -> None:
    from mmkd.datasets.synthetic import generate_synthetic_cityscapes
    if osp.isdir(osp.join(data_root, 'leftImg8bit', 'train')):
        print_log(f'Using the synthetic city in {data_root}', logger='current')
        return
    print_log(f'Generating the synthetic city in {data_root} ({num_train} train / {num_val} val)', logger='current')
    generate_synthetic_cityscapes(data_root, num_train=num_train, num_val=num_val, seed=seed)


def stage_config(config_path: str, work_dir: str, args: argparse.Namespace) -> Config:
    """A demo config pointed at this run's data, work dir, iteration budget and seed."""
    cfg = Config.fromfile(config_path)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=args.seed)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = args.data_root
    cfg.train_cfg.max_iters = args.iters
    cfg.train_cfg.val_interval = args.iters
    cfg.default_hooks.checkpoint.interval = args.iters
    cfg.default_hooks.logger.interval = max(1, min(50, args.iters // 10))
    warmup = max(1, min(50, args.iters // 10))
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=warmup),
        dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=warmup, end=args.iters, by_epoch=False),
    ]
    # Runners share one process: give each its own visualizer instance (mmengine keys them by name).
    cfg.visualizer.name = f'visualizer_{osp.basename(work_dir)}'
    return cfg


def train_and_test(cfg: Config) -> Dict[str, float]:
    if osp.isdir(cfg.work_dir):
        shutil.rmtree(cfg.work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.test()


def count_parameters(cfg: Config) -> float:
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    return sum(p.numel() for p in model.parameters()) / 1e6


def main() -> None:
    args = parse_args()
    start = time.time()
    ensure_synthetic_city(args.data_root, args.num_train, args.num_val, args.seed)

    results = []
    teacher_cfg = stage_config(TEACHER_CONFIG, osp.join(args.work_dir, 'teacher'), args)
    teacher_metrics = train_and_test(teacher_cfg)
    teacher_ckpt = osp.join(teacher_cfg.work_dir, f'iter_{args.iters}.pth')

    student_cfg = stage_config(STUDENT_CONFIG, osp.join(args.work_dir, 'student'), args)
    results.append(('student alone', count_parameters(student_cfg), train_and_test(student_cfg)))

    for method, config_path in DISTILL_CONFIGS.items():
        name = method.split()[0].lower()
        distill_cfg = stage_config(config_path, osp.join(args.work_dir, f'distill_{name}'), args)
        distill_cfg.model.teacher_ckpt = teacher_ckpt
        results.append((f'student + {method}', count_parameters(student_cfg), train_and_test(distill_cfg)))
    results.append(('teacher', count_parameters(teacher_cfg), teacher_metrics))

    table = PrettyTable(['model', 'params (M)', 'mIoU', 'mAcc', 'aAcc'])
    for name, params, metrics in results:
        table.add_row([name, f'{params:.2f}', f'{metrics["mIoU"]:.2f}', f'{metrics["mAcc"]:.2f}',
                       f'{metrics["aAcc"]:.2f}'])
    print_log(f'Embedded demo: synthetic city val ({args.num_val} images), {args.iters} iterations per stage, '
              f'{(time.time() - start) / 60:.1f} min in all\n{table}', logger='current', level=logging.INFO)


if __name__ == '__main__':
    main()
