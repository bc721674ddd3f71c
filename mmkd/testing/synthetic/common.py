# Copyright (c) mmkd contributors. All rights reserved.
"""Pieces shared by the synthetic dataset generators.

Everything here is deliberately dataset-agnostic:

* :func:`prepare_out_dir` - the "never silently write into a non-empty folder" rule;
* :func:`make_rng` - one independent, reproducible random stream per (seed, split, image) so that an image's
  content does not depend on how many images are generated before it;
* :class:`TextureSpec` / :func:`render_texture` - procedural textures (noise, stripes, grids, blobs, ...);
* :class:`Canvas` - an instance-id painter (painter's algorithm with cv2) that renders the final image from
  per-instance colours, textures and a shading map, so labels and pixels come from the same geometry;
* :func:`photometric` - global lighting / colour-cast / sensor-noise so that colour alone is not a label;
* :func:`write_image`, :func:`label_boundaries`, :func:`near_boundary_mask` - I/O and boundary utilities;
* :func:`add_generator_args`, :func:`run_generator` - the shared part of the ``tools/dataset_generators`` CLIs.
"""
import argparse
import inspect
import json
import shutil
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

PathLike = Union[str, Path]
Colour = Tuple[float, float, float]

# cv2 draws with integer coordinates; with ``shift`` bits of fractional precision thin objects (1-2 px poles)
# keep their sub-pixel position instead of snapping, which makes perspective scaling look continuous.
_SHIFT = 4
_SCALE = 1 << _SHIFT

# Explicit encoder settings: the defaults may differ between OpenCV builds and the files must be byte-identical.
_PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 3]
_JPG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 95]


# --------------------------------------------------------------------------------------------------------------------
# Output folder and randomness
# --------------------------------------------------------------------------------------------------------------------
def prepare_out_dir(out_dir: PathLike, owned: Sequence[str], force: bool = False) -> Path:
    """Create ``out_dir`` or refuse to write into it when it is not empty.

    Args:
        out_dir: Root folder of the dataset to generate.
        owned: Names (relative to ``out_dir``) of the files/folders the generator writes. With ``force=True`` these
            (and only these) are removed first, so a smaller re-generation cannot leave stale images behind that the
            dataset classes would still pick up when they scan the folders.
        force: Write into a non-empty folder.

    Returns:
        The folder as a :class:`~pathlib.Path`.

    Raises:
        FileExistsError: ``out_dir`` exists, is not empty and ``force`` is False.
        NotADirectoryError: ``out_dir`` exists and is a file.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f'Output path {str(out)!r} exists and is not a folder.')
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f'Output folder {str(out)!r} is not empty; pass --force (force=True) to write into '
                                  f'it anyway (this replaces {", ".join(owned)} inside it).')
        for name in owned:
            path = out / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def make_rng(seed: int, *keys: Union[int, str]) -> np.random.Generator:
    """A reproducible random generator for ``(seed, *keys)``, e.g. ``make_rng(0, 'train', 17)``.

    Each image gets its own stream (SeedSequence spawn keys) instead of sharing one sequential generator, so image 17
    is the same whether 20 or 200 images are generated and splits do not influence each other. String keys are
    hashed with CRC32 (stable across processes, unlike ``hash``).
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed!r}')
    words = tuple(int(k) if isinstance(k, (int, np.integer)) else zlib.crc32(str(k).encode('utf-8')) for k in keys)
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=words))


def check_positive(**values: int) -> None:
    """Raise ``ValueError`` for the first argument that is not a positive integer (CLI and API share the check)."""
    for name, value in values.items():
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f'{name} must be a positive integer, got {value!r}')


# --------------------------------------------------------------------------------------------------------------------
# Textures
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextureSpec:
    """A procedural texture: ``1 + sum(amplitude_i * pattern_i)`` with patterns in [-1, 1].

    Hashable on purpose: a :class:`Canvas` renders each distinct spec once per image and all instances that share the
    spec (e.g. both sidewalks) share the field, like a real material would.

    Args:
        components: ``(kind, amplitude, scale, angle_deg)`` tuples. ``kind`` is one of ``flat``, ``noise`` (smooth
            value noise, ``scale`` = cell size in px, <=1 means per-pixel), ``stripes`` (sinusoid of period
            ``scale`` along ``angle``), ``grid`` (thin dark lines every ``scale`` px, i.e. tiles), ``lattice``
            (two crossing diagonal line families, fence-like), ``windows`` (rectangular dark cells of period
            ``scale``), ``blobs`` (nearly binary blobs of size ``scale``), ``vgradient`` (linear ramp in y, darker at
            the top).
        seed: Phase/offset seed so that two specs with the same parameters in different images differ.
    """

    components: Tuple[Tuple[str, float, float, float], ...]
    seed: int = 0


