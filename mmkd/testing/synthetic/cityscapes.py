# Copyright (c) mmkd contributors. All rights reserved.
"""Synthetic street scenes in the Cityscapes on-disk layout.

Layout (exactly the files ``mmseg.datasets.CityscapesDataset`` and the Cityscapes scripts expect)::

    OUT/
      leftImg8bit/{train,val}/<city>/<city>_<seq:06d>_000019_leftImg8bit.png         RGB uint8
      gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_labelTrainIds.png     uint8, 0..18 and 255 (ignore)
      gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_labelIds.png          uint8, official label ids
      gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_color.png             RGBA, Cityscapes palette
      gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_instanceIds.png       uint16, id*1000+k for things

Scenes are built in a small 3-D street model (flat ground, pin-hole camera looking down the street) so perspective is
consistent: the road and sidewalks converge to a vanishing point, building facades and walls/fences are planes along
the street, vehicles are boxes (silhouette = convex hull of the projected corners) and people, bicycles, motorcycles,
poles, lights, signs and trees are flat cut-outs at their distance. Far objects are small and thin (poles are 1-2 px),
many classes touch each other, and the hood of the ego car and the rectification border are ignore pixels (label ids
1 and 2, as in the real data).

Every class has a characteristic colour *and* texture, but the colours overlap on purpose (road / sidewalk / terrain /
wall / pole are similar greys, person and rider share clothes, cars come in many colours) and a global brightness /
colour cast / shadow field plus sensor noise is applied per image, so a per-pixel colour lookup cannot solve the task
while a small CNN that sees texture, shape and context can.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from .common import (
    Canvas,
    PathLike,
    TextureSpec,
    check_positive,
    make_rng,
    near_boundary_mask,
    photometric,
    prepare_out_dir,
    progress_range,
    write_image,
)

# --------------------------------------------------------------------------------------------------------------------
# Official Cityscapes label definitions (cityscapesScripts ``labels.py``): (name, id, trainId, hasInstances, colour).
# --------------------------------------------------------------------------------------------------------------------
CITYSCAPES_LABELS: Tuple[Tuple[str, int, int, bool, Tuple[int, int, int]], ...] = (
    ('unlabeled', 0, 255, False, (0, 0, 0)),
    ('ego vehicle', 1, 255, False, (0, 0, 0)),
    ('rectification border', 2, 255, False, (0, 0, 0)),
    ('out of roi', 3, 255, False, (0, 0, 0)),
    ('static', 4, 255, False, (0, 0, 0)),
    ('dynamic', 5, 255, False, (111, 74, 0)),
    ('ground', 6, 255, False, (81, 0, 81)),
    ('road', 7, 0, False, (128, 64, 128)),
    ('sidewalk', 8, 1, False, (244, 35, 232)),
    ('parking', 9, 255, False, (250, 170, 160)),
    ('rail track', 10, 255, False, (230, 150, 140)),
    ('building', 11, 2, False, (70, 70, 70)),
    ('wall', 12, 3, False, (102, 102, 156)),
    ('fence', 13, 4, False, (190, 153, 153)),
    ('guard rail', 14, 255, False, (180, 165, 180)),
    ('bridge', 15, 255, False, (150, 100, 100)),
    ('tunnel', 16, 255, False, (150, 120, 90)),
    ('pole', 17, 5, False, (153, 153, 153)),
    ('polegroup', 18, 255, False, (153, 153, 153)),
    ('traffic light', 19, 6, False, (250, 170, 30)),
    ('traffic sign', 20, 7, False, (220, 220, 0)),
    ('vegetation', 21, 8, False, (107, 142, 35)),
    ('terrain', 22, 9, False, (152, 251, 152)),
    ('sky', 23, 10, False, (70, 130, 180)),
    ('person', 24, 11, True, (220, 20, 60)),
    ('rider', 25, 12, True, (255, 0, 0)),
    ('car', 26, 13, True, (0, 0, 142)),
    ('truck', 27, 14, True, (0, 0, 70)),
    ('bus', 28, 15, True, (0, 60, 100)),
    ('caravan', 29, 255, True, (0, 0, 90)),
    ('trailer', 30, 255, True, (0, 0, 110)),
    ('train', 31, 16, True, (0, 80, 100)),
    ('motorcycle', 32, 17, True, (0, 0, 230)),
    ('bicycle', 33, 18, True, (119, 11, 32)),
)
_ID = {name: lid for name, lid, _, _, _ in CITYSCAPES_LABELS}

#: label id -> train id lookup table (256 entries so any uint8 map can be indexed; unknown ids -> 255).
LABEL_ID_TO_TRAIN_ID = np.full(256, 255, np.uint8)
#: label id -> RGB colour.
LABEL_ID_TO_COLOUR = np.zeros((256, 3), np.uint8)
_HAS_INSTANCES = np.zeros(256, bool)
for _name, _lid, _tid, _inst, _col in CITYSCAPES_LABELS:
    LABEL_ID_TO_TRAIN_ID[_lid] = _tid
    LABEL_ID_TO_COLOUR[_lid] = _col
    _HAS_INSTANCES[_lid] = _inst

#: The 19 evaluated classes in train-id order (same order as ``mmseg.datasets.CityscapesDataset.METAINFO``).
CITYSCAPES_CLASSES: Tuple[str, ...] = tuple(
    name for name, _, tid, _, _ in sorted(CITYSCAPES_LABELS, key=lambda r: r[2]) if tid != 255)

DEFAULT_TRAIN_CITIES = ('aachen', 'bochum')
DEFAULT_VAL_CITIES = ('frankfurt', )

# Classes that do not appear in every scene. Image ``i`` of a split is guaranteed to contain ``_RARE[i % 10]``
# (plus all the common classes), so any split with >= 10 images contains all 19 classes.
_RARE = ('wall', 'fence', 'traffic light', 'terrain', 'rider', 'truck', 'bus', 'train', 'motorcycle', 'bicycle')
_COMMON = ('road', 'sidewalk', 'building', 'pole', 'traffic sign', 'vegetation', 'sky', 'person', 'car')

# --------------------------------------------------------------------------------------------------------------------
# Appearance: base colours (one is picked per instance, then jittered) and per-class texture recipes. Several classes
# share colour ranges on purpose; their textures differ. Texture tuples are (kind, amplitude, scale, angle), with
# ``scale`` given as (low, high) where it is drawn per image.
# --------------------------------------------------------------------------------------------------------------------
_CLOTHES = ((150, 40, 50), (40, 50, 110), (55, 55, 58), (170, 150, 120), (35, 95, 60), (200, 200, 195), (110, 80, 60))
_APPEARANCE: Dict[str, Tuple[Sequence[Tuple[int, int, int]], Sequence[tuple]]] = {
    'ego vehicle': (((38, 38, 44), ), (('vgradient', 0.3, 0, 0), ('noise', 0.05, 4, 0))),
    'rectification border': (((4, 4, 4), ), (('flat', 0, 0, 0), )),
    'road': (((96, 94, 100), (88, 88, 92), (104, 100, 98)), (('noise', 0.07, 1, 0), ('noise', 0.08, (6, 12), 0))),
    'sidewalk': (((116, 110, 112), (124, 118, 110), (108, 104, 108)),
                 (('grid', 0.22, (5, 8), 0), ('noise', 0.05, 1, 0))),
    'building': (((118, 108, 96), (96, 96, 100), (140, 112, 90), (120, 86, 74), (150, 140, 120), (85, 90, 98)),
                 (('windows', 0.28, (5, 9), 0), ('noise', 0.06, 3, 0))),
    'wall': (((120, 116, 108), (132, 124, 112), (108, 108, 112)),
             (('stripes', 0.15, (2.5, 4), 90), ('noise', 0.05, 1, 0))),
    'fence': (((126, 112, 96), (110, 110, 104), (96, 104, 92)), (('lattice', 0.3, (3.5, 5), 0), )),
    'pole': (((112, 112, 116), (96, 100, 104), (128, 126, 120)), (('stripes', 0.08, 3, 0), ('noise', 0.04, 1, 0))),
    'traffic light': (((58, 58, 52), (44, 50, 44)), (('noise', 0.08, 1, 0), )),
    'traffic sign': (((205, 190, 50), (190, 55, 50), (50, 85, 170), (220, 220, 220)), (('noise', 0.05, 2, 0), )),
    'vegetation': (((70, 102, 42), (58, 88, 46), (88, 110, 52)), (('blobs', 0.3, (2, 4), 0), ('noise', 0.1, 1, 0))),
    'terrain': (((112, 118, 86), (120, 112, 88), (104, 118, 80)),
                (('noise', 0.14, (3, 5), 0), ('stripes', 0.06, (3, 5), 45), ('noise', 0.06, 1, 0))),
    'sky': (((150, 180, 212), (170, 190, 205), (195, 200, 205), (130, 165, 205)),
            (('vgradient', 0.15, 0, 0), ('blobs', 0.12, (12, 24), 0))),
    'person': (_CLOTHES, (('noise', 0.1, 2, 0), )),
    'rider': (_CLOTHES, (('noise', 0.1, 2, 0), )),
    'car': (((20, 30, 110), (150, 150, 155), (30, 30, 34), (165, 30, 30), (205, 205, 208), (45, 70, 115),
             (120, 110, 95)), (('noise', 0.04, 2, 0), )),
    'truck': (((190, 190, 180), (70, 90, 130), (150, 60, 40), (210, 205, 190)), (('stripes', 0.14, (3, 5), 0),
                                                                                 ('noise', 0.04, 2, 0))),
    'bus': (((205, 165, 45), (45, 95, 165), (200, 200, 205), (170, 40, 40)), (('noise', 0.05, 3, 0), )),
    'train': (((185, 185, 195), (200, 45, 45), (225, 215, 120)), (('stripes', 0.1, (6, 9), 90), )),
    'motorcycle': (((40, 40, 46), (150, 30, 30), (30, 40, 90)), (('noise', 0.06, 2, 0), )),
    'bicycle': (((70, 70, 80), (40, 40, 40), (150, 150, 155)), (('noise', 0.04, 1, 0), )),
}


# --------------------------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------------------------
class _Camera:
    """Pin-hole camera at height ``cam_height`` over flat ground, looking along the street (+distance).

    World coordinates: ``x`` lateral (m, right positive), ``z`` height (m), ``d`` distance along the street (m).
    A point projects to ``u = vx + x * s``, ``v = hy + (cam_height - z) * s`` with ``s = f / d`` px per metre.
    """

    def __init__(self, rng: np.random.Generator, height: int, width: int) -> None:
        self.hy = height * rng.uniform(0.36, 0.5)  # horizon row
        self.vx = width * rng.uniform(0.4, 0.6)  # vanishing point column
        self.cam_height = rng.uniform(1.6, 2.3)
        self.focal = width * rng.uniform(0.8, 1.05)
        # Distance of the ground seen at the bottom row: nearer objects would be cut by the image border.
        self.d_bottom = self.focal * self.cam_height / (height - self.hy)

    def scale(self, d: float) -> float:
        """Pixels per metre at distance ``d``."""
        return self.focal / d

    def project(self, x: np.ndarray, z: np.ndarray, d: np.ndarray) -> np.ndarray:
        x, z, d = np.broadcast_arrays(np.asarray(x, float), np.asarray(z, float), np.asarray(d, float))
        s = self.focal / d
        return np.stack([self.vx + x * s, self.hy + (self.cam_height - z) * s], -1).reshape(-1, 2)

    def box(self, x0: float, x1: float, z0: float, z1: float, d0: float, d1: float) -> np.ndarray:
        """The 8 projected corners of an axis-aligned box (draw with :meth:`Canvas.hull`)."""
        xs, zs, ds = np.meshgrid([x0, x1], [z0, z1], [d0, d1], indexing='ij')
        return self.project(xs, zs, ds)

    def ground(self, x0: float, x1: float, d0: float, d1: float) -> np.ndarray:
        """A quad on the ground (lines project to lines, so 4 corners are exact)."""
        return self.project([x0, x1, x1, x0], 0.0, [d0, d0, d1, d1])

    def side(self, x: float, z0: float, z1: float, d0: float, d1: float) -> np.ndarray:
        """A vertical plane along the street (facade, wall, fence, hedge)."""
        return self.project(x, [z0, z0, z1, z1], [d0, d1, d1, d0])

    def billboard(self, x: float, d: float, pts: np.ndarray) -> np.ndarray:
        """Points ``(u, z)`` in metres of a flat cut-out facing the camera at lateral ``x`` and distance ``d``."""
        pts = np.asarray(pts, float).reshape(-1, 2)
        return self.project(x + pts[:, 0], pts[:, 1], d)


@dataclass
class _Side:
    """Lateral layout of one side of the street (``sign`` = -1 left, +1 right); distances are absolute |x|."""

    sign: int
    road_edge: float
    sidewalk_end: float
    terrain_end: float
    barrier: Optional[str]  # 'wall' | 'fence' | None
    barrier_height: float
    backdrop: Optional[str]  # 'building' | 'vegetation' | None
    backdrop_x: float
    behind: str  # ground class behind the barrier / in backdrop gaps


class _Scene:
    """Draws one street scene into a :class:`Canvas` with Cityscapes label ids as labels."""

    def __init__(self, rng: np.random.Generator, height: int, width: int, force: Set[str]) -> None:
        self.rng, self.h, self.w, self.force = rng, height, width, force
        self.cam = _Camera(rng, height, width)
        self.canvas = Canvas(height, width)
        self.d_far = rng.uniform(120, 250)
        self.d_near = self.cam.d_bottom * 0.5
        self._specs: Dict[str, TextureSpec] = {}

    # --- instances ------------------------------------------------------------------------------------------------
    def _texture(self, cls: str, own: bool = False) -> TextureSpec:
        """Per-image texture of a class; ``own=True`` gives the instance its own parameters (e.g. each building)."""
        if cls in self._specs and not own:
            return self._specs[cls]
        comps = []
        for kind, amp, scale, angle in _APPEARANCE[cls][1]:
            if isinstance(scale, tuple):
                scale = float(self.rng.uniform(*scale))
            comps.append((kind, float(amp), float(scale), float(angle)))
        spec = TextureSpec(tuple(comps), int(self.rng.integers(2**31)))
        if not own:
            self._specs[cls] = spec
        return spec

    def new(self, cls: str, own_texture: bool = False) -> int:
        colours = _APPEARANCE[cls][0]
        base = np.asarray(colours[int(self.rng.integers(len(colours)))], float)
        colour = base * self.rng.uniform(0.88, 1.12) * (1.0 + self.rng.uniform(-0.05, 0.05, size=3))
        return self.canvas.add(_ID[cls], tuple(colour), self._texture(cls, own_texture))

    def want(self, cls: str, p: float) -> bool:
        """Bernoulli(p), but always True for the class this image must contain."""
        return cls in self.force or bool(self.rng.random() < p)

    # --- layout ---------------------------------------------------------------------------------------------------
    def _side(self, sign: int) -> _Side:
        r = self.rng
        road_edge = r.uniform(3.0, 6.0)
        sidewalk_end = road_edge + r.uniform(1.5, 4.0)
        terrain_end = sidewalk_end + (r.uniform(1.0, 4.0) if self.want('terrain', 0.4) else 0.0)
        u = r.random()
        barrier = 'wall' if u < 0.25 else 'fence' if u < 0.55 else None
        barrier_height = r.uniform(0.8, 2.5) if barrier == 'wall' else r.uniform(1.0, 2.0)
        u = r.random()
        backdrop = 'building' if u < 0.75 else 'vegetation' if u < 0.92 else None
        backdrop_x = terrain_end + (r.uniform(0.5, 3.0) if barrier else r.uniform(0.0, 1.0))
        behind = 'terrain' if r.random() < 0.5 else 'sidewalk'
        return _Side(sign, road_edge, sidewalk_end, terrain_end, barrier, barrier_height, backdrop, backdrop_x, behind)

    def draw(self) -> None:
        r = self.rng
        self.new('sky')  # instance 0 fills the canvas
        sides = [self._side(-1), self._side(1)]
        # The wall/fence this image must contain goes on one side at least.
        for cls in ('wall', 'fence'):
            if cls in self.force and all(s.barrier != cls for s in sides):
                s = sides[int(r.integers(2))]
                s.barrier, s.barrier_height = cls, r.uniform(1.0, 2.2)
                s.backdrop_x = max(s.backdrop_x, s.terrain_end + 0.5)
        self._far_band(sides)
        self._ground(sides)
        self._lane_marks(sides)
        for s in sides:
            self._backdrop(s)
        for s in sides:
            self._barrier(s)
        self._objects(sides)
        self._ego()

    def _far_band(self, sides: List[_Side]) -> None:
        """Buildings and trees across the end of the street, frontal at ``d_far``."""
        r, cam, d = self.rng, self.cam, self.d_far
        x = -sides[0].backdrop_x - 60.0
        while x < sides[1].backdrop_x + 60.0:
            width = r.uniform(8, 30)
            if r.random() < 0.7:
                idx, top = self.new('building', own_texture=True), r.uniform(8, 40)
                self.canvas.polygon(idx, cam.billboard(0.0, d, [[x, 0], [x + width, 0], [x + width, top], [x, top]]))
            elif r.random() < 0.8:
                idx = self.new('vegetation')
                for _ in range(3):
                    u, z = x + r.uniform(0, width), r.uniform(4, 12)
                    c = cam.billboard(0.0, d, [[u, z]])[0]
                    rad = r.uniform(3, 8) * cam.scale(d)
                    self.canvas.ellipse(idx, c, (rad, rad * r.uniform(0.7, 1.2)))
                self.canvas.polygon(idx, cam.billboard(0.0, d, [[x, 0], [x + width, 0], [x + width, 6], [x, 6]]))
            x += width

    def _ground(self, sides: List[_Side]) -> None:
        cam, d0, d1 = self.cam, self.d_near, self.d_far
        for s in sides:
            bands = [('sidewalk', s.road_edge, s.sidewalk_end)]
            if s.terrain_end > s.sidewalk_end:
                bands.append(('terrain', s.sidewalk_end, s.terrain_end))
            bands.append((s.behind, s.terrain_end, 80.0))
            for cls, a, b in bands:
                idx = self.new(cls)
                self.canvas.polygon(idx, cam.ground(s.sign * a, s.sign * b, d0, d1))
        self.road = self.new('road')
        self.canvas.polygon(self.road, cam.ground(-sides[0].road_edge, sides[1].road_edge, d0, d1))

    def _lane_marks(self, sides: List[_Side]) -> None:
        """Dashed white lines: same label as the road, only brighter (``shade``)."""
        r, cam = self.rng, self.cam
        lanes = [0.5 * (sides[1].road_edge - sides[0].road_edge)]
        if r.random() < 0.5:
            lanes = [-sides[0].road_edge + 0.3, sides[1].road_edge - 0.3]
        period, dash, start = r.uniform(8, 12), r.uniform(2.5, 4), self.d_near + r.uniform(0, 5)
        for x in lanes:
            d = start
            while d < 80:
                self.canvas.polygon(self.road, cam.ground(x - 0.08, x + 0.08, d, d + dash), shade=2.0)
                d += period

    def _backdrop(self, s: _Side) -> None:
        """Facades / hedges along the street, drawn far to near, with height changes and a few gaps."""
        r, cam = self.rng, self.cam
        if s.backdrop is None:
            return
        segments = []
        d = self.d_near
        while d < self.d_far:
            length = r.uniform(6, 25)
            u = r.random()
            kind = s.backdrop if u < 0.8 else ('vegetation' if u < 0.95 else None)
            segments.append((kind, d, min(d + length, self.d_far)))
            d += length
        x = s.sign * s.backdrop_x
        for kind, d0, d1 in reversed(segments):
            if kind == 'building':
                idx = self.new('building', own_texture=True)
                self.canvas.polygon(idx, cam.side(x, 0.0, r.uniform(6, 25), d0, d1))
            elif kind == 'vegetation':
                idx = self.new('vegetation')
                top = r.uniform(2, 7)
                self.canvas.polygon(idx, cam.side(x, 0.0, top, d0, d1))
                for dd in np.arange(d0, d1, 3.0):
                    c = cam.project(x, top, dd + 1.5)[0]
                    rad = r.uniform(1.0, 2.5) * cam.scale(dd + 1.5)
                    self.canvas.ellipse(idx, c, (rad, rad * r.uniform(0.6, 1.0)))

    def _barrier(self, s: _Side) -> None:
        """Wall or fence along the outer edge of the sidewalk/terrain, with occasional openings."""
        r, cam = self.rng, self.cam
        if s.barrier is None:
            return
        idx = self.new(s.barrier)
        x = s.sign * (s.terrain_end + 0.2)
        d = self.d_near
        while d < self.d_far * 0.6:
            length = r.uniform(8, 40)
            if r.random() < 0.85 or d == self.d_near:
                self.canvas.polygon(idx, cam.side(x, 0.0, s.barrier_height, d, d + length))
            d += length + r.uniform(0, 6)

    # --- objects --------------------------------------------------------------------------------------------------
    def _objects(self, sides: List[_Side]) -> None:
        """Sample objects and draw them far to near (painter's algorithm)."""
        r = self.rng
        dmin = self.cam.d_bottom * 1.05
        todo: List[Tuple[float, object]] = []  # (distance, callable)
        occupied: List[Tuple[float, float, float, float]] = []  # lateral and distance intervals on the road

        def free(x0: float, x1: float, d0: float, d1: float) -> bool:
            return all(x1 < a0 or x0 > a1 or d1 < b0 or d0 > b1 for a0, a1, b0, b1 in occupied)

        def on_road(length: float, width: float, dist: Tuple[float, float], parked: bool = False) -> Optional[tuple]:
            left, right = -sides[0].road_edge, sides[1].road_edge
            for _ in range(12):
                if parked:
                    x = (left + width / 2 + 0.2) if r.random() < 0.5 else (right - width / 2 - 0.2)
                else:
                    x = r.uniform(left + width / 2 + 0.3, right - width / 2 - 0.3)
                d = r.uniform(*dist)
                if free(x - width / 2, x + width / 2, d - 1.0, d + length + 1.0):
                    occupied.append((x - width / 2, x + width / 2, d - 1.0, d + length + 1.0))
                    return x, d
            return None

        def sidewalk_x(margin: float = 0.3) -> float:
            s = sides[int(r.integers(2))]
            return s.sign * r.uniform(s.road_edge + margin, max(s.sidewalk_end - margin, s.road_edge + margin + 0.1))

        # Large vehicles first so that cars fill the gaps.
        for cls, p, length, width, dist in (('train', 0.2, (20, 35), 2.7, (dmin * 1.5, 45)),
                                            ('bus', 0.3, (10, 13), 2.55, (dmin * 1.3, 50)),
                                            ('truck', 0.3, (6, 9), 2.5, (dmin * 1.3, 50))):
            if self.want(cls, p):
                place = on_road(r.uniform(*length), width, dist)
                if place is not None:
                    todo.append((place[1], (cls, place[0], place[1])))
        for _ in range(int(r.integers(2, 6))):
            place = on_road(4.5, 1.9, (dmin * 1.2, 70), parked=r.random() < 0.3)
            if place is not None:
                todo.append((place[1], ('car', place[0], place[1])))
        for cls, p in (('motorcycle', 0.25), ('bicycle', 0.4)):
            if self.want(cls, p) or 'rider' in self.force and cls == 'bicycle':
                for k in range(int(r.integers(1, 3))):
                    rider = k == 0 and ('rider' in self.force or r.random() < 0.8)
                    if cls == 'bicycle' and r.random() < 0.5:
                        x, d = sidewalk_x(0.6), r.uniform(dmin, 40)
                    else:
                        place = on_road(1.8, 1.2, (dmin, 45))
                        if place is None:
                            continue
                        x, d = place
                    todo.append((d, (cls, x, d, rider)))
        for _ in range(int(r.integers(1, 5))):
            if r.random() < 0.8:
                x, d = sidewalk_x(), r.uniform(dmin, 45)
            else:
                x, d = r.uniform(-sides[0].road_edge, sides[1].road_edge), r.uniform(dmin * 1.5, 45)
            todo.append((d, ('person', x, d)))
        n_poles = int(r.integers(2, 6))
        light_pole = int(r.integers(n_poles)) if self.want('traffic light', 0.7) else -1
        for k in range(n_poles):
            s = sides[int(r.integers(2))]
            x, d = s.sign * (s.road_edge + r.uniform(0.3, 0.8)), r.uniform(dmin, 70)
            kind = 'light' if k == light_pole else ('lamp', 'sign', 'light', 'plain')[int(
                r.choice(4, p=[.35, .35, .15, .15]))]
            todo.append((d, ('pole', x, d, kind, s.sign)))
        for _ in range(int(r.integers(0, 3))):
            s = sides[int(r.integers(2))]
            x, d = s.sign * (s.road_edge + r.uniform(0.3, 1.0)), r.uniform(dmin, 50)
            todo.append((d, ('pole', x, d, 'sign', s.sign)))
        for s in sides:
            if s.sidewalk_end - s.road_edge > 2.0 or s.terrain_end > s.sidewalk_end:
                for _ in range(int(r.integers(0, 3))):
                    x = s.sign * r.uniform(s.sidewalk_end - 0.8, max(s.terrain_end, s.sidewalk_end) - 0.2)
                    d = r.uniform(dmin * 1.3, 60)
                    todo.append((d, ('tree', x, d)))
        # Far to near; ties keep the sampling order (stable sort) so the result is deterministic.
        for _, item in sorted(todo, key=lambda t: -t[0]):
            getattr(self, '_' + item[0])(*item[1:])

    def _box_vehicle(self, cls: str, x: float, d: float, width: float, height: float, length: float,
                     windows: Tuple[float, float], wheels: Sequence[float]) -> None:
        cam, cv = self.cam, self.canvas
        idx = self.new(cls)
        w2 = width / 2
        cv.hull(idx, cam.box(x - w2, x + w2, 0.3, height, d, d + length))
        # Window band on the visible faces (silhouette of a thinner box with the same lateral/depth extent).
        cv.hull(idx, cam.box(x - w2, x + w2, windows[0], windows[1], d + 0.3, d + length - 0.3), shade=0.45)
        cv.hull(idx, cam.box(x - w2 + 0.1, x + w2 - 0.1, windows[0], windows[1], d, d + 0.01), shade=0.5)
        for dd in wheels:
            for sx in (-1, 1):
                cv.hull(idx, cam.box(x + sx * w2 - 0.2, x + sx * w2 + 0.01, 0.0, 0.9, d + dd - 0.45, d + dd + 0.45),
                        shade=0.22)

    def _bus(self, x: float, d: float) -> None:
        length = self.rng.uniform(10, 13)
        self._box_vehicle('bus', x, d, 2.55, self.rng.uniform(2.9, 3.2), length, (1.5, 2.6), (2.0, length - 2.5))

    def _train(self, x: float, d: float) -> None:
        r, cam, cv = self.rng, self.cam, self.canvas
        length = r.uniform(20, 35)
        idx = self.new('train')
        cv.hull(idx, cam.box(x - 1.35, x + 1.35, 0.35, 3.6, d, d + length))
        cv.hull(idx, cam.box(x - 1.35, x + 1.35, 0.7, 1.0, d, d + length), shade=0.7)
        for k in np.arange(d + 0.5, d + length - 2.0, 2.6):  # separate windows along the car body
            cv.hull(idx, cam.box(x - 1.35, x + 1.35, 1.6, 2.6, k, k + 1.8), shade=0.45)
        cv.hull(idx, cam.box(x - 1.0, x + 1.0, 1.5, 2.8, d, d + 0.01), shade=0.4)

    def _truck(self, x: float, d: float) -> None:
        r, cam, cv = self.rng, self.cam, self.canvas
        length, height = r.uniform(6, 9), r.uniform(3.2, 3.8)
        idx = self.new('truck')
        cv.hull(idx, cam.box(x - 1.2, x + 1.2, 0.45, 2.9, d + length + 0.2, d + length + 2.4))  # cab
        cv.hull(idx, cam.box(x - 1.2, x + 1.2, 1.9, 2.6, d + length + 0.2, d + length + 2.2), shade=0.45)
        cv.hull(idx, cam.box(x - 1.1, x + 1.1, 0.25, 0.6, d, d + length + 2.4), shade=0.35)  # chassis
        cv.hull(idx, cam.box(x - 1.25, x + 1.25, 0.6, height, d, d + length))  # cargo box
        for dd in (1.0, length - 1.0, length + 1.5):
            for sx in (-1, 1):
                cv.hull(idx, cam.box(x + sx * 1.2 - 0.2, x + sx * 1.2 + 0.01, 0.0, 1.0, d + dd - 0.5, d + dd + 0.5),
                        shade=0.22)

    def _car(self, x: float, d: float) -> None:
        r, cam, cv = self.rng, self.cam, self.canvas
        w2, length = r.uniform(0.85, 0.95), r.uniform(3.9, 4.7)
        zb = r.uniform(0.85, 1.0)
        zc = zb + r.uniform(0.45, 0.6)
        idx = self.new('car')
        cv.hull(idx, cam.box(x - w2 * 0.82, x + w2 * 0.82, zb - 0.05, zc, d + 0.8, d + length - 1.2), shade=0.4)
        cv.hull(idx, cam.box(x - w2 * 0.8, x + w2 * 0.8, zc - 0.02, zc, d + 1.0, d + length - 1.4))  # roof
        cv.hull(idx, cam.box(x - w2, x + w2, 0.3, zb, d, d + length))  # body
        for sx in (-1, 1):
            cv.hull(idx, cam.box(x + sx * w2 - 0.3, x + sx * w2 + 0.3, 0.6, 0.78, d, d + 0.01), shade=1.6)  # lights
            for dd in (0.8, length - 0.9):
                cv.hull(idx, cam.box(x + sx * w2 - 0.2, x + sx * w2 + 0.01, 0.0, 0.62, d + dd - 0.33, d + dd + 0.33),
                        shade=0.22)

    def _figure(self, cls: str, x: float, d: float, hip: Tuple[float, float], knee: Tuple[float, float],
                foot: Tuple[float, float], shoulder: Tuple[float, float], hand: Tuple[float, float],
                head_r: float) -> None:
        """A person/rider cut-out: legs, torso, arm, head (shade darkens trousers / lightens the face)."""
        cam, cv = self.cam, self.canvas
        s = cam.scale(d)
        idx = self.new(cls)
        for side in (-0.08, 0.08):
            k, f = (knee[0] + side, knee[1]), (foot[0] + side * 1.5, foot[1])
            cv.line(idx, *cam.billboard(x, d, [hip, k]), 0.15 * s, shade=0.6)
            cv.line(idx, *cam.billboard(x, d, [k, f]), 0.13 * s, shade=0.6)
        torso = [[hip[0] - 0.19, hip[1]], [hip[0] + 0.19, hip[1]], [shoulder[0] + 0.22, shoulder[1]],
                 [shoulder[0] - 0.22, shoulder[1]]]
        cv.polygon(idx, cam.billboard(x, d, torso))
        for side in (-0.2, 0.2):
            cv.line(idx, *cam.billboard(x, d, [[shoulder[0] + side, shoulder[1]], [hand[0] + side, hand[1]]]),
                    0.1 * s)
        head = cam.billboard(x, d, [[shoulder[0] + 0.03, shoulder[1] + head_r + 0.06]])[0]
        cv.ellipse(idx, head, (head_r * s, head_r * 1.15 * s), shade=1.25)

    def _person(self, x: float, d: float) -> None:
        r = self.rng
        h = r.uniform(1.55, 1.9)
        stride = r.uniform(0.0, 0.25) * (1 if r.random() < 0.5 else -1)
        self._figure('person', x, d, hip=(0.0, 0.5 * h), knee=(stride * 0.5, 0.27 * h), foot=(stride, 0.0),
                     shoulder=(0.0, 0.82 * h), hand=(r.uniform(-0.1, 0.1), 0.47 * h), head_r=0.065 * h)

    def _two_wheeler(self, cls: str, x: float, d: float, rider: bool) -> None:
        r, cam, cv = self.rng, self.cam, self.canvas
        s = cam.scale(d)
        f = 1.0 if r.random() < 0.5 else -1.0  # facing left or right
        idx = self.new(cls)
        if cls == 'bicycle':
            rad, hub = 0.34, 0.52
            for u in (-hub, hub):
                c = cam.billboard(x, d, [[u * f, rad]])[0]
                cv.ring(idx, c, rad * s, max(0.07 * s, 1.0))
            frame = [[-hub, rad], [0.0, 0.32], [-0.15, 0.9], [0.4, 0.95], [hub, rad], [0.0, 0.32]]
            pts = cam.billboard(x, d, [[u * f, z] for u, z in frame])
            for a, b in zip(pts[:-1], pts[1:]):
                cv.line(idx, a, b, max(0.06 * s, 1.0))
            cv.line(idx, *cam.billboard(x, d, [[0.4 * f, 0.95], [0.38 * f, 1.08]]), max(0.06 * s, 1.0))
            seat, bar = (-0.15 * f, 0.95), (0.38 * f, 1.05)
        else:
            rad, hub = 0.31, 0.7
            for u in (-hub, hub):
                c = cam.billboard(x, d, [[u * f, rad]])[0]
                cv.ellipse(idx, c, (rad * s, rad * s), shade=0.35)
            body = [[-0.65, 0.5], [-0.3, 0.9], [0.35, 0.95], [0.65, 0.65], [0.25, 0.35], [-0.3, 0.35]]
            cv.polygon(idx, cam.billboard(x, d, [[u * f, z] for u, z in body]))
            cv.line(idx, *cam.billboard(x, d, [[0.5 * f, 0.8], [0.45 * f, 1.15]]), max(0.07 * s, 1.0))
            seat, bar = (-0.2 * f, 0.95), (0.45 * f, 1.12)
        if rider:
            self._figure('rider', x, d, hip=seat, knee=(seat[0] + 0.3 * f, 0.7), foot=(0.05 * f, 0.3),
                         shoulder=(seat[0] + 0.25 * f, seat[1] + 0.55), hand=bar, head_r=0.12)

    def _motorcycle(self, x: float, d: float, rider: bool) -> None:
        self._two_wheeler('motorcycle', x, d, rider)

    def _bicycle(self, x: float, d: float, rider: bool) -> None:
        self._two_wheeler('bicycle', x, d, rider)

    def _pole(self, x: float, d: float, kind: str, sign: int) -> None:
        """A pole with a street lamp arm, a sign, a traffic light (maybe on an arm over the road) or nothing."""
        r, cam, cv = self.rng, self.cam, self.canvas
        s = cam.scale(d)
        height = r.uniform(6.5, 9) if kind == 'lamp' else r.uniform(3.0, 4.5)
        idx = self.new('pole')
        width = max(r.uniform(0.12, 0.25) * s, 1.0)
        cv.line(idx, *cam.project([x, x], [0.0, height], d), width)
        inward = -sign  # towards the road
        if kind == 'lamp' or (kind == 'light' and r.random() < 0.4):
            reach = r.uniform(1.5, 4.0)
            cv.line(idx, *cam.project([x, x + inward * reach], [height - 0.1, height - 0.1], d), max(0.6 * width, 1))
            top_x = x + inward * reach
        else:
            top_x = x
        if kind == 'lamp':
            cv.ellipse(idx, cam.project(top_x, height - 0.25, d)[0], (0.35 * s, 0.15 * s), shade=1.4)
        elif kind == 'sign':
            self._sign(x, d, r.uniform(2.0, height - 0.3))
        elif kind == 'light':
            light = self.new('traffic light')
            top = height - 0.1 if top_x == x else height - 0.2
            cv.hull(light, cam.box(top_x - 0.18, top_x + 0.18, top - 0.95, top, d - 0.15, d + 0.15))
            lit = int(r.integers(3))
            for k in range(3):
                c = cam.project(top_x, top - 0.2 - 0.28 * k, d - 0.15)[0]
                cv.ellipse(light, c, (0.09 * s, 0.09 * s), shade=3.2 if k == lit else 0.6)

    def _sign(self, x: float, d: float, z: float) -> None:
        r, cam, cv = self.rng, self.cam, self.canvas
        s = cam.scale(d)
        idx = self.new('traffic sign')
        shape = int(r.integers(3))
        c = cam.project(x, z, d - 0.05)[0]
        half_h = r.uniform(0.22, 0.45)
        for scale, shade in ((1.0, 0.55), (0.78, 1.0)):  # dark rim, bright face
            if shape == 0:
                cv.ellipse(idx, c, (0.35 * scale * s, 0.35 * scale * s), shade=shade)
            elif shape == 1:
                tri = np.array([[-0.4, -0.3], [0.4, -0.3], [0.0, 0.42]]) * scale
                cv.polygon(idx, cam.billboard(x, d - 0.05, tri + [0.0, z]), shade=shade)
            else:
                hw, hh = 0.3 * scale, half_h * scale
                cv.rect(idx, c[0] - hw * s, c[1] - hh * s, c[0] + hw * s, c[1] + hh * s, shade=shade)

    def _tree(self, x: float, d: float) -> None:
        r, cam, cv = self.rng, self.cam, self.canvas
        s = cam.scale(d)
        idx = self.new('vegetation')
        crown = r.uniform(3.0, 5.5)
        cv.line(idx, *cam.project([x, x], [0.0, crown], d), max(0.3 * s, 1.0), shade=0.55)  # trunk is vegetation
        for _ in range(int(r.integers(3, 7))):
            c = cam.project(x + r.uniform(-1.2, 1.2), crown + r.uniform(-0.5, 1.5), d)[0]
            rad = r.uniform(1.0, 2.0) * s
            cv.ellipse(idx, c, (rad, rad * r.uniform(0.7, 1.1)))

    def _ego(self) -> None:
        """Hood of the recording car (label id 1) and, sometimes, rectification-border corners (label id 2)."""
        r, h, w, cv = self.rng, self.h, self.w, self.canvas
        hood = h * r.uniform(0.04, 0.08)
        k = r.uniform(2, 4)
        center = (w * r.uniform(0.45, 0.55), h + hood * k)
        cv.ellipse(self.new('ego vehicle'), center, (w * r.uniform(0.6, 0.9), hood * (k + 1)))
        if r.random() < 0.5:
            idx = self.new('rectification border')
            bw, bh = w * r.uniform(0.03, 0.08), h * r.uniform(0.08, 0.2)
            cv.polygon(idx, np.array([[0, h - bh], [bw, h], [0, h]]))
            cv.polygon(idx, np.array([[w, h - bh], [w - bw, h], [w, h]]))


def _render_scene(rng: np.random.Generator, height: int, width: int,
                  force: Set[str]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw until every class in ``force`` and ``_COMMON`` is visible; return (RGB, label ids, instance ids)."""
    required = {_ID[c] for c in set(force) | set(_COMMON)}
    for _attempt in range(50):
        scene = _Scene(rng, height, width, force)
        scene.draw()
        label_ids = scene.canvas.label_map(np.uint8)
        if required <= set(np.unique(label_ids).tolist()):
            break
    else:  # pragma: no cover - the scene sampler makes this practically impossible
        missing = required - set(np.unique(label_ids).tolist())
        raise RuntimeError(f'could not draw a scene containing label ids {sorted(missing)}')
    cv = scene.canvas
    img = photometric(cv.render(), rng, blur_sigma=0.5)
    # instanceIds: things get id * 1000 + per-class instance number, stuff keeps its label id (Cityscapes format).
    labels = np.asarray(cv.labels, np.int64)
    inst_code = labels.copy()
    counters: Dict[int, int] = {}
    for i in np.unique(cv.inst):
        lid = int(labels[i])
        if _HAS_INSTANCES[lid]:
            inst_code[i] = lid * 1000 + counters.get(lid, 0)
            counters[lid] = counters.get(lid, 0) + 1
    return img, label_ids, inst_code[cv.inst].astype(np.uint16)


def generate_synthetic_cityscapes(out_dir: PathLike,
                                  num_train: int = 64,
                                  num_val: int = 16,
                                  height: int = 128,
                                  width: int = 256,
                                  seed: int = 0,
                                  force: bool = False,
                            progress: bool = False,
                                  train_cities: Sequence[str] = DEFAULT_TRAIN_CITIES,
                                  val_cities: Sequence[str] = DEFAULT_VAL_CITIES) -> dict:
    """Write a synthetic street-scene dataset in the Cityscapes layout (see the module docstring).

    Args:
        out_dir: Dataset root (``data_root`` of ``CityscapesDataset``).
        num_train: Number of training images (>= 10 guarantees all 19 classes in the split).
        num_val: Number of validation images (same guarantee).
        height: Image height in px.
        width: Image width in px.
        seed: Random seed; the same seed writes byte-identical files.
        force: Write into a non-empty ``out_dir`` (replaces its ``leftImg8bit`` and ``gtFine`` folders).
        progress: Show a progress bar on stderr (the command line does). Defaults to False.
        train_cities: City names used (round-robin) for the training images.
        val_cities: City names used for the validation images.

    Returns:
        A summary dict: ``out_dir``, ``seed``, ``height``, ``width``, ``classes``, and per split (``splits``) the
        number of images, cities, per-train-id pixel counts (index 19 = ignore), classes present, the ignore fraction
        and the fraction of pixels within 2 px of a class boundary.
    """
    check_positive(num_train=num_train, num_val=num_val, height=height, width=width)
    if height < 32 or width < 32:
        raise ValueError(f'images must be at least 32x32, got {height}x{width}')
    out = prepare_out_dir(out_dir, ('leftImg8bit', 'gtFine'), force)
    summary = dict(out_dir=str(out), seed=seed, height=height, width=width, classes=CITYSCAPES_CLASSES, splits={})
    for split, num, cities in (('train', num_train, tuple(train_cities)), ('val', num_val, tuple(val_cities))):
        counts = np.zeros(20, np.int64)
        near = 0
        for i in progress_range(num, f'synthetic cityscapes {split}: {num} images', progress):
            rng = make_rng(seed, 'cityscapes', split, i)
            img, label_ids, instance_ids = _render_scene(rng, height, width, {_RARE[i % len(_RARE)]})
            train_ids = LABEL_ID_TO_TRAIN_ID[label_ids]
            colour = np.concatenate([LABEL_ID_TO_COLOUR[label_ids], np.full((height, width, 1), 255, np.uint8)], -1)
            city = cities[i % len(cities)]
            stem = f'{city}_{i // len(cities):06d}_000019'
            write_image(out / 'leftImg8bit' / split / city / f'{stem}_leftImg8bit.png', img)
            gt = out / 'gtFine' / split / city
            write_image(gt / f'{stem}_gtFine_labelTrainIds.png', train_ids)
            write_image(gt / f'{stem}_gtFine_labelIds.png', label_ids)
            write_image(gt / f'{stem}_gtFine_color.png', colour)
            write_image(gt / f'{stem}_gtFine_instanceIds.png', instance_ids)
            counts += np.bincount(np.where(train_ids == 255, 19, train_ids).ravel(), minlength=20)
            near += int(near_boundary_mask(train_ids, 2).sum())
        total = max(int(counts.sum()), 1)
        summary['splits'][split] = dict(
            num_images=num,
            cities=cities,
            img_dir=str(Path('leftImg8bit') / split),
            ann_dir=str(Path('gtFine') / split),
            pixel_counts=counts.tolist(),
            classes_present=[CITYSCAPES_CLASSES[k] for k in range(19) if counts[k] > 0],
            ignore_fraction=float(counts[19] / total),
            boundary_fraction=float(near / total))
    return summary
