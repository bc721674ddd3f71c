# Copyright (c) mmkd contributors. All rights reserved.
"""Synthetic detection / instance-segmentation images in the COCO 2017 layout.

Layout::

    OUT/
      train2017/<image id:012d>.jpg
      val2017/<image id:012d>.jpg
      annotations/instances_train2017.json
      annotations/instances_val2017.json

The json files are real COCO "instances" files: ``info``, ``licenses``, ``images`` (id, file_name, height, width,
...), ``annotations`` (id, image_id, category_id, bbox ``[x, y, w, h]``, area, iscrowd=0, segmentation as a list of
polygons) and ``categories`` = the 80 COCO categories with their real ids (1..90 with gaps), names and
supercategories, so the default 80-class metainfo of ``mmdet.datasets.CocoDataset`` matches.

Objects come from six categories (person, bicycle, car, bus, traffic light, dog), drawn as textured composite shapes
on textured backgrounds with unannotated clutter. Later objects may occlude earlier ones (an object is never hidden
by more than 60%), and the annotation is the *visible* part: the polygons are the outer contours of the visible
mask (through pixel centres), the bbox is the tight pixel box of that mask and the area its pixel count. The first
image of every split has no objects (images without annotations are a real case that loaders must handle), and
others may have none by chance.
"""
import json
from pathlib import Path
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np

from .common import (
    Canvas,
    PathLike,
    TextureSpec,
    check_positive,
    make_rng,
    photometric,
    prepare_out_dir,
    progress_range,
    write_image,
)

#: The 80 COCO categories: (id, name, supercategory), in the order of ``mmdet.datasets.CocoDataset``.
COCO_CATEGORIES: Tuple[Tuple[int, str, str], ...] = (
    (1, 'person', 'person'), (2, 'bicycle', 'vehicle'), (3, 'car', 'vehicle'), (4, 'motorcycle', 'vehicle'),
    (5, 'airplane', 'vehicle'), (6, 'bus', 'vehicle'), (7, 'train', 'vehicle'), (8, 'truck', 'vehicle'),
    (9, 'boat', 'vehicle'), (10, 'traffic light', 'outdoor'), (11, 'fire hydrant', 'outdoor'),
    (13, 'stop sign', 'outdoor'), (14, 'parking meter', 'outdoor'), (15, 'bench', 'outdoor'), (16, 'bird', 'animal'),
    (17, 'cat', 'animal'), (18, 'dog', 'animal'), (19, 'horse', 'animal'), (20, 'sheep', 'animal'),
    (21, 'cow', 'animal'), (22, 'elephant', 'animal'), (23, 'bear', 'animal'), (24, 'zebra', 'animal'),
    (25, 'giraffe', 'animal'), (27, 'backpack', 'accessory'), (28, 'umbrella', 'accessory'),
    (31, 'handbag', 'accessory'), (32, 'tie', 'accessory'), (33, 'suitcase', 'accessory'), (34, 'frisbee', 'sports'),
    (35, 'skis', 'sports'), (36, 'snowboard', 'sports'), (37, 'sports ball', 'sports'), (38, 'kite', 'sports'),
    (39, 'baseball bat', 'sports'), (40, 'baseball glove', 'sports'), (41, 'skateboard', 'sports'),
    (42, 'surfboard', 'sports'), (43, 'tennis racket', 'sports'), (44, 'bottle', 'kitchen'),
    (46, 'wine glass', 'kitchen'), (47, 'cup', 'kitchen'), (48, 'fork', 'kitchen'), (49, 'knife', 'kitchen'),
    (50, 'spoon', 'kitchen'), (51, 'bowl', 'kitchen'), (52, 'banana', 'food'), (53, 'apple', 'food'),
    (54, 'sandwich', 'food'), (55, 'orange', 'food'), (56, 'broccoli', 'food'), (57, 'carrot', 'food'),
    (58, 'hot dog', 'food'), (59, 'pizza', 'food'), (60, 'donut', 'food'), (61, 'cake', 'food'),
    (62, 'chair', 'furniture'), (63, 'couch', 'furniture'), (64, 'potted plant', 'furniture'), (65, 'bed', 'furniture'),
    (67, 'dining table', 'furniture'), (70, 'toilet', 'furniture'), (72, 'tv', 'electronic'),
    (73, 'laptop', 'electronic'), (74, 'mouse', 'electronic'), (75, 'remote', 'electronic'),
    (76, 'keyboard', 'electronic'), (77, 'cell phone', 'electronic'), (78, 'microwave', 'appliance'),
    (79, 'oven', 'appliance'), (80, 'toaster', 'appliance'), (81, 'sink', 'appliance'),
    (82, 'refrigerator', 'appliance'), (84, 'book', 'indoor'), (85, 'clock', 'indoor'), (86, 'vase', 'indoor'),
    (87, 'scissors', 'indoor'), (88, 'teddy bear', 'indoor'), (89, 'hair drier', 'indoor'),
    (90, 'toothbrush', 'indoor'))