def value_noise(rng: np.random.Generator, shape: Tuple[int, int], cell: float) -> np.ndarray:
    """Smooth noise in [-1, 1]: uniform values on a grid of ``cell`` px, bicubically interpolated."""
    h, w = shape
    if cell <= 1:
        return rng.uniform(-1, 1, (h, w)).astype(np.float32)
    gh, gw = int(np.ceil(h / cell)) + 3, int(np.ceil(w / cell)) + 3
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    big = cv2.resize(grid, (int(round(gw * cell)), int(round(gh * cell))), interpolation=cv2.INTER_CUBIC)
    oy, ox = (int(v) for v in rng.integers(0, max(1, int(cell)), size=2))
    return np.clip(big[oy:oy + h, ox:ox + w], -1.0, 1.0)


def _coords(shape: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
    h, w = shape
    return np.mgrid[0:h, 0:w].astype(np.float32)


def _pattern(kind: str, rng: np.random.Generator, shape: Tuple[int, int], scale: float,
             angle: float) -> np.ndarray:
    """One texture pattern in [-1, 1] (see :class:`TextureSpec`)."""
    h, w = shape
    if kind == 'flat':
        return np.zeros(shape, np.float32)
    if kind == 'noise':
        return value_noise(rng, shape, scale)
    if kind == 'blobs':
        return np.tanh(4.0 * value_noise(rng, shape, scale))
    yy, xx = _coords(shape)
    if kind == 'vgradient':
        return (yy / max(h - 1, 1)) * 2.0 - 1.0
    period = max(float(scale), 2.0)
    phase = rng.uniform(0, period, size=2)
    if kind == 'stripes':
        a = np.deg2rad(angle)
        t = xx * np.cos(a) + yy * np.sin(a)
        return np.sin(2 * np.pi * (t + phase[0]) / period).astype(np.float32)
    if kind == 'grid':
        on_line = (np.mod(xx + phase[0], period) < 1) | (np.mod(yy + phase[1], period * 0.6) < 1)
        return np.where(on_line, -1.0, 0.25).astype(np.float32)
    if kind == 'lattice':
        d1 = np.mod(xx + yy + phase[0], period) < 1.2
        d2 = np.mod(xx - yy + phase[1], period) < 1.2
        return np.where(d1 | d2, 1.0, -0.6).astype(np.float32)
    if kind == 'windows':
        # Windows are about half the cell wide and 60% of its height, separated by facade.
        in_x = np.mod(xx + phase[0], period) < period * 0.5
        in_y = np.mod(yy + phase[1], period * 1.3) < period * 0.8
        return np.where(in_x & in_y, -1.0, 0.3).astype(np.float32)
    raise ValueError(f'unknown texture kind {kind!r}')


def render_texture(spec: TextureSpec, shape: Tuple[int, int]) -> np.ndarray:
    """Render ``spec`` as a float32 multiplicative field of ``shape`` (values around 1, clipped at 0.05)."""
    rng = make_rng(spec.seed, 'texture')
    field = np.ones(shape, np.float32)
    for kind, amplitude, scale, angle in spec.components:
        field += np.float32(amplitude) * _pattern(kind, rng, shape, scale, angle)
    return np.maximum(field, 0.05)


# --------------------------------------------------------------------------------------------------------------------
# Painter
# --------------------------------------------------------------------------------------------------------------------
class Canvas:
    """Paint instances (later ones occlude earlier ones) and render the image from the same geometry.

    ``inst`` holds the instance index of every pixel (index 0 is whatever was added first, usually the background),
    ``shade`` a per-pixel brightness factor used for details inside an instance (car windows, lane markings, lamps)
    that must not change the label.

    Args:
        height: Image height.
        width: Image width.
    """

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width
        self.inst = np.zeros((height, width), np.int32)
        self.shade = np.ones((height, width), np.float32)
        self.labels: List[int] = []
        self.colours: List[Colour] = []
        self.textures: List[TextureSpec] = []

    # --- instances ------------------------------------------------------------------------------------------------
    def add(self, label: int, colour: Colour, texture: TextureSpec) -> int:
        """Register an instance and return its index (used by the drawing methods)."""
        self.labels.append(int(label))
        self.colours.append(tuple(float(c) for c in colour))
        self.textures.append(texture)
        return len(self.labels) - 1

    def label_map(self, dtype: type = np.uint8) -> np.ndarray:
        """Per-pixel label of the instance that is visible there."""
        return np.asarray(self.labels, dtype=dtype)[self.inst]

    # --- drawing (all coordinates are float pixels: x right, y down) -----------------------------------------------
    def _fix(self, pts: np.ndarray) -> np.ndarray:
        return np.round(np.asarray(pts, np.float64).reshape(-1, 2) * _SCALE).astype(np.int32)

    def polygon(self, idx: int, pts: np.ndarray, shade: float = 1.0) -> None:
        """Fill a polygon (``(N, 2)`` points; convex or not) with instance ``idx``."""
        p = [self._fix(pts)]
        cv2.fillPoly(self.inst, p, int(idx), lineType=cv2.LINE_8, shift=_SHIFT)
        cv2.fillPoly(self.shade, p, float(shade), lineType=cv2.LINE_8, shift=_SHIFT)

    def hull(self, idx: int, pts: np.ndarray, shade: float = 1.0) -> None:
        """Fill the convex hull of points (the silhouette of a projected box is the hull of its corners)."""
        pts = np.asarray(pts, np.float32).reshape(-1, 2)
        self.polygon(idx, cv2.convexHull(pts).reshape(-1, 2), shade)

    def rect(self, idx: int, x0: float, y0: float, x1: float, y1: float, shade: float = 1.0) -> None:
        """Fill an axis-aligned rectangle given by two corners."""
        self.polygon(idx, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]), shade)

    def ellipse(self, idx: int, center: Sequence[float], axes: Sequence[float], angle: float = 0.0,
                shade: float = 1.0) -> None:
        """Fill an ellipse (semi-axes ``axes`` in px, rotated by ``angle`` degrees)."""
        c = tuple(int(round(v * _SCALE)) for v in center)
        a = tuple(max(int(round(v * _SCALE)), 1) for v in axes)
        cv2.ellipse(self.inst, c, a, float(angle), 0, 360, int(idx), -1, cv2.LINE_8, _SHIFT)
        cv2.ellipse(self.shade, c, a, float(angle), 0, 360, float(shade), -1, cv2.LINE_8, _SHIFT)

    def ring(self, idx: int, center: Sequence[float], radius: float, thickness: float, shade: float = 1.0) -> None:
        """Draw a circle outline (e.g. a wheel) at least 1 px thick."""
        c = tuple(int(round(v * _SCALE)) for v in center)
        r = max(int(round(radius * _SCALE)), 1)
        t = max(int(round(thickness)), 1)
        cv2.circle(self.inst, c, r, int(idx), t, cv2.LINE_8, _SHIFT)
        cv2.circle(self.shade, c, r, float(shade), t, cv2.LINE_8, _SHIFT)

    def line(self, idx: int, p0: Sequence[float], p1: Sequence[float], thickness: float, shade: float = 1.0) -> None:
        """Draw a thick segment as a quadrilateral so that sub-pixel thickness still draws >= 1 px."""
        p0, p1 = np.asarray(p0, np.float64), np.asarray(p1, np.float64)
        d = p1 - p0
        n = np.hypot(*d)
        if n < 1e-6:
            self.rect(idx, p0[0] - 0.5, p0[1] - 0.5, p0[0] + 0.5, p0[1] + 0.5, shade)
            return
        half = max(float(thickness), 1.0) / 2.0
        off = np.array([-d[1], d[0]]) / n * half
        self.polygon(idx, np.stack([p0 + off, p1 + off, p1 - off, p0 - off]), shade)

    # --- rendering ------------------------------------------------------------------------------------------------
    def render(self, colour_jitter: Optional[Sequence[float]] = None) -> np.ndarray:
        """Render a float32 RGB image (0..255 scale, unclipped) from colours x textures x shade.

        Args:
            colour_jitter: Optional per-instance multiplicative factors (same length as the instances).
        """
        shape = (self.height, self.width)
        colours = np.asarray(self.colours, np.float32).reshape(-1, 3)
        if colour_jitter is not None:
            colours = colours * np.asarray(colour_jitter, np.float32).reshape(-1, 1)
        # One field per distinct texture that is actually visible (occluded instances cost nothing).
        visible = np.unique(self.inst)
        spec_index: Dict[TextureSpec, int] = {}
        inst_to_spec = np.zeros(len(self.labels), np.int32)
        for i in visible:
            inst_to_spec[i] = spec_index.setdefault(self.textures[i], len(spec_index))
        tex = np.ones(shape, np.float32)
        pix_spec = inst_to_spec[self.inst]
        for spec, k in spec_index.items():
            mask = pix_spec == k
            tex[mask] = render_texture(spec, shape)[mask]
        return colours[self.inst] * (tex * self.shade)[..., None]


