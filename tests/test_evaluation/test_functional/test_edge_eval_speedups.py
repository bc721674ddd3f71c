# Copyright (c) mmkd contributors. All rights reserved.
"""The evaluator's speed-ups give the results of the plain computation: matchings reused across thresholds,
incremental thinning, and the blockwise (maximum-cardinality) matching of very large components."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from mmkd.evaluation import EdgeMetric
from mmkd.evaluation.functional import (
    EdgeMatcher,
    edge_matching,
    evaluate_edge_image,
    load_bsds_boundaries,
    match_edges,
    thin_edges,
    thin_nested_edges,
)
from mmkd.evaluation.functional.edge_matching import (
    CostMatrixBuffer,
    _edges_in_some_maximum_matching,
    _min_distance_assignment,
)
from tests.helpers.tools import REPO_ROOT

BENCH = osp.join(REPO_ROOT, 'tests', 'data', 'bsds500_bench')  # see its README


def soft_contours(shape, seed):
    """A soft map of blurred random strokes: nested thresholds give long, slowly shrinking contours."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros(shape, dtype=np.float32)
    for _ in range(6):
        points = rng.integers(0, min(shape), size=(2, 2))
        cv2.line(canvas, tuple(int(v) for v in points[0]), tuple(int(v) for v in points[1]), float(rng.random()), 2)
    canvas = ndimage.gaussian_filter(canvas, 1.0) + 0.05 * rng.random(shape)
    return canvas / canvas.max()


def maximum_matching_size(pred, gt, radius):
    p, g = np.argwhere(pred), np.argwhere(gt)
    i, j = np.nonzero(np.linalg.norm(p[:, None] - g[None], axis=2) <= radius)
    n, m = len(p), len(g)
    tails = np.r_[np.full(n, n + m), i, n + np.arange(m)]
    heads = np.r_[np.arange(n), n + j, np.full(m, n + m + 1)]
    net = csr_matrix((np.ones(len(tails), dtype=np.int32), (tails, heads)), shape=(n + m + 2, n + m + 2))
    return maximum_flow(net, n + m, n + m + 1).flow_value


def test_edge_matcher_reuse_equals_match_edges_on_nested_maps():
    shape = (48, 64)
    prob = soft_contours(shape, 0)
    gt = thin_edges(soft_contours(shape, 1) > 0.4)
    thresholds = np.linspace(0.05, 0.9, 12)
    matcher = EdgeMatcher(gt, prob >= thresholds[0], max_dist=0.05)
    reused_components = 0
    for threshold in thresholds:
        pred = thin_edges(prob >= threshold)
        expected = match_edges(pred, gt, max_dist=0.05)
        before = dict(matcher._cache)
        got = matcher(pred)
        reused_components += len(set(before) & set(matcher._cache))
        assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1]), threshold
    assert reused_components > 0  # the test exercises the reuse, not only fresh solves


def test_edge_matcher_rejects_pixels_outside_its_candidates():
    gt = np.zeros((10, 10), dtype=bool)
    gt[5, 5] = True
    candidates = np.zeros((10, 10), dtype=bool)
    candidates[5, 6] = True
    matcher = EdgeMatcher(gt, candidates, max_dist=0.2)
    assert matcher(candidates)[0].sum() == 1
    outside = candidates.copy()
    outside[0, 0] = True
    with pytest.raises(ValueError, match='outside the candidate map'):
        matcher(outside)
    with pytest.raises(ValueError, match='max_exact_size'):
        EdgeMatcher(gt, candidates, max_exact_size=-1)


@pytest.mark.parametrize('max_exact_size', [0, 9, 100])
def test_blockwise_matching_is_a_maximum_matching(max_exact_size):
    """Assignment components through the blockwise path (all of them at 0): still maximum (the cardinality of
    scipy's max flow on the full pair graph and of the exact matcher), one-to-one, every pair in reach."""
    rng = np.random.default_rng(1)
    shape = (40, 50)
    radius = 0.05 * np.hypot(*shape)
    for _ in range(4):
        pred = rng.random(shape) < 0.1
        gt = rng.random(shape) < 0.08
        pred_matched, gt_matched = EdgeMatcher(gt, pred, 0.05, max_exact_size=max_exact_size)(pred)
        exact_pred, exact_gt = match_edges(pred, gt, max_dist=0.05)
        assert pred_matched.sum() == gt_matched.sum() == maximum_matching_size(pred, gt, radius) == exact_gt.sum()
        assert not (pred_matched & ~pred).any() and not (gt_matched & ~gt).any()
        near_matched_gt = ndimage.binary_dilation(gt_matched, structure=np.ones((7, 7))) & pred_matched
        assert near_matched_gt.sum() == pred_matched.sum()


def test_thin_nested_edges_equals_thin_edges():
    prob = soft_contours((48, 64), 2)
    superset = prob >= 0.1
    superset_thinned = thin_edges(superset)
    for threshold in np.linspace(0.15, 0.8, 8):
        binary = prob >= threshold
        nested = thin_nested_edges(binary, superset, superset_thinned)
        assert np.array_equal(nested, thin_edges(binary)), threshold
        superset, superset_thinned = binary, nested
    with pytest.raises(ValueError, match='subset'):
        thin_nested_edges(prob >= 0.1, prob >= 0.5, thin_edges(prob >= 0.5))
    with pytest.raises(ValueError, match='one size'):
        thin_nested_edges(binary, binary[:-1], binary)


def test_edge_metric_validates_max_exact_size():
    with pytest.raises(ValueError, match='max_exact_size'):
        EdgeMetric(max_exact_size=-5)


