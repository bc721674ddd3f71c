# Copyright (c) mmkd contributors. All rights reserved.
"""Synthetic edge-detection data in the layout of HED/RCF's BSDS release plus BSDS500's benchmark ground truth.

Layout::

    OUT/
      HED-BSDS/train/aug_data/0.0_1_0/<name>.jpg      training images (only the un-augmented "0.0_1_0" variant)
      HED-BSDS/train/aug_gt/0.0_1_0/<name>.png        uint8 edge probability = mean of the annotators' boundaries
      HED-BSDS/train_pair.lst                        "train/aug_data/0.0_1_0/<name>.jpg train/aug_gt/0.0_1_0/<name>.png"
      HED-BSDS/test/<name>.jpg                        test images
      HED-BSDS/test.lst                               "test/<name>.jpg"
      BSDS500/data/images/{train,test}/<name>.jpg     the same images, BSDS500 layout
      BSDS500/data/groundTruth/{train,test}/<name>.mat
      bsds_pascal_train_pair.lst                      RCF's combined list; here only the BSDS half (see below)

The ``.mat`` files have exactly the structure of the real BSDS500 ones as ``scipy.io.loadmat`` reads them:
``groundTruth`` is a 1xK cell (object array) of structs, each read as a (1, 1) record array with fields
``Segmentation`` (uint16 region labels 1..M) and ``Boundaries`` (MATLAB logical, read as uint8 0/1). They are written
with a fixed header (no creation time) so that the files are byte-identical for a seed.

Images are piecewise-smooth: warped Voronoi cells plus a few polygons, each region with its own colour, texture and
shading gradient, then blurred and noised, so the true edges are region boundaries. The K annotators are perturbed
copies of the true segmentation: annotator 0 keeps every region, the others merge random adjacent regions (coarser
annotations, as real annotators differ in detail) and every annotator's boundaries are displaced by at most 1 px.
With the default K = 5 the probability maps take the values 0, 51, 102, 153, 204, 255.

``bsds_pascal_train_pair.lst`` mirrors RCF's ``bsds_pascal_train_pair.lst`` (paths relative to ``OUT``, so they carry
the ``HED-BSDS/`` prefix); the PASCAL-Context half of that list is absent from the synthetic set.
"""
import io
from pathlib import Path
from typing import List, Tuple

import cv2
import numpy as np
import scipy.io as sio

from .common import (
    Canvas,
    PathLike,
    TextureSpec,
    check_positive,
    label_boundaries,
    make_rng,
    photometric,
    prepare_out_dir,
    progress_range,
    value_noise,
    write_image,
)

_AUG = '0.0_1_0'  # HED's name for rotation 0, scale 1, no flip
_MAT_HEADER = b'MATLAB 5.0 MAT-file, Platform: mmkd synthetic BSDS, Created on: (fixed for reproducibility)'
_TEXTURES = (('flat', 0.0, 0, 0), ('noise', 0.12, 3, 0), ('noise', 0.2, 8, 0), ('stripes', 0.15, 4, 30),
             ('stripes', 0.12, 7, 100), ('blobs', 0.15, 6, 0), ('grid', 0.15, 6, 0))