_CAT_ID = {name: cid for cid, name, _ in COCO_CATEGORIES}

#: The categories objects are drawn from.
USED_CATEGORIES: Tuple[str, ...] = ('person', 'bicycle', 'car', 'bus', 'traffic light', 'dog')

# Base colours (one picked per object, then jittered) and textures (kind, amplitude, scale, angle) per category.
_APPEARANCE: Dict[str, Tuple[Sequence[Tuple[int, int, int]], Tuple[tuple, ...]]] = {
    'person': (((150, 40, 50), (40, 50, 110), (55, 55, 58), (170, 150, 120), (35, 95, 60)), (('noise', 0.12, 2, 0), )),
    'bicycle': (((70, 70, 80), (160, 30, 30), (150, 150, 155)), (('noise', 0.05, 1, 0), )),
    'car': (((20, 30, 110), (150, 150, 155), (30, 30, 34), (165, 30, 30), (205, 205, 208)), (('noise', 0.04, 3, 0), )),
    'bus': (((205, 165, 45), (45, 95, 165), (200, 200, 205)), (('stripes', 0.08, 6, 90), )),
    'traffic light': (((58, 58, 52), (70, 70, 40)), (('noise', 0.08, 1, 0), )),
    'dog': (((140, 100, 60), (60, 45, 35), (200, 180, 150), (110, 110, 110)),
            (('blobs', 0.15, 3, 0), ('stripes', 0.06, 2, 30))),
}
_BACKGROUND_KINDS = (('noise', 0.15, 6, 0), ('stripes', 0.12, 5, 30), ('grid', 0.2, 7, 0), ('blobs', 0.2, 10, 0),
                     ('windows', 0.2, 8, 0), ('lattice', 0.2, 6, 0))

_Shape = Callable[[Canvas, int, np.random.Generator, float, float, float], None]


def _person(cv: Canvas, idx: int, r: np.random.Generator, cx: float, cy: float, size: float) -> None:
    """Standing person; ``size`` = height in px, (cx, cy) = centre of the bbox."""
    top, h = cy - size / 2, size
    lw = max(size * 0.09, 2.0)
    hip, sh = top + 0.52 * h, top + 0.2 * h
    stride = r.uniform(-0.12, 0.12) * h
    for side in (-1, 1):
        cv.line(idx, (cx + side * 0.05 * h, hip), (cx + side * 0.05 * h + side * abs(stride), top + h), lw, shade=0.6)
        cv.line(idx, (cx + side * 0.12 * h, sh), (cx + side * 0.16 * h, hip + 0.02 * h), max(lw * 0.7, 2.0))
    cv.polygon(idx, np.array([[cx - 0.1 * h, hip], [cx + 0.1 * h, hip], [cx + 0.13 * h, sh], [cx - 0.13 * h, sh]]))
    cv.ellipse(idx, (cx, top + 0.09 * h), (0.07 * h, 0.085 * h), shade=1.3)


def _bicycle(cv: Canvas, idx: int, r: np.random.Generator, cx: float, cy: float, size: float) -> None:
    """Bicycle in profile; ``size`` = width in px."""
    f = 1.0 if r.random() < 0.5 else -1.0
    rad = 0.22 * size
    wy = cy + 0.3 * size - rad
    t = max(0.05 * size, 2.0)
    for u in (-0.3, 0.3):
        cv.ring(idx, (cx + u * size * f, wy), rad, t)
    frame = np.array([[-0.3, 0.0], [0.0, 0.02], [-0.08, -0.3], [0.22, -0.3], [0.3, 0.0], [0.0, 0.02]])
    pts = np.stack([cx + frame[:, 0] * size * f, wy + frame[:, 1] * size], 1)
    for a, b in zip(pts[:-1], pts[1:]):
        cv.line(idx, a, b, t)
    cv.line(idx, pts[3], pts[3] + [0.02 * size * f, -0.1 * size], t)
    cv.line(idx, pts[2], pts[2] + [0.0, -0.06 * size], t, shade=0.4)


