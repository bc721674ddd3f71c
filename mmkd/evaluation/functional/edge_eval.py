# Copyright (c) mmkd contributors. All rights reserved.
"""The BSDS boundary benchmark: per-image counts at N thresholds, then ODS / OIS / AP / R50 over a dataset.

Martin, Fowlkes & Malik, TPAMI 2004 and Arbelaez, Maire, Fowlkes & Malik, "Contour Detection and Hierarchical Image
Segmentation", TPAMI 2011 (``evaluation_bdry_image.m``, ``collect_eval_bdry.m`` of the BSDS500 code); the AP and
R50 definitions of Dollar & Zitnick's Structured Edge toolbox (``edgesEvalDir.m``), which gives the same ODS/OIS.
"""
from typing import Dict, Optional, Sequence, Union

import numpy as np

from .edge_matching import CostMatrixBuffer, EdgeMatcher
from .edge_nms import edge_nms
from .edge_thinning import thin_edges, thin_nested_edges

#: Columns of the per-image count arrays returned by :func:`evaluate_edge_image`.
COUNT_COLUMNS = ('matched_gt', 'gt', 'matched_pred', 'pred')

ThresholdsType = Union[int, Sequence[float], np.ndarray]


def edge_thresholds(thresholds: ThresholdsType = 99) -> np.ndarray:
    """The benchmark's thresholds: ``linspace(1 / (N + 1), 1 - 1 / (N + 1), N)`` for an integer N, else as given.

    Args:
        thresholds (int | Sequence[float]): N (99 in the benchmark) or the thresholds themselves, increasing, in
            (0, 1]. Defaults to 99.

    Returns:
        np.ndarray: [T] float64 thresholds.
    """
    if isinstance(thresholds, (int, np.integer)) and not isinstance(thresholds, bool):
        if thresholds < 1:
            raise ValueError(f'The number of thresholds must be >= 1, got {thresholds}.')
        if thresholds == 1:
            return np.array([0.5])
        return np.linspace(1 / (thresholds + 1), 1 - 1 / (thresholds + 1), int(thresholds))
    values = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    if values.size == 0 or np.any(np.diff(values) <= 0) or values[0] <= 0 or values[-1] > 1:
        raise ValueError(f'thresholds must be an integer count or an increasing sequence in (0, 1], got {thresholds}.')
    return values


def _as_probability_map(pred: np.ndarray) -> np.ndarray:
    pred = np.asarray(pred)
    if pred.ndim == 3 and pred.shape[0] == 1:
        pred = pred[0]
    if pred.ndim != 2:
        raise ValueError(f'An edge prediction must be [H, W] (or [1, H, W]), got shape {pred.shape}.')
    if pred.dtype == np.uint8:  # a PNG, read as the benchmark reads it: value / 255
        return pred.astype(np.float64) / 255
    if pred.dtype == np.uint16:
        return pred.astype(np.float64) / 65535
    pred = pred.astype(np.float64)
    if not np.all(np.isfinite(pred)) or pred.min() < 0 or pred.max() > 1:
        raise ValueError(f'An edge prediction must hold probabilities in [0, 1] (sigmoid of the logits), got values in '
                         f'[{np.nanmin(pred):.4g}, {np.nanmax(pred):.4g}].')
    return pred


