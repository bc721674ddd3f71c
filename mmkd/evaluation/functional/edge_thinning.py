# Copyright (c) mmkd contributors. All rights reserved.
"""Morphological thinning of binary edge maps with MATLAB ``bwmorph(bw, 'thin', inf)`` semantics."""
import numpy as np
from skimage.morphology import thin


def thin_edges(binary_edges: np.ndarray) -> np.ndarray:
    """Thin a binary edge map to 1-pixel-wide, 8-connected curves, as the BSDS benchmark does before matching.

    The BSDS benchmark (Martin et al., TPAMI 2004; Arbelaez et al., TPAMI 2011) calls
    ``bwmorph(bmap, 'thin', inf)``: Guo & Hall's two-subiteration parallel thinning ("Parallel Thinning with
    Two-Subiteration Algorithms", Comm. ACM 1989, algorithm A1), iterated until nothing changes, pixels outside the
    image counting as background. ``skimage.morphology.thin`` (without ``max_num_iter``) is that algorithm: one
    lookup table per subiteration over the 8-neighbourhood, conditions G1, G2, G3 then G1, G2, G3' (checked
    against a direct implementation of the conditions in ``tests/test_evaluation/test_edge_functional.py``).

    Args:
        binary_edges (np.ndarray): [H, W] map; non-zero pixels are edges.

    Returns:
        np.ndarray: [H, W] bool, the thinned edges (a subset of the input).
    """
    binary_edges = np.asarray(binary_edges)
    if binary_edges.ndim != 2:
        raise ValueError(f'thin_edges expects a 2-D [H, W] map, got shape {binary_edges.shape}.')
    return thin(binary_edges != 0)