def _car(cv: Canvas, idx: int, r: np.random.Generator, cx: float, cy: float, size: float) -> None:
    """Car in profile; ``size`` = length in px."""
    f = 1.0 if r.random() < 0.5 else -1.0
    h = 0.42 * size
    base, top = cy + h / 2, cy - h / 2
    body = np.array([[-0.5, 0.78], [-0.48, 0.45], [-0.22, 0.42], [-0.1, 0.0], [0.22, 0.0], [0.34, 0.4], [0.5, 0.48],
                     [0.5, 0.78]])
    cv.polygon(idx, np.stack([cx + body[:, 0] * size * f, top + body[:, 1] * h], 1))
    win = np.array([[-0.17, 0.42], [-0.07, 0.08], [0.2, 0.08], [0.3, 0.42]])
    cv.polygon(idx, np.stack([cx + win[:, 0] * size * f, top + win[:, 1] * h], 1), shade=0.4)
    for u in (-0.3, 0.3):
        cv.ellipse(idx, (cx + u * size, base - 0.11 * size), (0.11 * size, 0.11 * size), shade=0.2)


def _bus(cv: Canvas, idx: int, r: np.random.Generator, cx: float, cy: float, size: float) -> None:
    """Bus in profile; ``size`` = length in px."""
    h = 0.42 * size
    x0, x1, top, base = cx - size / 2, cx + size / 2, cy - h / 2, cy + h / 2
    cv.rect(idx, x0, top, x1, base - 0.08 * size)
    n = int(r.integers(4, 7))
    for k in range(n):
        wx = x0 + size * (0.06 + 0.9 * k / n)
        cv.rect(idx, wx, top + 0.12 * h, wx + 0.75 * size * 0.9 / n, top + 0.42 * h, shade=0.45)
    for u in (-0.32, 0.3):
        cv.ellipse(idx, (cx + u * size, base - 0.08 * size), (0.08 * size, 0.08 * size), shade=0.2)


def _traffic_light(cv: Canvas, idx: int, r: np.random.Generator, cx: float, cy: float, size: float) -> None:
    """Traffic light head; ``size`` = height in px."""
    w = 0.32 * size
    cv.rect(idx, cx - w / 2, cy - size / 2, cx + w / 2, cy + size / 2)
    lit = int(r.integers(3))
    for k in range(3):
        cv.ellipse(idx, (cx, cy - size / 3 + k * size / 3), (0.32 * w, 0.32 * w), shade=3.0 if k == lit else 0.6)


def _dog(cv: Canvas, idx: int, r: np.random.Generator, cx: float, cy: float, size: float) -> None:
    """Dog in profile; ``size`` = length in px."""
    f = 1.0 if r.random() < 0.5 else -1.0
    lw = max(0.07 * size, 2.0)
    body_y = cy - 0.05 * size
    for u in (-0.3, -0.18, 0.18, 0.28):
        cv.line(idx, (cx + u * size * f, body_y), (cx + (u + 0.02) * size * f, cy + 0.3 * size), lw, shade=0.85)
    cv.ellipse(idx, (cx, body_y), (0.38 * size, 0.15 * size))
    cv.line(idx, (cx - 0.36 * size * f, body_y - 0.05 * size), (cx - 0.5 * size * f, body_y - 0.22 * size), lw * 0.8)
    head = (cx + 0.42 * size * f, body_y - 0.16 * size)
    cv.ellipse(idx, head, (0.12 * size, 0.1 * size), shade=1.1)
    cv.ellipse(idx, (head[0] + 0.1 * size * f, head[1] + 0.03 * size), (0.07 * size, 0.045 * size), shade=0.9)
    cv.ellipse(idx, (head[0] - 0.04 * size * f, head[1] - 0.07 * size), (0.035 * size, 0.07 * size), 20 * f,
               shade=0.6)


# category -> (drawing function, size range as a fraction of the image height, bbox (w, h) per unit size)
_SHAPES: Dict[str, Tuple[_Shape, Tuple[float, float], Tuple[float, float]]] = {
    'person': (_person, (0.3, 0.75), (0.4, 1.0)),
    'bicycle': (_bicycle, (0.3, 0.6), (0.85, 0.6)),
    'car': (_car, (0.35, 0.8), (1.0, 0.45)),
    'bus': (_bus, (0.6, 1.1), (1.0, 0.45)),
    'traffic light': (_traffic_light, (0.15, 0.35), (0.35, 1.0)),
    'dog': (_dog, (0.3, 0.55), (1.0, 0.7)),
}


