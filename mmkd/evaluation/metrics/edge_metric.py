# Copyright (c) mmkd contributors. All rights reserved.
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from joblib import Parallel, delayed
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmengine.utils import ProgressBar

from mmkd.evaluation.functional import edge_nms, edge_thresholds, evaluate_edge_image, summarize_edge_results
from mmkd.registry import METRICS


@METRICS.register_module()
class EdgeMetric(BaseMetric):
    """ODS / OIS / AP / R50 of edge maps with the BSDS benchmark protocol.

    Martin, Fowlkes & Malik, TPAMI 2004; Arbelaez et al., TPAMI 2011 (the BSDS500 boundary benchmark); NMS, AP and
    R50 as in Dollar & Zitnick's Structured Edge toolbox (TPAMI 2015). Per image: optional NMS of the predicted
    probabilities (:func:`mmkd.evaluation.functional.edge_nms`), then at each of T thresholds binarisation
    (``P >= t``), thinning and one-to-one matching against each annotator within ``max_dist`` x the image diagonal
    (:func:`~mmkd.evaluation.functional.evaluate_edge_image`); over the dataset
    (:func:`~mmkd.evaluation.functional.summarize_edge_results`)::

        R(t) = sum_images sum_annotators |matched GT pixels| / sum_images sum_annotators |GT pixels|
        P(t) = sum_images |predicted pixels matched to any annotator| / sum_images |predicted pixels|
        ODS = max_t F(t),  F = 2PR / (P + R);  OIS: each image at its own best t, counts summed

    Inputs (per data sample): ``pred_edge_map.data`` [1, H, W] probabilities in [0, 1] (sigmoid of the final output,
    at the original image size); ground truth ``gt_boundaries`` in the metainfo, a list of K >= 1 binary [H, W] maps
    (one per annotator, from BSDS ``.mat`` files), or, when absent, ``gt_edge_map.data > 0`` as a single annotator.

    Results (values in [0, 1], keys prefixed ``edge/``): ``ODS``, ``OIS``, ``AP``, ``R50``, ``ODS_P``, ``ODS_R``,
    ``ODS_threshold`` (the best dataset threshold), ``OIS_P``, ``OIS_R``, ``OIS_threshold_mean`` (the mean of the
    per-image best thresholds).

    The predictions are kept until the end of the evaluation (float32, 0.6 MB per BSDS image; the annotators' maps
    bit-packed) and evaluated there, in ``num_workers`` forked processes (joblib). That is where the time goes:
    about 3.7 s of CPU per 481x321 BSDS image at 99 thresholds with NMS (median of the 5 real BSDS bench maps on a
    loaded 2-core machine, ``benchmarks/edge_eval_speed.py``), 2.9 s with ``max_exact_size=250000``, so
    evaluate the 200 test images at the end (``tools/test.py``) rather than every few training iterations, or use
    fewer ``thresholds`` for quick validation.

    Args:
        thresholds (int | Sequence[float]): the number T of thresholds, ``linspace(1/(T+1), 1-1/(T+1), T)``, or the
            thresholds. Defaults to 99 (BSDS).
        max_dist (float): matching tolerance as a fraction of the image diagonal. Defaults to 0.0075 (BSDS).
        nms (bool): NMS the predictions first (what HED/RCF do before the benchmark). Defaults to True.
        nms_radius (int): NMS radius r. Defaults to 2 (RCF's BSDS setting; HED/pyEdgeEval use 1).
        nms_presmooth (float): ``convTri`` radius applied before NMS (0: none). Defaults to 0 (RCF; HED uses 1).
        thin (bool): thin each binarised map (``bwmorph 'thin'``). Defaults to True.
        max_exact_size (int, optional): match assignment components with more (prediction x ground-truth) entries
            blockwise: exact maximum cardinality, approximate minimum distance, about 2x faster; 250000 moved ODS /
            OIS / AP by < 1e-4 on the real BSDS bench maps (see ``EdgeMatcher``). None: always exact. Defaults to None.
        ods_mode (str): ``'interp'`` (the benchmark's ODS: best F on the PR curve interpolated between thresholds)
            or ``'argmax'`` (best of the thresholds themselves). Defaults to ``'interp'``.
        num_workers (int): processes evaluating images in parallel; 1 evaluates in this process. Defaults to 2.
        pr_curve_path (str, optional): where to write the dataset PR curve (PNG, matplotlib). Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``, see ``BaseMetric``. Defaults to ``'cpu'``.
        prefix (str): key prefix. Defaults to ``'edge'``.
    """

    default_prefix = 'edge'

    def __init__(self,
                 thresholds=99,
                 max_dist: float = 0.0075,
                 nms: bool = True,
                 nms_radius: int = 2,
                 nms_presmooth: float = 0,
                 thin: bool = True,
                 max_exact_size: Optional[int] = None,
                 ods_mode: str = 'interp',
                 num_workers: int = 2,
                 pr_curve_path: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = edge_thresholds(thresholds)  # validates
        if not 0 < max_dist < 1:
            raise ValueError(f'max_dist is a fraction of the image diagonal in (0, 1), got {max_dist}.')
        if ods_mode not in ('interp', 'argmax'):
            raise ValueError(f"ods_mode must be 'interp' or 'argmax', got {ods_mode!r}.")
        if int(num_workers) != num_workers or num_workers < 1:
            raise ValueError(f'num_workers must be a positive integer, got {num_workers}.')
        if nms:
            edge_nms(np.zeros((4, 4), np.float32), radius=nms_radius, presmooth_radius=nms_presmooth)  # validates
        self.max_dist = float(max_dist)
        self.nms = bool(nms)
        self.nms_radius = nms_radius
        self.nms_presmooth = nms_presmooth
        self.thin = bool(thin)
        if max_exact_size is not None and (int(max_exact_size) != max_exact_size or max_exact_size < 0):
            raise ValueError(f'max_exact_size must be None (exact matching) or a non-negative integer, '
                             f'got {max_exact_size}.')
        self.max_exact_size = max_exact_size
        self.ods_mode = ods_mode
        self.num_workers = int(num_workers)
        self.pr_curve_path = pr_curve_path

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each sample's prediction [H, W] and its annotators' boundaries (bit-packed) for ``compute_metrics``."""
        for data_sample in data_samples:
            name = data_sample.get('img_path') or f'sample {len(self.results)}'
            if 'pred_edge_map' not in data_sample:
                raise KeyError(f'EdgeMetric: {name} has no pred_edge_map (is the model an mmkd.EdgeDetector in '
                               f"'predict' mode?).")
            pred = _to_numpy(data_sample['pred_edge_map']['data'])
            if pred.ndim == 3 and pred.shape[0] == 1:
                pred = pred[0]
            if pred.ndim != 2:
                raise ValueError(f'EdgeMetric: {name}: pred_edge_map must be [1, H, W], got {tuple(pred.shape)}.')
            boundaries = data_sample.get('gt_boundaries')
            if boundaries is None:
                if 'gt_edge_map' not in data_sample:
                    raise KeyError(f'EdgeMetric: {name} has neither gt_boundaries (BSDS .mat annotators) nor '
                                   f'gt_edge_map.')
                boundaries = [_to_numpy(data_sample['gt_edge_map']['data']).reshape(pred.shape[-2:]) > 0]
            boundaries = [np.asarray(_to_numpy(b)) != 0 for b in boundaries]
            if len(boundaries) == 0:
                raise ValueError(f'EdgeMetric: {name} has zero annotators (empty gt_boundaries): it cannot be '
                                 f'evaluated.')
            for k, boundary in enumerate(boundaries):
                if boundary.shape != pred.shape:
                    raise ValueError(f'EdgeMetric: {name}: the prediction is {pred.shape} but annotator {k} is '
                                     f'{boundary.shape}; predictions must be cropped/resized to the original image.')
            if not np.all(np.isfinite(pred)) or pred.min() < 0 or pred.max() > 1:
                raise ValueError(f'EdgeMetric: {name}: pred_edge_map must hold probabilities in [0, 1], got '
                                 f'[{pred.min():.4g}, {pred.max():.4g}].')
            self.results.append(dict(
                name=name, pred=pred.astype(np.float32), shape=pred.shape,
                boundaries=[np.packbits(b) for b in boundaries]))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Evaluate every image (in parallel) and summarise: ODS, OIS, AP, R50 and the best thresholds."""
        if not results:
            raise ValueError('EdgeMetric: no samples were processed.')
        options = dict(thresholds=self.thresholds, max_dist=self.max_dist, thin=self.thin, nms=self.nms,
                       nms_radius=self.nms_radius, nms_presmooth=self.nms_presmooth,
                       max_exact_size=self.max_exact_size)
        num_workers = min(self.num_workers, len(results))
        # minutes on BSDS500: an mmengine progress bar (on stderr), updated per chunk of images
        bar = ProgressBar(len(results), file=sys.stderr) if len(results) > 1 else None
        chunk = max(1, 4 * num_workers)
        counts = []
        if num_workers > 1:
            # fork-based workers inherit the imported stack (loky would re-import torch/mmseg in each worker)
            with Parallel(n_jobs=num_workers, backend='multiprocessing') as parallel:
                for start in range(0, len(results), chunk):
                    counts += parallel(delayed(_evaluate_result)(result, options)
                                       for result in results[start:start + chunk])
                    if bar is not None:
                        bar.update(len(results[start:start + chunk]))
        else:
            for result in results:
                counts.append(_evaluate_result(result, options))
                if bar is not None:
                    bar.update()
        if bar is not None:
            sys.stderr.write('\n')
        summary = summarize_edge_results(counts, self.thresholds, ods_mode=self.ods_mode)
        metrics = dict(
            ODS=summary['ods_f'], OIS=summary['ois_f'], AP=summary['ap'], R50=summary['r50'],
            ODS_P=summary['ods_p'], ODS_R=summary['ods_r'], ODS_threshold=summary['ods_threshold'],
            OIS_P=summary['ois_p'], OIS_R=summary['ois_r'],
            OIS_threshold_mean=float(np.mean(self.thresholds[summary['image_best_index']])))
        logger = MMLogger.get_current_instance()
        logger.info(f'Edge evaluation of {len(results)} images ({len(self.thresholds)} thresholds, max_dist '
                    f'{self.max_dist}, nms={self.nms} (r={self.nms_radius}), thin={self.thin}, ODS {self.ods_mode}): '
                    + ', '.join(f'{k} {v:.4f}' for k, v in metrics.items()))
        if self.pr_curve_path:
            plot_pr_curve(summary, self.pr_curve_path)
            logger.info(f'PR curve written to {self.pr_curve_path}')
        return metrics


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().float().numpy() if value.is_floating_point() else value.detach().cpu().numpy()
    return np.asarray(value)


def _evaluate_result(result: dict, options: dict) -> np.ndarray:
    size = int(np.prod(result['shape']))
    boundaries = [np.unpackbits(b, count=size).reshape(result['shape']) for b in result['boundaries']]
    return evaluate_edge_image(result['pred'], boundaries, **options)


def plot_pr_curve(summary: dict, path: str, label: str = 'ours') -> None:
    """Write the PR curve of :func:`~mmkd.evaluation.functional.summarize_edge_results` with iso-F lines (PNG).

    Args:
        summary (dict): the output of ``summarize_edge_results``.
        path (str): the PNG to write (its folder is created).
        label (str): the legend entry of the curve. Defaults to ``'ours'``.
    """
    # the Agg canvas directly: no pyplot state, no display needed
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(5, 5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    recall_grid = np.linspace(0.01, 1, 200)
    for f in np.arange(0.1, 1.0, 0.1):
        precision = f * recall_grid / (2 * recall_grid - f)
        valid = (precision > 0) & (precision <= 1) & (2 * recall_grid > f)
        axes.plot(recall_grid[valid], precision[valid], color='0.85', linewidth=0.8)
    valid = summary['recall'] > 0
    axes.plot(summary['recall'][valid], summary['precision'][valid], color='tab:red', linewidth=2,
              label=f"{label} [ODS {summary['ods_f']:.3f}, OIS {summary['ois_f']:.3f}, AP {summary['ap']:.3f}]")
    axes.plot([summary['ods_r']], [summary['ods_p']], 'o', color='tab:red')
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel='Recall', ylabel='Precision', title='BSDS boundary benchmark')
    axes.grid(True, linewidth=0.3)
    axes.legend(loc='lower left', fontsize=8)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    figure.savefig(path)
