# Copyright (c) mmkd contributors. All rights reserved.
"""CPU time of the BSDS edge evaluator per image, on the real BSDS bench maps, measured in one run.

``mmkd.evaluation.functional.evaluate_edge_image`` (NMS, 99 thresholds, thinning, matching against every annotator)
on the 5 real annotations and soft maps of ``tests/data/bsds500_bench`` (the BSDS500 benchmark's own test data), in
three modes, interleaved per image:

  * ``before`` (with ``--baseline-rev REV``): ``evaluate_edge_image`` of ``mmkd/evaluation/functional`` as it was at
    git revision REV (read with ``git show``, imported from a temporary folder), e.g. ``0ad9a0d`` (before the
    component reuse) or ``5e861aa`` (before the wide dense assignment, the one-pass pruning and the cost buffer);
  * ``fresh``: every threshold's matching solved from scratch (``reuse_matchings=False``);
  * ``reuse``: components of the pair graph solved once across thresholds (the default; must give identical counts);
  * ``fast``: ``reuse`` plus the greedy-and-augment matching for assignment components above ``--max-exact-size``
    pairs x pixels (exact maximum cardinality, approximate minimum distance; prints how far ODS/OIS/AP move).

Process CPU time (``time.process_time``), medians over images and repeats (the machine is shared), and ratios to
the first mode, which is the honest number on a noisy machine. Run it with ``OMP_NUM_THREADS=1`` (per-core time).

pyEdgeEval (the Cython wrapper of the original ``correspondPixels``) is not installed here (GPL-2.0 and MSR
non-commercial code), so it is not timed in this run: the last lines divide the reference measurement of it, ~63 s
of CPU per image *in matching alone* at 99 thresholds on an idle machine (``--pyedgeeval-seconds``), by this run's
median of the whole evaluation (NMS, thinning and matching) of each mode (``reuse`` is the exact default). Those
ratios compare runs on different machine states (this one shared) and say so; only the ratios between modes come
from one interleaved run.

    OMP_NUM_THREADS=1 python benchmarks/edge_eval_speed.py [--baseline-rev 5e861aa] [--repeats 1] \
        [--thresholds 99] [--max-exact-size 250000] [--pyedgeeval-seconds 63]
"""
import argparse
import glob
import importlib.util
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List

import cv2
import numpy as np

from mmkd.evaluation.functional import evaluate_edge_image, load_bsds_boundaries, summarize_edge_results

BENCH = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'tests', 'data', 'bsds500_bench')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--bench-data', default=BENCH, help='folder with groundTruth/*.mat and png/*.png')
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--thresholds', type=int, default=99)
    parser.add_argument('--max-exact-size', type=int, default=250000, help='the fast mode\'s limit')
    parser.add_argument('--modes', nargs='+', default=['fresh', 'reuse', 'fast'], choices=['fresh', 'reuse', 'fast'])
    parser.add_argument('--baseline-rev', help='also time the evaluator of this git revision (first, as "before")')
    parser.add_argument('--pyedgeeval-seconds', type=float, default=63.0,
                        help='reference CPU s/image of pyEdgeEval\'s matching at 99 thresholds (idle machine, '
                             'not measured in this run)')
    return parser.parse_args()


def load_baseline_evaluator(rev: str, tmp_dir: str) -> Callable:
    """``evaluate_edge_image`` of ``mmkd/evaluation/functional`` at git revision ``rev``, as a separate package."""
    repo = osp.dirname(osp.dirname(osp.abspath(__file__)))
    folder = 'mmkd/evaluation/functional'
    names = subprocess.run(['git', 'ls-tree', '--name-only', f'{rev}:{folder}'], cwd=repo, check=True,
                           capture_output=True, text=True).stdout.split()
    package_dir = osp.join(tmp_dir, 'baseline_edge_functional')
    os.makedirs(package_dir)
    for name in names:
        source = subprocess.run(['git', 'show', f'{rev}:{folder}/{name}'], cwd=repo, check=True,
                                capture_output=True, text=True).stdout
        with open(osp.join(package_dir, name), 'w') as file:
            file.write(source)
    spec = importlib.util.spec_from_file_location('baseline_edge_functional', osp.join(package_dir, '__init__.py'),
                                                  submodule_search_locations=[package_dir])
    module = importlib.util.module_from_spec(spec)
    sys.modules['baseline_edge_functional'] = module
    spec.loader.exec_module(module)
    return module.evaluate_edge_image


def main() -> None:
    args = parse_args()
    mats = sorted(glob.glob(osp.join(args.bench_data, 'groundTruth', '*.mat')))
    if not mats:
        raise FileNotFoundError(f'No groundTruth/*.mat under {args.bench_data}.')
    options = dict(fresh=dict(reuse_matchings=False), reuse=dict(), fast=dict(max_exact_size=args.max_exact_size))
    evaluators = {mode: evaluate_edge_image for mode in args.modes}
    if args.baseline_rev:
        tmp_dir = tempfile.mkdtemp(prefix='edge_eval_baseline_')
        args.modes = ['before'] + list(args.modes)
        evaluators['before'] = load_baseline_evaluator(args.baseline_rev, tmp_dir)
        options['before'] = dict()
    seconds: Dict[str, List[float]] = {mode: [] for mode in args.modes}
    counts: Dict[str, List[np.ndarray]] = {mode: [] for mode in args.modes}
    for mat in mats:
        name = osp.splitext(osp.basename(mat))[0]
        png = osp.join(args.bench_data, 'png', name + '.png')
        pred = cv2.imread(png, cv2.IMREAD_GRAYSCALE)
        if pred is None:
            raise FileNotFoundError(f'Cannot read the soft map {png} for {mat}.')
        boundaries = load_bsds_boundaries(mat)
        for repeat in range(args.repeats):
            for mode in args.modes:
                start = time.process_time()
                result = evaluators[mode](pred, boundaries, thresholds=args.thresholds, nms=True, **options[mode])
                seconds[mode].append(time.process_time() - start)
                if repeat == 0:
                    counts[mode].append(result)
        print(name, ' '.join(f'{mode} {seconds[mode][-1]:.2f}s' for mode in args.modes), flush=True)
    base = args.modes[0]
    base_median = statistics.median(seconds[base])
    print(f'\nCPU s/image (median of {len(mats)} images x {args.repeats}, NMS + {args.thresholds} thresholds):')
    for mode in args.modes:
        median = statistics.median(seconds[mode])
        print(f'  {mode:6s} {median:6.2f} s   {base_median / median:5.2f}x faster than {base}')
    summaries = {mode: summarize_edge_results(counts[mode], args.thresholds) for mode in args.modes}
    for mode in args.modes[1:]:
        same = all(np.array_equal(a, b) for a, b in zip(counts[mode], counts[base]))
        moves = ', '.join(f'{key} {summaries[mode][key] - summaries[base][key]:+.2e}'
                          for key in ('ods_f', 'ois_f', 'ap', 'r50'))
        print(f'  {mode} vs {base}: counts identical: {same}; {moves}')
    print(f'  ODS {summaries[base]["ods_f"]:.4f} OIS {summaries[base]["ois_f"]:.4f} AP {summaries[base]["ap"]:.4f} '
          f'({base})')
    if args.thresholds == 99:
        for mode in args.modes:
            print(f'  {mode} vs pyEdgeEval\'s matching ({args.pyedgeeval_seconds:g} s/image, idle machine, not this '
                  f'run): {args.pyedgeeval_seconds / statistics.median(seconds[mode]):.1f}x faster per core')


if __name__ == '__main__':
    main()