@pytest.mark.slow
def test_real_map_reuse_is_identical_and_blockwise_keeps_recall():
    mat = sorted(glob.glob(osp.join(BENCH, 'groundTruth', '*.mat')))[-1]
    name = osp.splitext(osp.basename(mat))[0]
    pred = cv2.imread(osp.join(BENCH, 'png', name + '.png'), cv2.IMREAD_GRAYSCALE)
    boundaries = load_bsds_boundaries(mat)
    thresholds = np.linspace(0.01, 0.5, 12)  # the low thresholds: the large components
    fresh = evaluate_edge_image(pred, boundaries, thresholds, nms=True, reuse_matchings=False)
    reused = evaluate_edge_image(pred, boundaries, thresholds, nms=True)
    assert np.array_equal(fresh, reused)
    blockwise = evaluate_edge_image(pred, boundaries, thresholds, nms=True, max_exact_size=250000)
    # maximum cardinality is exact, so recall counts and predicted pixel counts are the same
    assert np.array_equal(blockwise[:, [0, 1, 3]], fresh[:, [0, 1, 3]])
    # which predicted pixels are matched may differ: by a few pixels in thousands
    assert 0 < np.abs(blockwise[:, 2] - fresh[:, 2]).max() <= 0.005 * fresh[:, 2].max()


def _tall_assignment(row_of, col_of, dist, num_rows, num_cols, radius, cost_buffer=None):
    """The dense assignment as it was before the wide orientation: the [rows, cols] matrix as it comes."""
    forbidden = radius * (min(num_rows, num_cols) + 1) + 1
    cost = np.full((num_rows, num_cols), forbidden)
    cost[row_of, col_of] = dist
    sel_rows, sel_cols = linear_sum_assignment(cost)
    allowed = cost[sel_rows, sel_cols] < forbidden
    return sel_rows[allowed], sel_cols[allowed]


@pytest.mark.parametrize('num_rows,num_cols', [(40, 25), (25, 40), (30, 30)])
def test_wide_assignment_equals_the_plain_one_with_ties(num_rows, num_cols):
    # distances from a few square roots of integers, as on a pixel grid: many equally good matchings, so only the
    # same computation (not merely another optimal matching) gives the same pairs
    rng = np.random.default_rng(num_rows * 100 + num_cols)
    cost_buffer = CostMatrixBuffer()  # reused across the problems: stale entries would change the pairs
    for _ in range(20):
        mask = rng.random((num_rows, num_cols)) < 0.15
        row_of, col_of = np.nonzero(mask)
        dist = np.sqrt(rng.choice([1, 2, 4, 5, 8, 9, 10, 13], size=len(row_of)))
        expected = _tall_assignment(row_of, col_of, dist, num_rows, num_cols, 4.0)
        for got in (_min_distance_assignment(row_of, col_of, dist, num_rows, num_cols, 4.0),
                    _min_distance_assignment(row_of, col_of, dist, num_rows, num_cols, 4.0, cost_buffer)):
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])


def test_wide_assignment_keeps_match_edges_on_random_maps(monkeypatch):
    shape = (60, 80)
    results = {}
    for name, assign in (('wide', _min_distance_assignment), ('tall', _tall_assignment)):
        monkeypatch.setattr(edge_matching, '_min_distance_assignment', assign)
        results[name] = [match_edges(thin_edges(soft_contours(shape, seed) > 0.3),
                                     thin_edges(soft_contours(shape, seed + 50) > 0.35), max_dist=0.06)
                         for seed in range(6)]
    assert sum(int(pred.sum()) for pred, _ in results['tall']) > 100  # the maps do match something
    for (pred_wide, gt_wide), (pred_tall, gt_tall) in zip(results['wide'], results['tall']):
        np.testing.assert_array_equal(pred_wide, pred_tall)
        np.testing.assert_array_equal(gt_wide, gt_tall)


def _kuhn_matching_size(edges, num_pred, skip_pred=-1, skip_gt=-1):
    """Maximum matching size by augmenting paths (Kuhn), without the pixels ``skip_pred`` and ``skip_gt``."""
    adjacency = [[] for _ in range(num_pred)]
    for p, g in edges:
        if p != skip_pred and g != skip_gt:
            adjacency[p].append(g)
    partner = {}

    def augment(p, seen):
        for g in adjacency[p]:
            if g not in seen:
                seen.add(g)
                if g not in partner or augment(partner[g], seen):
                    partner[g] = p
                    return True
        return False

    return sum(augment(p, set()) for p in range(num_pred))


@pytest.mark.parametrize('density', [0.08, 0.2, 0.4])
def test_pairs_in_some_maximum_matching_by_definition(density):
    # a pair is in some maximum matching iff fixing it (removing its two pixels) still leaves a matching one short
    # of the maximum; the sparse graphs have free pixels on both sides, the dense ones alternating cycles
    rng = np.random.default_rng(int(density * 100))
    for _ in range(30):
        num_pred, num_gt = rng.integers(2, 12, size=2)
        pred_idx, gt_idx = np.nonzero(rng.random((num_pred, num_gt)) < density)
        if len(pred_idx) == 0:
            continue
        edges = list(zip(pred_idx.tolist(), gt_idx.tolist()))
        best = _kuhn_matching_size(edges, num_pred)
        expected = [_kuhn_matching_size(edges, num_pred, p, g) + 1 == best for p, g in edges]
        got = _edges_in_some_maximum_matching(pred_idx, gt_idx, num_pred, num_gt)
        np.testing.assert_array_equal(got, expected)
