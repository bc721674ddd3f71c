# Copyright (c) mmkd contributors. All rights reserved.
"""Picture of BPKD's edge and body masks for an image and its label map (PNG).

    python tools/analysis/visualize_bpkd_masks.py IMAGE LABEL OUT.png [--edge-width 7] [--stride 8]
        [--num-classes 19] [--ignore-index 255]

Panels: image | labels (Cityscapes palette) | edge mask M_E | body mask M_B, all at image size. With ``--stride``
the masks are shown as the losses see them: average-pooled to the logit grid (H/stride, W/stride) and blown back up
(nearest), the soft values visible as grey levels. The masks come from the function the losses use
(:func:`mmkd.models.utils.bpkd_edge_mask`).
"""
import argparse

import mmcv
import numpy as np
import torch
import torch.nn.functional as F

import mmkd  # noqa: F401
from mmkd.models.utils import bpkd_edge_mask


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('image')
    parser.add_argument('label', help='single-channel label map (train ids), e.g. *_gtFine_labelTrainIds.png')
    parser.add_argument('out', help='PNG to write')
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


def main() -> None:
    from mmseg.datasets import CityscapesDataset
    args = parse_args()
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
    separator = np.full((image.shape[0], 4, 3), 255, dtype=np.uint8)
    picture = np.concatenate([part for panel in panels for part in (panel, separator)][:-1], axis=1)
    mmcv.imwrite(picture, args.out)
    print(f'{args.out}: image | labels | edge mask | body mask (edge_width={args.edge_width}, stride={args.stride})')


if __name__ == '__main__':
    main()