def evaluate_edge_image(pred: np.ndarray,
                        gt_boundaries: Sequence[np.ndarray],
                        thresholds: ThresholdsType = 99,
                        max_dist: float = 0.0075,
                        thin: bool = True,
                        nms: bool = False,
                        nms_radius: int = 2,
                        nms_presmooth: float = 0,
                        reuse_matchings: bool = True,
                        max_exact_size: Optional[int] = None) -> np.ndarray:
    """Per-threshold match counts of one image, as the benchmark's ``evaluation_bdry_image``.

    For each threshold t: ``B = thin(P >= t)``; for each annotator k, ``match_edges(B, G_k)``; then
    ``matched_gt = sum_k |matched pixels of G_k|``, ``gt = sum_k |G_k|`` (recall counts over all annotators' pixels),
    ``matched_pred = |pixels of B matched to at least one annotator|``, ``pred = |B|``. ``R = matched_gt / gt``,
    ``P = matched_pred / pred``.

    Args:
        pred (np.ndarray): [H, W] (or [1, H, W]) edge probabilities in [0, 1]; a uint8 map (a PNG) is divided by 255,
            a uint16 one by 65535, as the benchmark reads PNGs.
        gt_boundaries (Sequence[np.ndarray]): K >= 1 binary [H, W] boundary maps, one per annotator.
        thresholds (int | Sequence[float]): see :func:`edge_thresholds`. Defaults to 99.
        max_dist (float): match distance as a fraction of the image diagonal. Defaults to 0.0075.
        thin (bool): thin each binarised map (``bwmorph 'thin'``) before matching. Defaults to True.
        nms (bool): apply :func:`edge_nms` to the prediction first. Defaults to False (predictions already thinned,
            as the benchmark expects; :class:`mmkd.EdgeMetric` turns it on).
        nms_radius (int): NMS radius r. Defaults to 2 (RCF's setting).
        nms_presmooth (float): ``convTri`` radius before NMS, 0 for none. Defaults to 0.
        reuse_matchings (bool): solve each connected component of the pair graph once across thresholds
            (:class:`EdgeMatcher`); the counts are the same either way, ``False`` solves every threshold afresh
            (kept to check and benchmark). Defaults to True.
        max_exact_size (int, optional): an assignment component of the matching with more than this many
            (prediction x ground-truth) pixel pairs is matched blockwise (maximum cardinality still exact, minimum
            distance only within blocks, see :class:`EdgeMatcher`); None: always the exact minimum distance.
            Defaults to None. 250000 is the tested setting: on the 5 real BSDS bench maps at 99 thresholds with
            NMS it moves ODS / OIS / AP by +5.1e-5 / +5.3e-5 / +6.4e-5 (recall counts unchanged) at 0.77x the
            CPU time of the exact default (``benchmarks/edge_eval_speed.py``); on those maps at 5 thresholds
            without NMS it moves ODS from 0.70472 to 0.70475, so the MATLAB reproduction tests use the exact default.

    Returns:
        np.ndarray: [T, 4] int64 counts, columns :data:`COUNT_COLUMNS` (``matched_gt, gt, matched_pred, pred``).
    """
    prob = _as_probability_map(pred)
    if len(gt_boundaries) == 0:
        raise ValueError('The ground truth has zero annotators: an image needs at least one boundary map to be '
                         'evaluated (a BSDS .mat file with an empty groundTruth cell?).')
    gts = [np.asarray(gt) != 0 for gt in gt_boundaries]
    for k, gt in enumerate(gts):
        if gt.shape != prob.shape:
            raise ValueError(f'Annotator {k} has a boundary map of shape {gt.shape} but the prediction is '
                             f'{prob.shape}: predictions must be at the original image size.')
    if nms:
        prob = edge_nms(prob, radius=nms_radius, presmooth_radius=nms_presmooth)
    thrs = edge_thresholds(thresholds)
    gt_total = int(sum(gt.sum() for gt in gts))
    counts = np.zeros((len(thrs), 4), dtype=np.int64)
    # every thinned map is a subset of the lowest threshold's binary map: one k-d tree search per annotator
    cost_buffer = CostMatrixBuffer()  # the annotators' dense assignments run one at a time: one buffer for all
    matchers = [EdgeMatcher(gt, prob >= thrs[0], max_dist, reuse_matchings, max_exact_size, cost_buffer)
                for gt in gts]
    previous_binary = previous = None
    for t, threshold in enumerate(thrs):
        binary = prob >= threshold
        if previous_binary is not None and np.array_equal(binary, previous_binary):
            # no pixel between these two thresholds (common near 1): same map, same counts
            counts[t] = counts[t - 1]
            continue
        if thin:
            if previous_binary is None:
                thinned = thin_edges(binary)
            else:  # previous = thin(previous_binary), and binary is inside previous_binary
                thinned = thin_nested_edges(binary, previous_binary, previous)
            previous_binary = binary
            binary = thinned
        else:
            previous_binary = binary
        if previous is not None and np.array_equal(binary, previous):
            counts[t] = counts[t - 1]
            continue
        previous = binary
        pred_any = np.zeros(binary.shape, dtype=bool)
        matched_gt = 0
        for matcher in matchers:
            pred_matched, gt_matched = matcher(binary)
            pred_any |= pred_matched
            matched_gt += int(gt_matched.sum())
        counts[t] = (matched_gt, gt_total, int(pred_any.sum()), int(binary.sum()))
    return counts


