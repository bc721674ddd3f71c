# Copyright (c) mmkd contributors. All rights reserved.
"""Picture of BPKD's edge and body masks for an image and its label map (PNG), and how much of a map is "edge".

    python tools/analysis_tools/visualize_bpkd_masks.py IMAGE LABEL OUT.png [--edge-width 7] [--stride 8]
        [--num-classes 19] [--ignore-index 255] [--trimap-width 3]
    python tools/analysis_tools/visualize_bpkd_masks.py --label-dir data/synthetic_city/gtFine/val --stride 8

Both print the band statistics of the label map(s) (:func:`band_statistics`): the fraction of valid label pixels in
BPKD's band (kernel ``--edge-width``), in the trimap band of ``mmkd.TrimapIoUMetric`` (``--trimap-width`` pixels,
i.e. kernel 2 * width + 1: the demo's metric uses 3, the same 7x7 band as BPKD's default), and at the logit grid
(H/stride x W/stride) the fraction of valid cells where M_E > 0 for some class and the mean of max_c M_E.

Panels: image | labels (Cityscapes palette) | edge mask M_E | body mask M_B, all at image size. With ``--stride``
the masks are shown as the losses see them: average-pooled to the logit grid (H/stride, W/stride) and blown back up
(nearest), the soft values visible as grey levels. The masks come from the function the losses use
(:func:`mmkd.models.utils.bpkd_edge_mask`).
"""
import argparse
import glob
import os.path as osp
from typing import Dict, Optional

import mmcv
import numpy as np
import torch
import torch.nn.functional as F

import mmkd  # noqa: F401
from mmkd.models.utils import bpkd_edge_mask, class_boundary_mask


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('image', nargs='?')
    parser.add_argument('label', nargs='?',
                        help='single-channel label map (train ids), e.g. *_gtFine_labelTrainIds.png')
    parser.add_argument('out', nargs='?', help='PNG to write')
    parser.add_argument('--label-dir', help='only print the band statistics of every *labelTrainIds.png below it')
    parser.add_argument('--trimap-width', type=int, default=3, help='band half-width of mmkd.TrimapIoUMetric')
    parser.add_argument('--edge-width', type=int, default=7)
    parser.add_argument('--compute-iters', type=int, default=None)
    parser.add_argument('--stride', type=int, default=1, help='logit stride (8 for a D8 model); 1 = label grid')
    parser.add_argument('--num-classes', type=int, default=19)
    parser.add_argument('--ignore-index', type=int, default=255)
    return parser.parse_args()


