# Copyright (c) mmkd contributors. All rights reserved.
"""Segmentation KD cost and quality on the synthetic city, CPU, measured in one run.

Reports (as ratios: the machines are shared and noisy):
  * train step time of BPKD and of CWD relative to the plain student step, and BPKD / CWD
    (target: BPKD <= 1.15x CWD);
  * the share of the BPKD step spent building the GT edge mask (target: <= 5 %);
  * with --train-iters > 0, the final mIoU and trimap mIoU of the student trained alone, with CWD and with BPKD
    (the embedded demo's recipe; the teacher is trained first unless --teacher-ckpt is given).

    python benchmarks/seg_kd.py [--steps 30] [--train-iters 600] [--data-root data/synthetic_city]
"""
import argparse
import os.path as osp
import statistics

import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner
from prettytable import PrettyTable

import mmkd  # noqa: F401
from mmkd.apis import (DISTILL_CONFIGS, STUDENT_CONFIG, TEACHER_CONFIG, demo_stage_config, ensure_synthetic_city,
                       train_and_test)
from mmkd.models.utils import boundary_mask
from mmkd.utils.timing import time_round_robin


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', default='data/synthetic_city')
    parser.add_argument('--work-dir', default='work_dirs/bench_seg_kd')
    parser.add_argument('--steps', type=int, default=30, help='timed train steps per method (after 3 warm-up)')
    parser.add_argument('--train-iters', type=int, default=600, help='0: timing only')
    parser.add_argument('--teacher-ckpt', help='a trained demo teacher; trained here when missing')
    return parser.parse_args()


def build_trainee(config_path: str, cfg_kwargs: dict, teacher_ckpt: str):
    cfg = demo_stage_config(config_path, **cfg_kwargs)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = teacher_ckpt
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    model.train()
    return cfg, model, build_optim_wrapper(model, cfg.optim_wrapper)


def main() -> None:
    args = parse_args()
    torch.manual_seed(0)
    ensure_synthetic_city(args.data_root, num_train=100, num_val=30, seed=0)
    cfg_kwargs = dict(work_dir=osp.join(args.work_dir, 'timing'), data_root=args.data_root,
                      iters=max(args.train_iters, 1))

    teacher_ckpt = args.teacher_ckpt
    if teacher_ckpt is None:
        teacher_cfg = demo_stage_config(TEACHER_CONFIG, osp.join(args.work_dir, 'teacher'), args.data_root,
                                        max(args.train_iters, 1))
        teacher_ckpt = osp.join(teacher_cfg.work_dir, f'iter_{teacher_cfg.train_cfg.max_iters}.pth')
        if not osp.isfile(teacher_ckpt):
            train_and_test(teacher_cfg)

    # --- step time: the same real batches for every method ---
    trainees = {'student': build_trainee(STUDENT_CONFIG, cfg_kwargs, teacher_ckpt)}
    for method, config_path in DISTILL_CONFIGS.items():
        trainees[method] = build_trainee(config_path, cfg_kwargs, teacher_ckpt)
    cfg = trainees['student'][0]
    loader = Runner.build_dataloader(dict(cfg.train_dataloader, num_workers=0, persistent_workers=False))
    batches = [batch for batch, _ in zip(loader, range(8))]

    def train_step(name):
        _, model, optim_wrapper = trainees[name]
        return lambda step: model.train_step(batches[step % len(batches)], optim_wrapper)

    step_times = {name: statistics.median(values) for name, values in time_round_robin(
        {name: train_step(name) for name in trainees}, args.steps, warmup=3).items()}

    bpkd_loss = trainees['BPKD'][1].distiller.distill_losses['loss_edge']
    labels = [torch.stack([s.gt_sem_seg.data[0] for s in batch['data_samples']]).long() for batch in batches]
    logit_size = (cfg.crop_size[0] // 8, cfg.crop_size[1] // 8)

    def build_mask(step):
        # a fresh tensor each call: time the computation, not bpkd_edge_mask's once-per-step reuse
        boundary_mask.bpkd_edge_mask(labels[step % len(labels)].clone(), 19, logit_size, bpkd_loss.edge_width,
                                     bpkd_loss.ignore_index, bpkd_loss.compute_iters)

    mask_time = statistics.median(time_round_robin({'mask': build_mask}, args.steps, warmup=3)['mask'])

    table = PrettyTable(['train step', 'x student', 'x CWD'])
    for name in trainees:
        table.add_row([name, f'{step_times[name] / step_times["student"]:.3f}',
                       f'{step_times[name] / step_times["CWD"]:.3f}'])
    print(f'Train step, median of {args.steps} steps at batch {cfg.train_dataloader.batch_size}, '
          f'{cfg.crop_size[0]}x{cfg.crop_size[1]}, CPU ({torch.get_num_threads()} threads):\n{table}')
    ratio = step_times['BPKD'] / step_times['CWD']
    share = mask_time / step_times['BPKD']
    print(f'BPKD step vs CWD step: {ratio:.3f}x (target <= 1.15x: {"met" if ratio <= 1.15 else "NOT met"})')
    print(f'GT edge mask share of the BPKD step: {100 * share:.2f} % '
          f'(target <= 5 %: {"met" if share <= 0.05 else "NOT met"})')

    if args.train_iters > 0:
        quality = PrettyTable(['student', 'mIoU', 'trimap mIoU'])
        runs = [('alone', STUDENT_CONFIG)] + list(DISTILL_CONFIGS.items())
        for name, config_path in runs:
            stage_cfg = demo_stage_config(config_path, osp.join(args.work_dir, name.lower()), args.data_root,
                                          args.train_iters)
            if 'teacher_ckpt' in stage_cfg.model:
                stage_cfg.model.teacher_ckpt = teacher_ckpt
            metrics = train_and_test(stage_cfg)
            quality.add_row([name, f'{metrics["mIoU"]:.2f}', f'{metrics["trimap/mIoU"]:.2f}'])
        print(f'Synthetic city val after {args.train_iters} iterations:\n{quality}')


if __name__ == '__main__':
    main()