def _rpf(counts: np.ndarray):
    """Recall, precision, F from [..., 4] counts, as ``computeRPF`` (0 where a denominator is 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    eps = np.finfo(np.float64).eps
    recall = counts[..., 0] / np.maximum(eps, counts[..., 1])
    precision = counts[..., 2] / np.maximum(eps, counts[..., 3])
    f = 2 * precision * recall / np.maximum(eps, precision + recall)
    return recall, precision, f


def _best_interpolated(thrs: np.ndarray, recall: np.ndarray, precision: np.ndarray):
    """Best F on the PR curve linearly interpolated between consecutive thresholds (100 steps), as ``findBestRPF``."""
    if len(thrs) == 1:
        f = 2 * precision * recall / np.maximum(np.finfo(np.float64).eps, precision + recall)
        return float(thrs[0]), float(recall[0]), float(precision[0]), float(f[0])
    a = np.linspace(0, 1, 100)[None]
    r = recall[1:, None] * a + recall[:-1, None] * (1 - a)
    p = precision[1:, None] * a + precision[:-1, None] * (1 - a)
    t = thrs[1:, None] * a + thrs[:-1, None] * (1 - a)
    f = 2 * p * r / np.maximum(np.finfo(np.float64).eps, p + r)
    k = np.unravel_index(np.argmax(f), f.shape)  # the first maximum, as the MATLAB loop's strict '>'
    return float(t[k]), float(r[k]), float(p[k]), float(f[k])


def _unique_last(values: np.ndarray) -> np.ndarray:
    """Indices of the sorted unique values, keeping the last occurrence (MATLAB ``unique`` before R2013a)."""
    reversed_values = values[::-1]
    _, first_in_reversed = np.unique(reversed_values, return_index=True)
    return len(values) - 1 - first_in_reversed


def _interp_or_nan(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """MATLAB ``interp1`` (linear): NaN outside [xp[0], xp[-1]]."""
    out = np.interp(x, xp, fp)
    out[(x < xp[0]) | (x > xp[-1])] = np.nan
    return out


def summarize_edge_results(image_counts: Union[Sequence[np.ndarray], np.ndarray],
                           thresholds: ThresholdsType = 99,
                           ods_mode: str = 'interp') -> Dict[str, Union[float, np.ndarray]]:
    """ODS, OIS, AP and R50 from the per-image counts of :func:`evaluate_edge_image`.

    With per-threshold counts summed over the dataset, ``R(t) = sum matched_gt / sum gt``,
    ``P(t) = sum matched_pred / sum pred``, ``F = 2PR / (P + R)``:

    - ODS (optimal dataset scale): the best F over thresholds. ``ods_mode='interp'`` searches the PR curve linearly
      interpolated between consecutive thresholds (100 steps each), as the BSDS benchmark (``maxF``) and the
      Structured Edge toolbox (``findBestRPF``) do; ``'argmax'`` takes the best of the T thresholds themselves (the
      evaluation repository the 2020 edge article's author used). Interpolation can only give an equal or higher F.
    - OIS (optimal image scale): for each image the threshold of its best F (first one on ties, no interpolation),
      those counts summed over images, then R, P, F.
    - AP: ``interp1(R, P, 0:0.01:1)`` over the unique recalls (last occurrence kept), the sum of the defined (non-NaN)
      values divided by 100 (the toolbox's definition; the BSDS code's "area under PR" is the same number).
    - R50: recall at precision 0.5 (at the lowest precision reached when that is above 0.5; NaN if 0.5 is never
      reached), by ``interp1`` over the unique precisions.

    Args:
        image_counts (Sequence[np.ndarray] | np.ndarray): N arrays [T, 4] (or one [N, T, 4]).
        thresholds (int | Sequence[float]): the thresholds the counts were computed at. Defaults to 99.
        ods_mode (str): ``'interp'`` or ``'argmax'``. Defaults to ``'interp'``.

    Returns:
        dict: floats ``ods_f, ods_p, ods_r, ods_threshold, ois_f, ois_p, ois_r, ap, r50``; arrays ``thresholds`` [T],
        ``recall``, ``precision``, ``f`` [T] (the dataset PR curve), ``image_best`` [N, 4] (per image: threshold,
        R, P, F at its interpolated best, as ``eval_bdry_img.txt``) and ``image_best_index`` [N] (the threshold
        index each image contributes to OIS).
    """
    if ods_mode not in ('interp', 'argmax'):
        raise ValueError(f"ods_mode must be 'interp' or 'argmax', got {ods_mode!r}.")
    thrs = edge_thresholds(thresholds)
    counts = np.asarray(image_counts, dtype=np.int64)
    if counts.ndim != 3 or counts.shape[1:] != (len(thrs), 4) or counts.shape[0] == 0:
        raise ValueError(f'image_counts must be N >= 1 arrays of shape [T={len(thrs)}, 4] (counts at each threshold), '
                         f'got an array of shape {counts.shape}.')
    recall_i, precision_i, f_i = _rpf(counts)
    best_index = np.argmax(f_i, axis=1)
    image_best = np.array([_best_interpolated(thrs, recall_i[n], precision_i[n]) for n in range(len(counts))])
    ois_r, ois_p, ois_f = _rpf(counts[np.arange(len(counts)), best_index].sum(axis=0))

    total = counts.sum(axis=0)
    recall, precision, f = _rpf(total)
    if ods_mode == 'interp':
        ods_t, ods_r, ods_p, ods_f = _best_interpolated(thrs, recall, precision)
    else:
        k = int(np.argmax(f))
        ods_t, ods_r, ods_p, ods_f = float(thrs[k]), float(recall[k]), float(precision[k]), float(f[k])

    ap = 0.0
    keep = _unique_last(recall)
    if len(keep) > 1:
        ap_values = _interp_or_nan(np.linspace(0, 1, 101), recall[keep], precision[keep])
        ap = float(np.nansum(ap_values) / 100)
    keep = _unique_last(precision)
    if len(keep) > 1:
        r50 = float(_interp_or_nan(np.array([max(precision[keep][0], 0.5)]), precision[keep], recall[keep])[0])
    else:
        r50 = float(recall[keep][0])
    return dict(
        ods_f=ods_f, ods_p=ods_p, ods_r=ods_r, ods_threshold=ods_t,
        ois_f=float(ois_f), ois_p=float(ois_p), ois_r=float(ois_r),
        ap=ap, r50=r50,
        thresholds=thrs, recall=recall, precision=precision, f=f,
        image_best=image_best, image_best_index=best_index)
