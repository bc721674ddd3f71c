# Copyright (c) mmkd contributors. All rights reserved.
"""The embedded demo's comparison over several training seeds: student alone, CWD and BPKD (mean ± std).

One synthetic city (generated with seed 0) and one teacher (trained once, seed 0) are shared by every seed; each
seed trains the student alone, with CWD and with BPKD (the demo's configs, ``mmkd.testing.demo``) from scratch and
evaluates mIoU and trimap mIoU on the validation split. Printed: mean ± sample std (n - 1) per method, and per seed
the paired difference of every distilled method to CWD (same seed = same initialisation and data order).

Every finished stage is stored in ``<work-dir>/results.json`` (key: method, seed, iterations), so an interrupted run
resumes where it stopped and methods can be added later (``--fresh`` discards the stored results). Not part of CI:
about 3 stages per seed of the demo's ~2 minutes each on a quiet 2-core CPU.

    python benchmarks/seg_kd_quality.py [--seeds 0 1 2] [--iters 600] [--methods student CWD BPKD]
        [--work-dir work_dirs/seg_kd_quality] [--data-root data/synthetic_city]

Method ``BPKD-body-masked`` is the BPKD config with the body term's softmax over body positions only
(``body_softmax='masked'``); ``BPKD-class-sum`` the BPKD config with the edge term's per-class-normalised sum
(``edge_reduction='class_sum'``); ``BPKD-body-tau1-w5`` a diagnostic: the body term at mmrazor's CWD scale
(τ = 1, weight 5) instead of the reconstructed τ = 4, weight 20.

The run recorded in the READMEs used ``OMP_NUM_THREADS=1``: on the shared, oversubscribed 2-core machine a stage's
iteration took ~6 s with torch's default 2 threads and ~0.3-1 s with one (not an interleaved measurement).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time
from typing import Dict, List, Optional, Sequence

import torch
from prettytable import PrettyTable

import mmkd  # noqa: F401  (compat layer + registries)
from mmkd.testing.demo import (
    DISTILL_CONFIGS,
    STUDENT_CONFIG,
    TEACHER_CONFIG,
    demo_stage_config,
    ensure_synthetic_city,
    train_and_test,
)

BPKD_LOSS = 'model.distiller.distill_losses.loss_bpkd'
# method -> (config, cfg options merged on top of it)
METHODS: Dict[str, tuple] = {
    'student': (STUDENT_CONFIG, {}),
    'CWD': (DISTILL_CONFIGS['CWD'], {}),
    'BPKD': (DISTILL_CONFIGS['BPKD'], {}),
    'BPKD-body-masked': (DISTILL_CONFIGS['BPKD'], {f'{BPKD_LOSS}.body_softmax': 'masked'}),
    'BPKD-class-sum': (DISTILL_CONFIGS['BPKD'], {f'{BPKD_LOSS}.edge_reduction': 'class_sum'}),
    # a diagnostic, not a setting to use: the body term at mmrazor's CWD scale (tau=1, weight 5) instead of 4 / 20
    'BPKD-body-tau1-w5': (DISTILL_CONFIGS['BPKD'], {f'{BPKD_LOSS}.body_tau': 1.0, f'{BPKD_LOSS}.body_weight': 5.0}),
}
METRICS = (('mIoU', 'mIoU'), ('trimap/mIoU', 'trimap mIoU'))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2], help='training seeds (>= 1)')
    parser.add_argument('--iters', type=int, default=600, help='training iterations of every stage')
    parser.add_argument('--teacher-iters', type=int, help='teacher iterations (default: --iters)')
    parser.add_argument('--methods', nargs='+', default=['student', 'CWD', 'BPKD'], choices=list(METHODS))
    parser.add_argument('--work-dir', default='work_dirs/seg_kd_quality')
    parser.add_argument('--data-root', default='data/synthetic_city')
    parser.add_argument('--num-train', type=int, default=100, help='training images to generate')
    parser.add_argument('--num-val', type=int, default=30, help='validation images to generate')
    parser.add_argument('--teacher-ckpt', help='a trained demo teacher (trained here when omitted)')
    parser.add_argument('--fresh', action='store_true', help='discard the stored results of earlier runs')
    parser.add_argument('--workers', type=int, help='dataloader worker processes (default: the configs\' 2)')
    return parser.parse_args(argv)


def mean_std(values: List[float]) -> str:
    """``mean ± sample std`` with two decimals (std 0 for a single value)."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{statistics.mean(values):.2f} ± {std:.2f}'


class ResultStore:
    """Finished stages' metrics in a JSON file, so that a run resumes and methods can be added later."""

    def __init__(self, path: str, fresh: bool) -> None:
        self.path = path
        self.results: Dict[str, dict] = {}
        if osp.isfile(path) and not fresh:
            with open(path) as f:
                self.results = json.load(f)

    @staticmethod
    def key(method: str, seed: int, iters: int) -> str:
        return f'{method}/seed{seed}/iters{iters}'

    def get(self, method: str, seed: int, iters: int) -> Optional[dict]:
        return self.results.get(self.key(method, seed, iters))

    def put(self, method: str, seed: int, iters: int, metrics: dict) -> None:
        self.results[self.key(method, seed, iters)] = metrics
        os.makedirs(osp.dirname(self.path) or '.', exist_ok=True)
        with open(self.path, 'w') as f:
            json.dump(self.results, f, indent=1, sort_keys=True)


