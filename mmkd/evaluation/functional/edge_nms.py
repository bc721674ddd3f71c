# Copyright (c) mmkd contributors. All rights reserved.
"""Non-maximum suppression of soft edge maps, as in the Structured Edge Detection toolbox.

Dollar & Zitnick, "Fast Edge Detection Using Structured Forests", TPAMI 2015 (``edgesNmsMex``, ``convTri``,
``gradient2`` of the toolbox). RCF (Liu et al., CVPR 2017) and HED (Xie & Tu, ICCV 2015) thin their outputs with it
before the BSDS benchmark.
"""

import numpy as np
from scipy import ndimage


def _check_edge_map(edge: np.ndarray, name: str = 'edge map') -> np.ndarray:
    edge = np.asarray(edge)
    if edge.ndim != 2:
        raise ValueError(f'The {name} must be a 2-D [H, W] array, got shape {edge.shape}.')
    if not np.issubdtype(edge.dtype, np.number) and edge.dtype != bool:
        raise TypeError(f'The {name} must be numeric, got dtype {edge.dtype}.')
    return edge


def conv_tri(image: np.ndarray, radius: float) -> np.ndarray:
    """Separable triangle filter with symmetric padding (the toolbox's ``convTri``).

    For an integer ``radius`` r > 1 the 1-D kernel is ``[1, 2, ..., r, r + 1, r, ..., 1] / (r + 1)^2``; for
    0 < r <= 1 it is ``[1, p, 1] / (2 + p)`` with ``p = 12 / (r (r + 2)) - 2`` (``r = 1`` gives ``[1, 2, 1] / 4``);
    ``r = 0`` returns the image unchanged. The border is padded by mirroring with the edge pixel repeated
    (MATLAB's ``'symmetric'``, scipy's ``'reflect'``).

    Args:
        image (np.ndarray): [H, W] map.
        radius (float): filter radius (an integer when above 1).

    Returns:
        np.ndarray: the filtered [H, W] map, float32.
    """
    image = _check_edge_map(image, 'image').astype(np.float32)
    if radius < 0:
        raise ValueError(f'conv_tri radius must be >= 0, got {radius}.')
    if radius == 0:
        return image
    if radius <= 1:
        p = 12 / radius / (radius + 2) - 2
        kernel = np.array([1, p, 1], dtype=np.float64) / (2 + p)
    else:
        if int(radius) != radius:
            raise ValueError(f'conv_tri radius above 1 must be an integer, got {radius}.')
        r = int(radius)
        kernel = np.concatenate([np.arange(1, r + 2), np.arange(r, 0, -1)]).astype(np.float64) / (r + 1)**2
    kernel = kernel.astype(np.float32)
    out = ndimage.correlate1d(image, kernel, axis=0, mode='reflect')
    return ndimage.correlate1d(out, kernel, axis=1, mode='reflect')


def edge_orientation(edge: np.ndarray, radius: float = 4) -> np.ndarray:
    """Edge normal orientation from second derivatives, as the toolbox computes it for NMS.

    ``[Ox, Oy] = gradient2(convTri(E, radius))``, ``Oxx = d/dx Ox``, ``Oxy = d/dx Oy``, ``Oyy = d/dy Oy``,
    ``O = mod(atan(Oyy * sign(-Oxy) / (Oxx + 1e-5)), pi)``; x runs along columns, y along rows, derivatives are
    central differences (one-sided at the border, as ``gradient2`` and ``np.gradient``). Kept as the toolbox has it,
    including its degenerate case: where ``Oxy`` is exactly 0 (an exactly horizontal ridge of a synthetic map)
    ``sign`` gives 0 and ``O = 0``, so such a ridge is not suppressed; real maps practically never hit it.

    Args:
        edge (np.ndarray): [H, W] soft edge map.
        radius (float): ``convTri`` radius of the smoothing before differentiation. Defaults to 4.

    Returns:
        np.ndarray: [H, W] angles in [0, pi), float32.
    """
    smoothed = conv_tri(edge, radius)
    if min(smoothed.shape) < 2:
        raise ValueError(f'edge_orientation needs a map of at least 2x2 pixels, got {smoothed.shape}.')
    oy, ox = np.gradient(smoothed)
    oxx = np.gradient(ox, axis=1)
    oyy, oxy = np.gradient(oy)
    with np.errstate(divide='ignore', invalid='ignore'):
        orientation = np.mod(np.arctan(oyy * np.sign(-oxy) / (oxx + np.float32(1e-5))), np.pi)
    return np.nan_to_num(orientation, nan=0.0).astype(np.float32)


