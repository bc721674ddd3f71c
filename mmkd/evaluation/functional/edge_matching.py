# Copyright (c) mmkd contributors. All rights reserved.
"""One-to-one matching of predicted and ground-truth edge pixels within a distance (the BSDS ``correspondPixels``)."""
import math
from typing import Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow
from scipy.spatial import cKDTree


def match_edges(pred_edges: np.ndarray,
                gt_edges: np.ndarray,
                max_dist: float = 0.0075) -> Tuple[np.ndarray, np.ndarray]:
    """Match predicted edge pixels to ground-truth edge pixels one-to-one within ``max_dist`` of the diagonal.

    Two pixels may be matched when their Euclidean distance is at most ``max_dist * sqrt(H^2 + W^2)`` (4.34 px on a
    481x321 BSDS image). Among the one-to-one matchings the one returned has the **largest number of pairs**, and
    among those the smallest total distance. It is computed exactly: the within-distance pairs come from k-d trees
    (``scipy.spatial.cKDTree``); pairs that belong to no maximum matching are dropped (found from one maximum
    matching by max flow, see :func:`_edges_in_some_maximum_matching`; this changes no maximum matching and cuts the
    long chains of pixels along contours into smaller pieces); the remaining bipartite pair graph is split into
    connected components (``scipy.sparse.csgraph.connected_components``); components with a single pixel on one side
    take its nearest partner, and every other component is a rectangular assignment problem
    (``scipy.optimize.linear_sum_assignment``) in which a pair beyond the distance costs more than any matching of
    allowed pairs could, so that as many allowed pairs as possible are used.

    Relation to the benchmark's ``correspondPixels`` (Martin, Fowlkes & Malik, "Learning to Detect Natural Image
    Boundaries Using Local Brightness, Color, and Texture Cues", TPAMI 2004; C++ in the BSDS500 code): it solves a
    min-cost assignment (Goldberg's CSA) of the same within-distance pairs plus outlier nodes whose cost (100x the
    distance limit) makes leaving a pixel unmatched far dearer than any match, so it also maximises the number of
    pairs first and minimises distance second. It approximates the dense problem with a sparse graph that includes
    random outlier edges, so its counts vary slightly from run to run and can fall a little short of the maximum;
    this function is deterministic and always reaches the maximum, so its counts are equal or slightly higher.

    Args:
        pred_edges (np.ndarray): [H, W] binary map of predicted (thinned) edges; non-zero = edge.
        gt_edges (np.ndarray): [H, W] binary map of one annotator's boundaries; non-zero = edge.
        max_dist (float): distance limit as a fraction of the image diagonal. Defaults to 0.0075 (BSDS).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(pred_matched, gt_matched)``, [H, W] bool maps of the matched pixels of each
        input (as ``correspondPixels``' ``match1 > 0`` and ``match2 > 0``).
    """
    pred_edges = np.asarray(pred_edges)
    gt_edges = np.asarray(gt_edges)
    if pred_edges.ndim != 2 or pred_edges.shape != gt_edges.shape:
        raise ValueError(f'match_edges expects two [H, W] maps of the same size, got prediction {pred_edges.shape} '
                         f'and ground truth {gt_edges.shape}.')
    if not max_dist > 0:
        raise ValueError(f'max_dist must be > 0 (a fraction of the image diagonal), got {max_dist}.')
    pred_matched = np.zeros(pred_edges.shape, dtype=bool)
    gt_matched = np.zeros(gt_edges.shape, dtype=bool)
    pred_yx = np.argwhere(pred_edges)
    gt_yx = np.argwhere(gt_edges)
    if len(pred_yx) == 0 or len(gt_yx) == 0:
        return pred_matched, gt_matched
    radius = max_dist * math.hypot(*pred_edges.shape)
    pairs = cKDTree(pred_yx).sparse_distance_matrix(cKDTree(gt_yx), radius, output_type='ndarray')
    if len(pairs) == 0:
        return pred_matched, gt_matched
    pred_idx, gt_idx = _maximum_matching(pairs['i'], pairs['j'], pairs['v'], len(pred_yx), len(gt_yx), radius)
    pred_matched[tuple(pred_yx[pred_idx].T)] = True
    gt_matched[tuple(gt_yx[gt_idx].T)] = True
    return pred_matched, gt_matched