def set_workers(cfg, workers: Optional[int]) -> None:
    """Dataloader workers of every loader (0: none, e.g. for a smoke run where spawning them costs most)."""
    if workers is None:
        return
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = workers
        cfg[loader].persistent_workers = workers > 0


def run_stage(store: ResultStore, method: str, seed: int, args: argparse.Namespace, teacher_ckpt: str) -> dict:
    """Train and test one (method, seed), or return its stored metrics."""
    stored = store.get(method, seed, args.iters)
    if stored is not None:
        print(f'[seg_kd_quality] {method} seed {seed}: stored result {stored}', flush=True)
        return stored
    config_path, options = METHODS[method]
    cfg = demo_stage_config(config_path, osp.join(args.work_dir, f'{method.lower()}_seed{seed}'), args.data_root,
                            args.iters, seed)
    if options:
        cfg.merge_from_dict(options)
    set_workers(cfg, args.workers)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = teacher_ckpt
    start = time.time()
    metrics = train_and_test(cfg)
    result = {name: float(metrics[name]) for name, _ in METRICS}
    result['minutes'] = (time.time() - start) / 60
    store.put(method, seed, args.iters, result)
    print(f'[seg_kd_quality] {method} seed {seed}: {result}', flush=True)
    return result


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    if not args.seeds:
        raise SystemExit('--seeds needs at least one seed')
    start, load_start = time.time(), os.getloadavg()
    ensure_synthetic_city(args.data_root, args.num_train, args.num_val, seed=0)
    store = ResultStore(osp.join(args.work_dir, 'results.json'), args.fresh)

    teacher_ckpt = args.teacher_ckpt
    teacher_metrics = None
    if teacher_ckpt is None:
        teacher_iters = args.teacher_iters or args.iters
        teacher_cfg = demo_stage_config(TEACHER_CONFIG, osp.join(args.work_dir, 'teacher'), args.data_root,
                                        teacher_iters, 0)
        set_workers(teacher_cfg, args.workers)
        teacher_ckpt = osp.join(teacher_cfg.work_dir, f'iter_{teacher_iters}.pth')
        teacher_metrics = store.get('teacher', 0, teacher_iters)
        if teacher_metrics is None or not osp.isfile(teacher_ckpt):
            metrics = train_and_test(teacher_cfg)
            teacher_metrics = {name: float(metrics[name]) for name, _ in METRICS}
            store.put('teacher', 0, teacher_iters, teacher_metrics)

    results = {method: {} for method in args.methods}
    for seed in args.seeds:  # seed-major: an interrupted run leaves complete seeds (all methods) behind
        for method in args.methods:
            results[method][seed] = run_stage(store, method, seed, args, teacher_ckpt)

    lines = [f'Synthetic city val ({args.num_val} images), {args.iters} iterations per stage, seeds {args.seeds}, '
             f'one teacher (seed 0); {(time.time() - start) / 60:.1f} min, {torch.get_num_threads()} threads, '
             f'load average {load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end '
             f'({time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})']
    table = PrettyTable(['model', 'n', 'mIoU', 'trimap mIoU', 'min / run'])
    for method in args.methods:
        runs = [results[method][seed] for seed in args.seeds]
        table.add_row([method, len(runs)] + [mean_std([run[key] for run in runs]) for key, _ in METRICS] +
                      [f'{statistics.mean(run["minutes"] for run in runs):.1f}'])
    if teacher_metrics is not None:
        table.add_row(['teacher', 1] + [f'{teacher_metrics[key]:.2f}' for key, _ in METRICS] + ['-'])
    lines.append(str(table))

    # paired differences: every BPKD form to CWD, and every BPKD variant to BPKD
    pairs = [(method, 'CWD') for method in args.methods if method.startswith('BPKD') and 'CWD' in args.methods]
    pairs += [(method, 'BPKD') for method in args.methods if method.startswith('BPKD-') and 'BPKD' in args.methods]
    if pairs:
        paired = PrettyTable(['difference', 'metric'] + [f'seed {seed}' for seed in args.seeds] + ['mean ± std'])
        for method, reference in pairs:
            for key, label in METRICS:
                diffs = [results[method][seed][key] - results[reference][seed][key] for seed in args.seeds]
                paired.add_row([f'{method} - {reference}', label] + [f'{d:+.2f}' for d in diffs] +
                               [mean_std(diffs)])
        lines.append(f'Paired per seed:\n{paired}')
    report = '\n'.join(lines)
    print(report, flush=True)
    return report


if __name__ == '__main__':
    main(sys.argv[1:])