def _texture(r: np.random.Generator, components: Sequence[tuple]) -> TextureSpec:
    return TextureSpec(tuple((k, float(a), float(s), float(g)) for k, a, s, g in components), int(r.integers(2**31)))


def _jitter(r: np.random.Generator, colour: Sequence[float]) -> Tuple[float, float, float]:
    c = np.asarray(colour, float) * r.uniform(0.85, 1.15) * (1 + r.uniform(-0.06, 0.06, 3))
    return tuple(c)


def _muted(r: np.random.Generator) -> Tuple[float, float, float]:
    """A random background colour, half-way to grey (saturated random colours look nothing like photos)."""
    c = r.uniform(50, 210, 3)
    return tuple(0.5 * c + 0.5 * c.mean())


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / max(union, 1e-6)


def _mask_to_annotation(mask: np.ndarray) -> dict:
    """COCO polygon annotation of a binary mask: outer contours through pixel centres, tight bbox, polygon area.

    Contours that enclose no area (1 px wide slivers, single pixels) are dropped because a COCO polygon needs at
    least three non-collinear points; an annotation with no polygon left is skipped by the caller. COCO polygons
    cannot describe holes (e.g. inside a wheel), so, as in COCO, ``area`` is the area of the filled polygons, not the
    pixel count of the mask.
    """
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    kept = [c for c in contours if len(c) >= 3 and cv2.contourArea(c) >= 1.0]
    polygons = [[round(float(v) + 0.5, 2) for v in c.reshape(-1)] for c in kept]
    filled = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(filled, kept, 1)
    ys, xs = np.nonzero(mask)
    bbox = [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]
    return dict(segmentation=polygons, area=float(filled.sum()), bbox=bbox, iscrowd=0)


def _draw_image(rng: np.random.Generator, height: int, width: int, num_objects: int) -> Tuple[np.ndarray, List[dict]]:
    """Render one image; return it with its annotations (without ids)."""
    cv = Canvas(height, width)
    # Background: two textured regions split by a wavy line, plus unannotated clutter.
    kinds = _BACKGROUND_KINDS
    top = cv.add(0, _muted(rng), _texture(rng, [kinds[int(rng.integers(len(kinds)))]]))
    ground = cv.add(0, _muted(rng), _texture(rng, [kinds[int(rng.integers(len(kinds)))]]))
    xs = np.linspace(0, width, 9)
    ys = height * rng.uniform(0.35, 0.65) + rng.uniform(-0.06, 0.06, 9) * height
    cv.polygon(top, np.array([[0, 0], [width, 0]] + [[x, y] for x, y in zip(xs[::-1], ys[::-1])]))
    cv.polygon(ground, np.array([[0, height], [width, height]] + [[x, y] for x, y in zip(xs[::-1], ys[::-1])]))
    for _ in range(int(rng.integers(0, 5))):
        idx = cv.add(0, _muted(rng), _texture(rng, [kinds[int(rng.integers(len(kinds)))]]))
        c = rng.uniform(0, 1, 2) * [width, height]
        cv.ellipse(idx, c, rng.uniform(0.04, 0.2, 2) * height, rng.uniform(0, 180))

    placed: List[Tuple[int, str, float, List[float]]] = []  # (instance, category, drawn area, bbox)
    for _ in range(num_objects):
        cat = USED_CATEGORIES[int(rng.integers(len(USED_CATEGORIES)))]
        fn, size_range, (bw, bh) = _SHAPES[cat]
        colours, tex = _APPEARANCE[cat]
        for _attempt in range(10):
            size = rng.uniform(*size_range) * height
            w, h = bw * size, bh * size
            cx = rng.uniform(w * 0.35, width - w * 0.35)  # up to ~15% may leave the image (truncation)
            cy = rng.uniform(h * 0.35, height - h * 0.35)
            box = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
            if all(_iou(box, p[3]) < 0.3 for p in placed):
                break
        else:
            continue
        # Draw, then undo if this object hides more than 60% of one drawn before (no annotation would be useful).
        before_inst, before_shade = cv.inst.copy(), cv.shade.copy()
        idx = cv.add(_CAT_ID[cat], _jitter(rng, colours[int(rng.integers(len(colours)))]), _texture(rng, tex))
        fn(cv, idx, rng, cx, cy, size)
        area = float((cv.inst == idx).sum())
        if area < 30 or any((cv.inst == p[0]).sum() < 0.4 * p[2] for p in placed):
            cv.inst, cv.shade = before_inst, before_shade
            continue
        placed.append((idx, cat, area, box))

    img = photometric(cv.render(), rng, blur_sigma=0.4)
    anns = []
    for idx, cat, _, _ in placed:
        ann = _mask_to_annotation(cv.inst == idx)
        if ann['segmentation']:
            ann['category_id'] = _CAT_ID[cat]
            anns.append(ann)
    return img, anns