def _segmentation(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """True segmentation (int32 labels 0..M-1): warped Voronoi cells + random polygons, small specks removed."""
    n = int(rng.integers(6, 15))
    seeds = rng.uniform(0, 1, (n, 2)) * [w, h]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    scale = np.hypot(h, w)
    dist = np.empty((n, h, w), np.float32)
    for k, (sx, sy) in enumerate(seeds):
        # Per-cell weight and smooth warp: curved, irregular boundaries instead of straight Voronoi edges.
        warp = 0.08 * scale * value_noise(rng, (h, w), rng.uniform(20, 50))
        dist[k] = np.hypot(xx - sx, yy - sy) * rng.uniform(0.7, 1.3) + warp
    seg = dist.argmin(0).astype(np.int32)
    for _ in range(int(rng.integers(1, 4))):  # "objects" on top of the background cells
        c = rng.uniform(0.15, 0.85, 2) * [w, h]
        m = int(rng.integers(5, 9))
        ang = np.sort(rng.uniform(0, 2 * np.pi, m))
        rad = rng.uniform(0.08, 0.22, m) * min(h, w)
        pts = np.stack([c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang)], 1)
        cv2.fillPoly(seg, [np.round(pts).astype(np.int32)], int(seg.max()) + 1)
    return _clean(seg, min_size=max(12, h * w // 1500))


def _clean(seg: np.ndarray, min_size: int) -> np.ndarray:
    """Split labels into 4-connected regions, give regions smaller than ``min_size`` to their most common neighbour,
    and renumber 0..M-1 in raster order (deterministic)."""
    out = np.zeros(seg.shape, np.int32)
    nxt = 0
    for lab in np.unique(seg):
        num, comp = cv2.connectedComponents((seg == lab).astype(np.uint8), connectivity=4)
        for c in range(1, num):
            out[comp == c] = nxt
            nxt += 1
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(3):  # a few passes: a speck may only touch other specks at first
        sizes = np.bincount(out.ravel())
        small = [lab for lab in np.nonzero(sizes)[0] if sizes[lab] < min_size]
        if not small:
            break
        for lab in small:
            mask = out == lab
            ring = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool) & ~mask
            neigh = out[ring]
            neigh = neigh[~np.isin(neigh, small)] if np.any(~np.isin(neigh, small)) else neigh
            if neigh.size:
                out[mask] = np.bincount(neigh).argmax()
    _, first = np.unique(out.ravel(), return_index=True)
    order = np.argsort(first)  # number regions by first appearance in raster order
    lut = np.zeros(out.max() + 1, np.int32)
    lut[np.unique(out.ravel())[order]] = np.arange(len(order))
    return lut[out]


def _render(rng: np.random.Generator, seg: np.ndarray) -> np.ndarray:
    """Piecewise-smooth image: colour x texture x (1 + linear gradient) per region, then blur + noise."""
    h, w = seg.shape
    cv = Canvas(h, w)
    m = int(seg.max()) + 1
    for _ in range(m):
        c = rng.uniform(25, 230, 3)
        colour = tuple(c * rng.uniform(0.4, 1.0) + c.mean() * (1 - rng.uniform(0.4, 1.0)))
        kind = _TEXTURES[int(rng.integers(len(_TEXTURES)))]
        cv.add(0, colour, TextureSpec((kind, ), int(rng.integers(2**31))))
    cv.inst = seg.astype(np.int32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    gx, gy = rng.uniform(-0.25, 0.25, (2, m)).astype(np.float32)
    cv.shade = 1.0 + gx[seg] * (xx / w - 0.5) * 2 + gy[seg] * (yy / h - 0.5) * 2
    return photometric(cv.render(), rng, brightness=(0.9, 1.1), illumination=0.1, noise_std=(2.0, 5.0),
                       blur_sigma=0.8)


def _annotator(rng: np.random.Generator, seg: np.ndarray, merge_prob: float) -> np.ndarray:
    """One annotator: merge random adjacent regions, displace boundaries by <= 1 px, relabel 1..M (uint16)."""
    h, w = seg.shape
    parent = np.arange(int(seg.max()) + 1)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    if merge_prob > 0:
        pairs = np.concatenate([np.stack([seg[:, :-1].ravel(), seg[:, 1:].ravel()], 1),
                                np.stack([seg[:-1, :].ravel(), seg[1:, :].ravel()], 1)])
        pairs = np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], 1), axis=0)
        for a, b in pairs[rng.random(len(pairs)) < merge_prob]:
            parent[find(int(a))] = find(int(b))
    merged = np.array([find(i) for i in range(len(parent))])[seg]
    # Smooth random displacement field in {-1, 0, 1}: the boundary moves by <= 1 px, in patches (like a hand trace).
    dy = np.digitize(value_noise(rng, (h, w), 10), [-0.35, 0.35]) - 1
    dx = np.digitize(value_noise(rng, (h, w), 10), [-0.35, 0.35]) - 1
    yy, xx = np.mgrid[0:h, 0:w]
    moved = merged[np.clip(yy + dy, 0, h - 1), np.clip(xx + dx, 0, w - 1)]
    return (np.unique(moved, return_inverse=True)[1].reshape(h, w) + 1).astype(np.uint16)


def _write_mat(path: Path, annotations: List[np.ndarray]) -> None:
    """Write BSDS500-style ground truth (cell of structs) with a fixed header so the bytes are reproducible."""
    cell = np.empty((1, len(annotations)), dtype=object)
    for k, s in enumerate(annotations):
        cell[0, k] = {'Segmentation': s.astype(np.uint16), 'Boundaries': label_boundaries(s)}  # bool -> logical
    buf = io.BytesIO()
    sio.savemat(buf, {'groundTruth': cell}, do_compression=True)
    data = bytearray(buf.getvalue())
    # MAT v5: 116 bytes of descriptive text (scipy puts the creation time there) + 8 bytes subsystem offset.
    data[:124] = _MAT_HEADER.ljust(124, b' ')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))


