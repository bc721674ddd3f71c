# Copyright (c) mmkd contributors. All rights reserved.
"""Evaluate a folder of edge-map PNGs against BSDS500 ``.mat`` ground truth (the BSDS boundary benchmark).

    python tools/analysis_tools/eval_edges.py PRED_DIR GT_DIR [--out-dir DIR] [--thresholds 99] [--nms]
        [--nms-radius 2] [--nms-presmooth 0] [--no-thin] [--max-dist 0.0075] [--ods-mode interp] [--workers 2]

Every ``GT_DIR/<id>.mat`` needs ``PRED_DIR/<id>.png``: a grey PNG, edge probability = value / 255 (uint16: / 65535),
at the image's size, as the BSDS benchmark reads results. Like the benchmark, no NMS is applied unless ``--nms``
(use it for raw network outputs; RCF/HED's published PNGs are already NMS-thinned). Prints ODS / OIS / AP / R50
and, with ``--out-dir``, writes the benchmark's files (``eval_bdry.txt``: ODS T R P F, OIS R P F, AP;
``eval_bdry_thr.txt``: T R P F per threshold; ``eval_bdry_img.txt``: id T R P F per image; same layout as
``boundaryBench``/``edgesEvalDir``), ``eval_counts.npy`` (the per-image counts) and ``pr_curve.png``.
"""
import argparse
import glob
import os
import os.path as osp
import sys
import time
from typing import List, Tuple

import cv2
import numpy as np
from joblib import Parallel, delayed

from mmkd.evaluation.functional import evaluate_edge_image, load_bsds_boundaries, summarize_edge_results


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('pred_dir', help='folder of <id>.png edge maps')
    parser.add_argument('gt_dir', help='folder of BSDS <id>.mat ground truth (e.g. BSDS500/data/groundTruth/test)')
    parser.add_argument('--out-dir', help='write eval_bdry*.txt, eval_counts.npy and pr_curve.png here')
    parser.add_argument('--thresholds', type=int, default=99, help='number of thresholds (default: 99)')
    parser.add_argument('--max-dist', type=float, default=0.0075, help='tolerance, fraction of the diagonal')
    parser.add_argument('--nms', action='store_true', help='apply Structured-Edge NMS to the maps first')
    parser.add_argument('--nms-radius', type=int, default=2, help='NMS radius (RCF: 2, HED: 1; default: 2)')
    parser.add_argument('--nms-presmooth', type=float, default=0, help='convTri radius before NMS (HED: 1)')
    parser.add_argument('--no-thin', action='store_true', help='do not thin the binarised maps')
    parser.add_argument('--ods-mode', choices=['interp', 'argmax'], default='interp',
                        help='ODS on the interpolated PR curve (benchmark, default) or at the thresholds')
    parser.add_argument('--workers', type=int, default=2, help='parallel processes (default: 2)')
    parser.add_argument('--max-exact-size', type=int, default=None,
                        help='match assignment components above this many entries blockwise: exact cardinality, '
                        'approximate distance, ~2x faster (250000 moved ODS/OIS/AP by < 1e-4 on the real bench '
                        'maps); default: always exact')
    return parser.parse_args(argv)


def read_edge_png(path: str) -> np.ndarray:
    """A grey edge PNG as uint8/uint16 [H, W] (colour PNGs are converted to grey)."""
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise FileNotFoundError(f'Cannot read the edge map {path}.')
    if image.ndim == 3:
        image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY)
    return image


def pair_files(pred_dir: str, gt_dir: str) -> List[Tuple[str, str, str]]:
    """(id, png, mat) for every ``.mat`` of ``gt_dir``; an error lists the ids without a prediction."""
    for folder in (pred_dir, gt_dir):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{folder} is not a folder.')
    mats = sorted(glob.glob(osp.join(gt_dir, '*.mat')))
    if not mats:
        raise FileNotFoundError(f'No .mat ground truth in {gt_dir}.')
    pairs = [(osp.basename(m)[:-4], osp.join(pred_dir, osp.basename(m)[:-4] + '.png'), m) for m in mats]
    missing = [name for name, png, _ in pairs if not osp.isfile(png)]
    if missing:
        raise FileNotFoundError(f'{len(missing)} of {len(pairs)} ground-truth files have no <id>.png in {pred_dir}: '
                                f'{missing[:10]}{" ..." if len(missing) > 10 else ""}')
    return pairs