def _bilinear(image: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``image`` sampled at columns ``x`` / rows ``y``, clamped to the image as ``edgesNmsMex``'s ``interp``."""
    h, w = image.shape
    x = np.clip(x, 0, w - 1.001)
    y = np.clip(y, 0, h - 1.001)
    x0 = x.astype(np.int64)
    y0 = y.astype(np.int64)
    dx0 = x - x0
    dy0 = y - y0
    dx1 = 1 - dx0
    dy1 = 1 - dy0
    return (image[y0, x0] * dx1 * dy1 + image[y0, x0 + 1] * dx0 * dy1 + image[y0 + 1, x0] * dx1 * dy0 +
            image[y0 + 1, x0 + 1] * dx0 * dy0)


def edge_nms(edge: np.ndarray,
             radius: int = 2,
             border: int = 5,
             multiplier: float = 1.01,
             presmooth_radius: float = 0,
             orientation_radius: float = 4) -> np.ndarray:
    """Non-maximum suppression of a soft edge map along the edge normal (the toolbox's ``edgesNmsMex``).

    With ``E`` the map (after ``convTri(E, presmooth_radius)``) and ``O`` = :func:`edge_orientation` of it, a pixel
    (x, y) with ``E > 0`` is set to 0 when ``multiplier * E(x, y) < E(x + d cos O, y + d sin O)`` (bilinear, clamped
    to the image) for some ``d`` in ``[-radius, radius] \\ {0}``; then the ``s = min(border, W // 2, H // 2)`` rows and
    columns nearest each border are faded: the pixel at distance ``k < s`` from a border is multiplied by ``k / s``
    (the outermost one by 0). Computed in float32, as the toolbox does.

    Settings in use: RCF's evaluation (``edge_nms.m``, the setting the evaluation repository of the 2020 edge
    article follows) uses
    ``radius=2`` with no pre-smoothing on BSDS (the default here); HED's and pyEdgeEval's use ``presmooth_radius=1``,
    ``radius=1``. Both use ``border=5``, ``multiplier=1.01``, ``orientation_radius=4``.

    Args:
        edge (np.ndarray): [H, W] soft edge map (probabilities in [0, 1]).
        radius (int): suppression radius r along the normal, in pixels. Defaults to 2.
        border (int): width s of the faded border band. 0 disables the fade. Defaults to 5.
        multiplier (float): m, the pixel's value is multiplied by it before the comparison (a small margin that
            keeps plateaus). Defaults to 1.01.
        presmooth_radius (float): ``convTri`` radius applied to the map before NMS (0: none). Defaults to 0.
        orientation_radius (float): ``convTri`` radius of the smoothing used for the orientation. Defaults to 4.

    Returns:
        np.ndarray: [H, W] float32 map, zero except at the local maxima across the edge.
    """
    edge = _check_edge_map(edge)
    if int(radius) != radius or radius < 1:
        raise ValueError(f'edge_nms radius must be a positive integer (pixels), got {radius}.')
    if int(border) != border or border < 0:
        raise ValueError(f'edge_nms border must be a non-negative integer (pixels), got {border}.')
    if multiplier <= 0:
        raise ValueError(f'edge_nms multiplier must be > 0, got {multiplier}.')
    values = conv_tri(edge, presmooth_radius)
    orientation = edge_orientation(values, orientation_radius)
    out = values.copy()
    rows, cols = np.nonzero(values)
    centre = values[rows, cols] * np.float32(multiplier)
    cos_o = np.cos(orientation[rows, cols])
    sin_o = np.sin(orientation[rows, cols])
    suppressed = np.zeros(rows.shape, dtype=bool)
    cols_f = cols.astype(np.float32)
    rows_f = rows.astype(np.float32)
    for d in range(-int(radius), int(radius) + 1):
        if d == 0:
            continue
        neighbour = _bilinear(values, cols_f + d * cos_o, rows_f + d * sin_o)
        suppressed |= centre < neighbour
    out[rows[suppressed], cols[suppressed]] = 0
    h, w = out.shape
    s = min(int(border), w // 2, h // 2)
    if s > 0:
        fade = np.arange(s, dtype=np.float32) / np.float32(s)
        out[:, :s] *= fade[None]
        out[:, w - s:] *= fade[None, ::-1]
        out[:s] *= fade[:, None]
        out[h - s:] *= fade[::-1, None]
    return out