def generate_synthetic_coco(out_dir: PathLike,
                            num_train: int = 40,
                            num_val: int = 10,
                            height: int = 160,
                            width: int = 224,
                            seed: int = 0,
                            force: bool = False,
                            progress: bool = False,
                            max_objects: int = 5) -> dict:
    """Write a synthetic COCO-format detection / instance-segmentation set (see the module docstring).

    Args:
        out_dir: Dataset root (``data_root`` of ``CocoDataset``).
        num_train: Number of training images (``train2017``).
        num_val: Number of validation images (``val2017``).
        height: Image height in px.
        width: Image width in px.
        seed: Random seed; the same seed writes byte-identical files.
        force: Write into a non-empty ``out_dir`` (replaces its ``train2017``, ``val2017`` and ``annotations``).
        progress: Show a progress bar on stderr (the command line does). Defaults to False.
        max_objects: Maximum number of objects per image.

    Returns:
        A summary dict: ``out_dir``, ``seed``, ``height``, ``width``, ``categories_used`` and per split
        (``splits``) ``num_images``, ``num_annotations``, ``ann_file``, ``img_dir``, ``empty_image_ids`` (the images
        without annotations; the first image of every split is one) and ``per_category`` annotation counts.
    """
    check_positive(num_train=num_train, num_val=num_val, height=height, width=width, max_objects=max_objects)
    if height < 32 or width < 32:
        raise ValueError(f'images must be at least 32x32, got {height}x{width}')
    out = prepare_out_dir(out_dir, ('train2017', 'val2017', 'annotations'), force)
    categories = [dict(id=cid, name=name, supercategory=sup) for cid, name, sup in COCO_CATEGORIES]
    summary = dict(out_dir=str(out), seed=seed, height=height, width=width, categories_used=USED_CATEGORIES,
                   splits={})
    # Ids are unique across both splits, as in COCO.
    for split, num, id_base in (('train', num_train, 0), ('val', num_val, 500000)):
        images, annotations = [], []
        for i in progress_range(num, f'synthetic coco {split}: {num} images', progress):
            rng = make_rng(seed, 'coco', split, i)
            n = 0 if i == 0 else int(rng.choice(max_objects + 1, p=_object_count_probs(max_objects)))
            img, anns = _draw_image(rng, height, width, n)
            image_id = id_base + i + 1
            file_name = f'{image_id:012d}.jpg'
            write_image(out / f'{split}2017' / file_name, img)
            images.append(dict(license=1, file_name=file_name, coco_url='', height=height, width=width,
                               date_captured='', flickr_url='', id=image_id))
            for ann in anns:
                annotations.append(dict(ann, image_id=image_id, id=id_base * 100 + len(annotations) + 1))
        data = dict(
            info=dict(description='mmkd synthetic COCO-format set', url='', version='1.0', year=2017,
                      contributor='mmkd', date_created=''),
            licenses=[dict(id=1, name='Synthetic data generated by mmkd', url='')],
            images=images,
            annotations=annotations,
            categories=categories)
        ann_file = out / 'annotations' / f'instances_{split}2017.json'
        ann_file.parent.mkdir(parents=True, exist_ok=True)
        ann_file.write_text(json.dumps(data))
        annotated = {a['image_id'] for a in annotations}
        summary['splits'][split] = dict(
            num_images=num,
            num_annotations=len(annotations),
            ann_file=str(Path('annotations') / ann_file.name),
            img_dir=f'{split}2017/',
            empty_image_ids=[im['id'] for im in images if im['id'] not in annotated],
            per_category={c: sum(a['category_id'] == _CAT_ID[c] for a in annotations) for c in USED_CATEGORIES})
    return summary


def _object_count_probs(max_objects: int) -> np.ndarray:
    """P(number of objects): uniform over 1..max_objects, 5% empty images (besides the guaranteed first one)."""
    p = np.full(max_objects + 1, 0.95 / max_objects)
    p[0] = 0.05
    return p