def evaluate_pair(png: str, mat: str, options: dict) -> np.ndarray:
    """Per-threshold counts of one prediction / ground-truth pair; errors name both files."""
    try:
        return evaluate_edge_image(read_edge_png(png), load_bsds_boundaries(mat), **options)
    except ValueError as error:
        raise ValueError(f'{png} vs {mat}: {error}') from error


def write_benchmark_files(out_dir: str, names: List[str], summary: dict, counts: np.ndarray) -> None:
    """The benchmark's three result files (``%10g`` columns), the raw counts and the PR curve."""
    from mmkd.evaluation.metrics.edge_metric import plot_pr_curve
    os.makedirs(out_dir, exist_ok=True)

    def write(name, rows):
        with open(osp.join(out_dir, name), 'w') as file:
            for row in np.atleast_2d(rows):
                file.write(' '.join(f'{v:10g}' for v in row) + '\n')

    write('eval_bdry.txt', [[summary[k] for k in ('ods_threshold', 'ods_r', 'ods_p', 'ods_f', 'ois_r', 'ois_p',
                                                  'ois_f', 'ap')]])
    write('eval_bdry_thr.txt', np.c_[summary['thresholds'], summary['recall'], summary['precision'], summary['f']])
    write('eval_bdry_img.txt', np.c_[np.arange(1, len(names) + 1), summary['image_best']])
    with open(osp.join(out_dir, 'eval_bdry_img_ids.txt'), 'w') as file:
        file.write('\n'.join(names) + '\n')
    np.save(osp.join(out_dir, 'eval_counts.npy'), counts)
    plot_pr_curve(summary, osp.join(out_dir, 'pr_curve.png'), label=osp.basename(osp.normpath(out_dir)))


def main(argv=None) -> dict:
    args = parse_args(argv)
    pairs = pair_files(args.pred_dir, args.gt_dir)
    options = dict(thresholds=args.thresholds, max_dist=args.max_dist, thin=not args.no_thin, nms=args.nms,
                   nms_radius=args.nms_radius, nms_presmooth=args.nms_presmooth, max_exact_size=args.max_exact_size)
    print(f'Evaluating {len(pairs)} images: {args.thresholds} thresholds, max_dist {args.max_dist}, '
          f'nms={args.nms}' + (f' (r={args.nms_radius}, presmooth={args.nms_presmooth})' if args.nms else '')
          + f', thin={not args.no_thin}, {args.workers} workers', flush=True)
    start = time.time()
    jobs = (delayed(evaluate_pair)(png, mat, options) for _, png, mat in pairs)
    # fork-based workers inherit the imported modules (loky would re-import torch/mmseg in each worker)
    counts = np.stack(Parallel(n_jobs=min(args.workers, len(pairs)), backend='multiprocessing')(jobs))
    summary = summarize_edge_results(counts, args.thresholds, ods_mode=args.ods_mode)
    print(f"ODS F {summary['ods_f']:.4f} (P {summary['ods_p']:.4f}, R {summary['ods_r']:.4f}, "
          f"threshold {summary['ods_threshold']:.4f}, {args.ods_mode})")
    print(f"OIS F {summary['ois_f']:.4f} (P {summary['ois_p']:.4f}, R {summary['ois_r']:.4f})")
    print(f"AP {summary['ap']:.4f}  R50 {summary['r50']:.4f}")
    print(f'{time.time() - start:.1f} s for {len(pairs)} images')
    if args.out_dir:
        write_benchmark_files(args.out_dir, [name for name, _, _ in pairs], summary, counts)
        print(f'Wrote eval_bdry.txt, eval_bdry_thr.txt, eval_bdry_img.txt, pr_curve.png to {args.out_dir}')
    return summary


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as error:
        sys.exit(f'eval_edges: {error}')
