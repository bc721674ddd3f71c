# Copyright (c) mmkd contributors. All rights reserved.
"""Morphological thinning of binary edge maps with MATLAB ``bwmorph(bw, 'thin', inf)`` semantics."""
import numpy as np
from scipy import ndimage
from skimage.morphology import thin


def thin_edges(binary_edges: np.ndarray) -> np.ndarray:
    """Thin a binary edge map to 1-pixel-wide, 8-connected curves, as the BSDS benchmark does before matching.

    The BSDS benchmark (Martin et al., TPAMI 2004; Arbelaez et al., TPAMI 2011) calls
    ``bwmorph(bmap, 'thin', inf)``: Guo & Hall's two-subiteration parallel thinning ("Parallel Thinning with
    Two-Subiteration Algorithms", Comm. ACM 1989, algorithm A1), iterated until nothing changes, pixels outside the
    image counting as background. ``skimage.morphology.thin`` (without ``max_num_iter``) is that algorithm: one
    lookup table per subiteration over the 8-neighbourhood, conditions G1, G2, G3 then G1, G2, G3' (checked against
    a direct implementation of the conditions in
    ``tests/test_evaluation/test_functional/test_edge_functional.py``).

    Args:
        binary_edges (np.ndarray): [H, W] map; non-zero pixels are edges.

    Returns:
        np.ndarray: [H, W] bool, the thinned edges (a subset of the input).
    """
    binary_edges = np.asarray(binary_edges)
    if binary_edges.ndim != 2:
        raise ValueError(f'thin_edges expects a 2-D [H, W] map, got shape {binary_edges.shape}.')
    return thin(binary_edges != 0)


_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)


def thin_nested_edges(binary_edges: np.ndarray, superset_edges: np.ndarray, superset_thinned: np.ndarray) -> np.ndarray:
    """:func:`thin_edges` of a map contained in a map already thinned, re-thinning only what changed.

    The thinning decides each pixel from its 3x3 neighbourhood, which holds only pixels of its own 8-connected
    component, so every component is thinned independently. An 8-connected component of ``binary_edges`` with no
    pixel next to a pixel removed from ``superset_edges`` is a whole component of ``superset_edges`` too, so its
    thinning is the part of ``superset_thinned`` on it; only the other components are thinned again (on the bounding
    box of them, with everything else as background). This is what consecutive thresholds of one soft map need.

    Args:
        binary_edges (np.ndarray): [H, W] map, a subset of ``superset_edges``; non-zero pixels are edges.
        superset_edges (np.ndarray): [H, W] map containing it.
        superset_thinned (np.ndarray): [H, W] ``thin_edges(superset_edges)``.

    Returns:
        np.ndarray: [H, W] bool, equal to ``thin_edges(binary_edges)``.
    """
    binary_edges = np.asarray(binary_edges) != 0
    superset_edges = np.asarray(superset_edges) != 0
    if binary_edges.ndim != 2 or not binary_edges.shape == superset_edges.shape == np.shape(superset_thinned):
        raise ValueError(f'thin_nested_edges expects three [H, W] maps of one size, got {binary_edges.shape}, '
                         f'{superset_edges.shape} and {np.shape(superset_thinned)}.')
    if (binary_edges & ~superset_edges).any():
        raise ValueError('thin_nested_edges: binary_edges must be a subset of superset_edges.')
    labels, num_components = ndimage.label(binary_edges, structure=_EIGHT_NEIGHBOURS)
    next_to_removed = ndimage.binary_dilation(superset_edges & ~binary_edges, structure=_EIGHT_NEIGHBOURS)
    touched = np.zeros(num_components + 1, dtype=bool)
    touched[labels[next_to_removed]] = True
    touched[0] = False
    changed = touched[labels]
    out = np.asarray(superset_thinned, dtype=bool) & binary_edges & ~changed
    if changed.any():
        rows, cols = np.nonzero(changed)
        top, bottom = max(rows.min() - 1, 0), min(rows.max() + 2, changed.shape[0])
        left, right = max(cols.min() - 1, 0), min(cols.max() + 2, changed.shape[1])
        out[top:bottom, left:right] |= thin(changed[top:bottom, left:right])
    return out
