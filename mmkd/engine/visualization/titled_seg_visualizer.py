# Copyright (c) mmkd contributors. All rights reserved.
"""mmseg's segmentation visualizer with a title on each panel ("ground truth" | "prediction")."""
from typing import Iterator, List, Optional

import cv2
import numpy as np
from mmseg.visualization import SegLocalVisualizer

from mmkd.registry import VISUALIZERS


def put_title(image: np.ndarray, title: str) -> np.ndarray:
    """``image`` [H, W, 3] (RGB, uint8) with ``title`` in white on a dark band along its top edge."""
    image = np.ascontiguousarray(image).copy()
    scale = max(0.35, min(1.0, image.shape[1] / 640))
    thickness = 1 if scale < 0.7 else 2
    (width, height), baseline = cv2.getTextSize(title, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    band = min(image.shape[0], height + baseline + 6)
    image[:band, :min(image.shape[1], width + 8)] = (image[:band, :min(image.shape[1], width + 8)] * 0.3).astype(
        image.dtype)
    cv2.putText(image, title, (4, height + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness,
                cv2.LINE_AA)
    return image


def with_title_band(image: np.ndarray, title: str) -> np.ndarray:
    """``image`` [H, W, 3] (uint8) with a dark band above it carrying ``title``: no pixel of the image is covered."""
    scale = max(0.35, min(1.0, image.shape[1] / 640))
    thickness = 1 if scale < 0.7 else 2
    # the band's height from a fixed reference text: panels of one width get bands of one height, whatever the title
    (_, height), baseline = cv2.getTextSize('Ag', cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    band = np.full((height + baseline + 6, image.shape[1], 3), 32, dtype=image.dtype)
    cv2.putText(band, title, (4, height + 3), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness,
                cv2.LINE_AA)
    return np.concatenate([band, image], axis=0)


@VISUALIZERS.register_module()
class TitledSegLocalVisualizer(SegLocalVisualizer):
    """:class:`mmseg.visualization.SegLocalVisualizer` whose side-by-side panels say what they show.

    mmseg writes ``ground truth | prediction`` (each blended over the image) without a word on which is which.
    ``tools/test.py --show-dir`` uses this visualizer instead of mmseg's; the images are otherwise identical. All
    arguments are :class:`SegLocalVisualizer`'s.
    """

    _titles: Optional[Iterator[str]] = None

    def add_datasample(self, name, image, data_sample=None, draw_gt: bool = True, draw_pred: bool = True, *args,
                       **kwargs) -> None:
        titles: List[str] = []
        if draw_gt and data_sample is not None and 'gt_sem_seg' in data_sample:
            titles.append('ground truth')
        if draw_pred and data_sample is not None and 'pred_sem_seg' in data_sample:
            titles.append('prediction')
        self._titles = iter(titles)  # mmseg draws the ground truth first, then the prediction
        try:
            super().add_datasample(name, image, data_sample, draw_gt, draw_pred, *args, **kwargs)
        finally:
            self._titles = None

    def _draw_sem_seg(self, image, sem_seg, classes, palette, *args, **kwargs) -> np.ndarray:
        drawn = super()._draw_sem_seg(image, sem_seg, classes, palette, *args, **kwargs)
        title = next(self._titles, None) if self._titles is not None else None
        return put_title(drawn, title) if title else drawn