def _maximum_matching(pred_idx: np.ndarray, gt_idx: np.ndarray, dist: np.ndarray, num_pred: int, num_gt: int,
                      radius: float) -> Tuple[np.ndarray, np.ndarray]:
    """Maximum-cardinality, then minimum-distance, matching of the pairs ``(pred_idx[k], gt_idx[k])``."""
    keep = _edges_in_some_maximum_matching(pred_idx, gt_idx, num_pred, num_gt)
    pred_idx, gt_idx, dist = pred_idx[keep], gt_idx[keep], dist[keep]
    num_nodes = num_pred + num_gt
    graph = coo_matrix((np.ones(len(pred_idx), dtype=np.int8), (pred_idx, num_pred + gt_idx)),
                       shape=(num_nodes, num_nodes))
    _, labels = connected_components(graph, directed=False)
    pair_label = labels[pred_idx]
    order = np.argsort(pair_label, kind='stable')
    pred_idx, gt_idx, dist, pair_label = pred_idx[order], gt_idx[order], dist[order], pair_label[order]
    starts = np.flatnonzero(np.r_[True, pair_label[1:] != pair_label[:-1]])
    ends = np.r_[starts[1:], len(pair_label)]
    single = starts[ends - starts == 1]
    matched_pred, matched_gt = [pred_idx[single]], [gt_idx[single]]
    for start, end in zip(starts, ends):
        if end - start == 1:
            continue
        comp_pred, comp_gt, comp_dist = pred_idx[start:end], gt_idx[start:end], dist[start:end]
        rows, row_of = np.unique(comp_pred, return_inverse=True)
        cols, col_of = np.unique(comp_gt, return_inverse=True)
        if len(rows) == 1 or len(cols) == 1:
            # a star: one pixel on one side, its nearest partner on the other
            nearest = np.argmin(comp_dist)
            matched_pred.append(comp_pred[nearest:nearest + 1])
            matched_gt.append(comp_gt[nearest:nearest + 1])
            continue
        # any allowed matching costs < min(rows, cols) * radius, so one forbidden pair costs more than all of it
        forbidden = radius * (min(len(rows), len(cols)) + 1) + 1
        cost = np.full((len(rows), len(cols)), forbidden)
        cost[row_of, col_of] = comp_dist
        sel_rows, sel_cols = linear_sum_assignment(cost)
        allowed = cost[sel_rows, sel_cols] < forbidden
        matched_pred.append(rows[sel_rows[allowed]])
        matched_gt.append(cols[sel_cols[allowed]])
    return np.concatenate(matched_pred), np.concatenate(matched_gt)


def _edges_in_some_maximum_matching(pred_idx: np.ndarray, gt_idx: np.ndarray, num_pred: int,
                                    num_gt: int) -> np.ndarray:
    """Mask of the pairs that belong to at least one maximum-cardinality matching.

    The other pairs can be dropped without changing the set of maximum matchings, which splits the long chains of
    pixels along contours into much smaller assignment problems. With M a maximum matching (Dinic's max flow,
    ``scipy.sparse.csgraph.maximum_flow``) and D the digraph with unmatched pairs oriented pred -> gt and matched
    ones gt -> pred, a pair is in some maximum matching iff it is in M, or lies on an alternating cycle (both ends
    in one strongly connected component of D), or on an even alternating path from a free pixel (its pred end is
    reachable in D from an unmatched pred, or its gt end reaches an unmatched gt in D).
    """
    num_nodes = num_pred + num_gt
    source, sink = num_nodes, num_nodes + 1
    tails = np.r_[np.full(num_pred, source), pred_idx, num_pred + np.arange(num_gt)]
    heads = np.r_[np.arange(num_pred), num_pred + gt_idx, np.full(num_gt, sink)]
    network = csr_matrix((np.ones(len(tails), dtype=np.int32), (tails, heads)), shape=(num_nodes + 2, num_nodes + 2))
    flow = maximum_flow(network, source, sink, method='dinic').flow.tocsr()
    in_matching = np.asarray(flow[pred_idx, num_pred + gt_idx]).reshape(-1) > 0
    tails = np.where(in_matching, num_pred + gt_idx, pred_idx)
    heads = np.where(in_matching, pred_idx, num_pred + gt_idx)
    digraph = csr_matrix((np.ones(len(tails), dtype=np.int8), (tails, heads)), shape=(num_nodes, num_nodes))
    _, strong = connected_components(digraph, directed=True, connection='strong')
    matched = np.zeros(num_nodes, dtype=bool)
    matched[pred_idx[in_matching]] = True
    matched[num_pred + gt_idx[in_matching]] = True
    free_pred = np.flatnonzero(~matched[:num_pred])
    free_gt = num_pred + np.flatnonzero(~matched[num_pred:])
    from_free_pred = _reachable(digraph, free_pred)
    to_free_gt = _reachable(digraph.T.tocsr(), free_gt)
    return (in_matching | (strong[pred_idx] == strong[num_pred + gt_idx]) | from_free_pred[pred_idx] |
            to_free_gt[num_pred + gt_idx])


def _reachable(digraph: csr_matrix, starts: np.ndarray) -> np.ndarray:
    """Mask of the nodes reachable from any of ``starts`` (breadth-first from a virtual source)."""
    num_nodes = digraph.shape[0]
    reached = np.zeros(num_nodes + 1, dtype=bool)
    if len(starts) == 0:
        return reached[:num_nodes]
    graph = digraph.tocoo()
    rows = np.r_[graph.row, np.full(len(starts), num_nodes)]
    cols = np.r_[graph.col, starts]
    with_source = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(num_nodes + 1, num_nodes + 1))
    reached[breadth_first_order(with_source, num_nodes, directed=True, return_predecessors=False)] = True
    return reached[:num_nodes]