def _image(rng: np.random.Generator, height: int, width: int,
           portrait_fraction: float) -> Tuple[np.ndarray, np.ndarray]:
    if rng.random() < portrait_fraction:
        height, width = width, height
    seg = _segmentation(rng, height, width)
    img = _render(rng, seg)
    return img, seg


def generate_synthetic_bsds(out_dir: PathLike,
                            num_train: int = 20,
                            num_test: int = 5,
                            height: int = 160,
                            width: int = 240,
                            seed: int = 0,
                            force: bool = False,
                            progress: bool = False,
                            num_annotators: int = 5,
                            portrait_fraction: float = 0.0) -> dict:
    """Write a synthetic edge-detection set in the HED-BSDS / BSDS500 layouts (see the module docstring).

    Args:
        out_dir: Dataset root.
        num_train: Number of training images (HED-BSDS train, BSDS500 train).
        num_test: Number of test images (HED-BSDS test, BSDS500 test with ``.mat`` ground truth).
        height: Image height of a landscape image (BSDS500: 321).
        width: Image width of a landscape image (BSDS500: 481).
        seed: Random seed; the same seed writes byte-identical files.
        force: Write into a non-empty ``out_dir`` (replaces its ``HED-BSDS``, ``BSDS500`` and
            ``bsds_pascal_train_pair.lst``).
        progress: Show a progress bar on stderr (the command line does). Defaults to False.
        num_annotators: Annotators per image (K); the probability maps are multiples of 255 / K.
        portrait_fraction: Fraction (probability per image) of portrait images, i.e. ``width x height``, as BSDS
            mixes 481x321 and 321x481. The default 0 keeps all images the same size so they can be batched.

    Returns:
        A summary dict: ``out_dir``, ``seed``, ``num_annotators``, the list files, and per split (``splits``)
        ``names``, ``sizes`` (h, w) and the mean edge density of the probability maps (train only).
    """
    check_positive(num_train=num_train, num_test=num_test, height=height, width=width,
                   num_annotators=num_annotators)
    if height < 32 or width < 32:
        raise ValueError(f'images must be at least 32x32, got {height}x{width}')
    if not 0.0 <= portrait_fraction <= 1.0:
        raise ValueError(f'portrait_fraction must be in [0, 1], got {portrait_fraction!r}')
    out = prepare_out_dir(out_dir, ('HED-BSDS', 'BSDS500', 'bsds_pascal_train_pair.lst'), force)
    hed, bsds = out / 'HED-BSDS', out / 'BSDS500' / 'data'
    summary = dict(out_dir=str(out), seed=seed, num_annotators=num_annotators, splits={},
                   lists=dict(train='HED-BSDS/train_pair.lst', test='HED-BSDS/test.lst',
                              bsds_pascal='bsds_pascal_train_pair.lst'))
    for split, num, first in (('train', num_train, 100001), ('test', num_test, 200001)):
        names, sizes, lines, density = [], [], [], []
        for i in progress_range(num, f'synthetic bsds {split}: {num} images', progress):
            rng = make_rng(seed, 'bsds', split, i)
            name = str(first + i)
            img, seg = _image(rng, height, width, portrait_fraction)
            merge = [0.0] + list(rng.uniform(0.05, 0.45, num_annotators - 1))
            annotators = [_annotator(rng, seg, p) for p in merge]
            write_image(bsds / 'images' / split / f'{name}.jpg', img)
            _write_mat(bsds / 'groundTruth' / split / f'{name}.mat', annotators)
            if split == 'train':
                img_rel, gt_rel = f'train/aug_data/{_AUG}/{name}.jpg', f'train/aug_gt/{_AUG}/{name}.png'
                prob = np.mean([label_boundaries(a) for a in annotators], axis=0)
                write_image(hed / img_rel, img)
                write_image(hed / gt_rel, np.rint(prob * 255).astype(np.uint8))
                lines.append(f'{img_rel} {gt_rel}')
                density.append(float(prob.mean()))
            else:
                write_image(hed / 'test' / f'{name}.jpg', img)
                lines.append(f'test/{name}.jpg')
            names.append(name)
            sizes.append(img.shape[:2])
        info = dict(names=names, sizes=sizes)
        if split == 'train':
            (hed / 'train_pair.lst').write_text(''.join(f'{ln}\n' for ln in lines))
            (out / 'bsds_pascal_train_pair.lst').write_text(''.join(f'HED-BSDS/{ln.split()[0]} HED-BSDS/'
                                                                    f'{ln.split()[1]}\n' for ln in lines))
            info['edge_density'] = float(np.mean(density))
        else:
            (hed / 'test.lst').write_text(''.join(f'{ln}\n' for ln in lines))
        summary['splits'][split] = info
    return summary
