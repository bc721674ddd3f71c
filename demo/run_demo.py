# Copyright (c) mmkd contributors. All rights reserved.
"""The embedded default: distill a small segmentation student on the synthetic city, on the CPU, in minutes.

Steps (each an mmengine Runner on a config; building blocks in ``mmkd/testing/demo.py``):
  1. generate the synthetic city (Cityscapes layout) into ``data/synthetic_city`` unless it is there;
  2. train the teacher (PSPNet, ResNet-18-V1c at width 32: configs/demo/);
  3. train the student alone (width 16, 1/4 of the teacher's parameters);
  4. distill the student from the teacher with CWD on logits (configs/cwd/), then with BPKD, edge + body losses
     (configs/bpkd/), both through mmrazor's SingleTeacherDistill + ConfigurableDistiller;
  5. evaluate all four on the validation split (mIoU, and trimap mIoU: IoU within 3 px of GT class boundaries) and
     print a table.

    python demo/run_demo.py [--iters 600] [--work-dir work_dirs/demo] [--data-root data/synthetic_city]
"""
import argparse
import logging
import os.path as osp
import time

from mmengine.logging import print_log
from prettytable import PrettyTable

import mmkd  # noqa: F401  (compat layer + registries)
from mmkd.testing.demo import (
    DISTILL_CONFIGS,
    STUDENT_CONFIG,
    TEACHER_CONFIG,
    count_parameters,
    demo_stage_config,
    ensure_synthetic_city,
    train_and_test,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--iters', type=int, default=600, help='training iterations of every stage')
    parser.add_argument('--work-dir', default='work_dirs/demo', help='where the stages write checkpoints and logs')
    parser.add_argument('--data-root', default='data/synthetic_city', help='synthetic city location')
    parser.add_argument('--num-train', type=int, default=100, help='training images to generate')
    parser.add_argument('--num-val', type=int, default=30, help='validation images to generate')
    parser.add_argument('--seed', type=int, default=0, help='data generation and training seed')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.time()
    ensure_synthetic_city(args.data_root, args.num_train, args.num_val, args.seed)

    def stage(config_path, name):
        return demo_stage_config(config_path, osp.join(args.work_dir, name), args.data_root, args.iters, args.seed)

    teacher_cfg = stage(TEACHER_CONFIG, 'teacher')
    teacher_metrics = train_and_test(teacher_cfg)
    teacher_ckpt = osp.join(teacher_cfg.work_dir, f'iter_{args.iters}.pth')

    student_cfg = stage(STUDENT_CONFIG, 'student')
    student_params = count_parameters(student_cfg)
    results = [('student alone', student_params, train_and_test(student_cfg))]
    for method, config_path in DISTILL_CONFIGS.items():
        distill_cfg = stage(config_path, f'distill_{method.lower()}')
        distill_cfg.model.teacher_ckpt = teacher_ckpt
        results.append((f'student + {method}', student_params, train_and_test(distill_cfg)))
    results.append(('teacher', count_parameters(teacher_cfg), teacher_metrics))

    table = PrettyTable(['model', 'params (M)', 'mIoU', 'trimap mIoU', 'mAcc', 'aAcc'])
    for name, params, metrics in results:
        table.add_row([name, f'{params:.2f}', f'{metrics["mIoU"]:.2f}', f'{metrics["trimap/mIoU"]:.2f}',
                       f'{metrics["mAcc"]:.2f}', f'{metrics["aAcc"]:.2f}'])
    print_log(f'Embedded demo: synthetic city val ({args.num_val} images), {args.iters} iterations per stage, '
              f'{(time.time() - start) / 60:.1f} min in all\n{table}', logger='current', level=logging.INFO)


if __name__ == '__main__':
    main()