def mask_panels(labels: np.ndarray, num_classes: int, edge_width: int, stride: int, ignore_index: int,
                compute_iters=None) -> tuple:
    """Edge and body masks (max over classes) as uint8 images of the label's size."""
    label_tensor = torch.from_numpy(labels.astype(np.int64))[None]
    height, width = labels.shape
    out_size = (max(1, height // stride), max(1, width // stride))
    edge_mask, valid = bpkd_edge_mask(label_tensor, num_classes, out_size, edge_width, ignore_index, compute_iters)
    edge = edge_mask.amax(dim=1, keepdim=True)
    body = ((1 - edge_mask) * valid).amin(dim=1, keepdim=True)
    panels = []
    for mask in (edge, body):
        mask = F.interpolate(mask, size=(height, width), mode='nearest')[0, 0]
        panels.append((mask.numpy() * 255).round().astype(np.uint8))
    return tuple(panels)


@torch.no_grad()
def band_statistics(labels: torch.Tensor, num_classes: int, edge_width: int = 7, stride: int = 8,
                    ignore_index: int = 255, trimap_width: int = 3, compute_iters: Optional[int] = None
                    ) -> Dict[str, float]:
    """How much of label maps [N, H, W] is boundary band, at label resolution and at the logit grid.

    Returns fractions (0-1) of the valid (non-ignore) label pixels inside BPKD's band (``edge_width``) and inside
    the trimap band (kernel ``2 * trimap_width + 1``), of the valid logit cells (H // stride x W // stride) where
    M_E > 0 for some class, and the mean over valid cells of max_c M_E.
    """
    valid = labels != ignore_index
    band = class_boundary_mask(labels, num_classes, edge_width, ignore_index, compute_iters).amax(dim=1)
    trimap = class_boundary_mask(labels, num_classes, 2 * trimap_width + 1, ignore_index).amax(dim=1)
    height, width = labels.shape[1:]
    out_size = (max(1, height // stride), max(1, width // stride))
    edge_mask, valid_cells = bpkd_edge_mask(labels, num_classes, out_size, edge_width, ignore_index, compute_iters)
    edge_max = edge_mask.amax(dim=1, keepdim=True)
    cells = valid_cells.sum().clamp(min=1)
    return {
        'band pixels': float(band[valid].float().mean()),
        'trimap pixels': float(trimap[valid].float().mean()),
        'logit cells with M_E > 0': float(((edge_max > 0).float() * valid_cells).sum() / cells),
        'mean max_c M_E': float((edge_max * valid_cells).sum() / cells),
    }


def print_band_statistics(labels: torch.Tensor, args: argparse.Namespace, source: str) -> None:
    stats = band_statistics(labels, args.num_classes, args.edge_width, args.stride, args.ignore_index,
                            args.trimap_width, args.compute_iters)
    height, width = labels.shape[1:]
    print(f'{source}: {labels.shape[0]} label map(s) {height}x{width}, logit grid {height // args.stride}x'
          f'{width // args.stride}; band pixels (edge_width={args.edge_width}) {100 * stats["band pixels"]:.1f} %, '
          f'trimap pixels (width {args.trimap_width}) {100 * stats["trimap pixels"]:.1f} %, logit cells with '
          f'M_E > 0 {100 * stats["logit cells with M_E > 0"]:.1f} %, mean max_c M_E '
          f'{stats["mean max_c M_E"]:.3f}')


def main() -> None:
    from mmseg.datasets import CityscapesDataset
    args = parse_args()
    if args.label_dir:
        paths = sorted(glob.glob(osp.join(args.label_dir, '**', '*labelTrainIds.png'), recursive=True))
        if not paths:
            raise SystemExit(f'{args.label_dir}: no *labelTrainIds.png label maps found')
        maps = [mmcv.imread(path, flag='unchanged') for path in paths]
        shapes = {m.shape for m in maps}
        if len(shapes) != 1:
            raise SystemExit(f'{args.label_dir}: label maps of different sizes {sorted(shapes)}')
        print_band_statistics(torch.from_numpy(np.stack(maps).astype(np.int64)), args, args.label_dir)
        return
    if not (args.image and args.label and args.out):
        raise SystemExit('give IMAGE LABEL OUT.png, or --label-dir DIR for the statistics only')
    image = mmcv.imread(args.image)
    labels = mmcv.imread(args.label, flag='unchanged')
    if labels.ndim != 2:
        raise SystemExit(f'{args.label}: expected a single-channel label map, got shape {labels.shape}')
    if labels.shape != image.shape[:2]:
        image = mmcv.imresize(image, (labels.shape[1], labels.shape[0]))
    edge, body = mask_panels(labels, args.num_classes, args.edge_width, args.stride, args.ignore_index,
                             args.compute_iters)
    palette = np.array(CityscapesDataset.METAINFO['palette'], dtype=np.uint8)[:, ::-1]  # BGR
    colour = np.zeros_like(image)
    known = labels < min(args.num_classes, len(palette))
    colour[known] = palette[labels[known]]
    panels = [image, colour, np.repeat(edge[..., None], 3, axis=2), np.repeat(body[..., None], 3, axis=2)]
    from mmkd.engine.visualization import with_title_band  # each panel says what it shows, above it
    panels = [with_title_band(panel, title)
              for panel, title in zip(panels, ('image', 'labels', 'edge mask', 'body mask'))]
    separator = np.full((panels[0].shape[0], 4, 3), 255, dtype=np.uint8)
    picture = np.concatenate([part for panel in panels for part in (panel, separator)][:-1], axis=1)
    mmcv.imwrite(picture, args.out)
    print_band_statistics(torch.from_numpy(labels.astype(np.int64))[None], args, args.label)
    print(f'{args.out}: image | labels | edge mask | body mask (edge_width={args.edge_width}, stride={args.stride})')


if __name__ == '__main__':
    main()