def photometric(img: np.ndarray,
                rng: np.random.Generator,
                brightness: Tuple[float, float] = (0.8, 1.2),
                channel: float = 0.06,
                illumination: float = 0.15,
                illumination_cell: float = 48.0,
                noise_std: Tuple[float, float] = (3.0, 7.0),
                blur_sigma: float = 0.0) -> np.ndarray:
    """Global photometric variation applied to a rendered float RGB image; returns uint8.

    Brightness, a colour cast (per-channel gain), a smooth illumination field (shadows) and Gaussian sensor noise:
    together they make the absolute colour of a class vary between and within images, so a per-pixel colour lookup
    cannot label the image and a model has to use texture, shape and context.
    """
    h, w = img.shape[:2]
    gain = rng.uniform(*brightness) * (1.0 + rng.uniform(-channel, channel, size=3))
    light = 1.0 + illumination * value_noise(rng, (h, w), illumination_cell)
    out = img * gain.astype(np.float32) * light[..., None]
    if blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur_sigma)
    out = out + rng.normal(0.0, rng.uniform(*noise_std), size=out.shape).astype(np.float32)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------------------------------
# I/O and boundaries
# --------------------------------------------------------------------------------------------------------------------
def write_image(path: PathLike, img: np.ndarray) -> None:
    """Write an RGB(A) or single-channel image (PNG/JPEG by extension) with fixed encoder settings."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    elif img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_RGBA2BGRA)
    params = _JPG_PARAMS if path.suffix.lower() in ('.jpg', '.jpeg') else _PNG_PARAMS
    if not cv2.imwrite(str(path), img, params):
        raise OSError(f'could not write {str(path)!r}')


def label_boundaries(seg: np.ndarray) -> np.ndarray:
    """Thin (1 px) boundaries of a label map: pixels whose right or lower neighbour has another label."""
    b = np.zeros(seg.shape, bool)
    b[:, :-1] |= seg[:, :-1] != seg[:, 1:]
    b[:-1, :] |= seg[:-1, :] != seg[1:, :]
    return b


def near_boundary_mask(label: np.ndarray, radius: int = 2) -> np.ndarray:
    """Pixels with a pixel of another label within ``radius`` px (Chebyshev distance)."""
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    lab = label.astype(np.uint16) if label.dtype != np.uint8 else label
    return cv2.dilate(lab, kernel) != cv2.erode(lab, kernel)


def progress_range(num: int, task: str, show: bool):
    """``range(num)``, with an mmengine progress bar on stderr (stdout carries the JSON summary) when ``show``."""
    if not show or num <= 0:
        yield from range(num)
        return
    from mmengine.utils import ProgressBar
    sys.stderr.write(f'{task}\n')
    bar = ProgressBar(num, file=sys.stderr)
    for i in range(num):
        yield i
        bar.update()
    sys.stderr.write('\n')


# --------------------------------------------------------------------------------------------------------------------
# Command line (shared by tools/dataset_generators/synthetic_*.py)
# --------------------------------------------------------------------------------------------------------------------
def add_generator_args(parser: argparse.ArgumentParser, generator: Callable[..., dict],
                       eval_split: str = 'val') -> argparse.ArgumentParser:
    """Add ``OUT_DIR --num-train --num-<eval_split> --height --width --seed --force`` to ``parser``.

    The defaults are read from ``generator``'s signature so the CLI and the Python API cannot drift apart.
    """
    defaults = {k: p.default for k, p in inspect.signature(generator).parameters.items()}
    parser.add_argument('out_dir', metavar='OUT_DIR', help='dataset root to create')
    parser.add_argument('--num-train', type=int, default=defaults['num_train'], help='number of training images')
    parser.add_argument(f'--num-{eval_split}', type=int, default=defaults[f'num_{eval_split}'],
                        help=f'number of {eval_split} images')
    parser.add_argument('--height', type=int, default=defaults['height'], help='image height (px)')
    parser.add_argument('--width', type=int, default=defaults['width'], help='image width (px)')
    parser.add_argument('--seed', type=int, default=defaults['seed'], help='random seed (same seed, same bytes)')
    parser.add_argument('--force', action='store_true', help='write into a non-empty OUT_DIR')
    return parser


def run_generator(generator: Callable[..., dict], args: argparse.Namespace) -> int:
    """Call ``generator`` with the parsed arguments; print the summary as JSON, or a one-line error on stderr.

    Returns:
        The process exit code: 0 on success, 1 when the output folder is not empty (without ``--force``) or an
        argument is invalid.
    """
    kwargs = {k: v for k, v in vars(args).items() if k in inspect.signature(generator).parameters}
    if 'progress' in inspect.signature(generator).parameters:
        kwargs['progress'] = True  # a person is waiting: show a progress bar (on stderr)
    try:
        summary = generator(**kwargs)
    except (FileExistsError, NotADirectoryError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0
