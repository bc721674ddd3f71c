# Copyright (c) mmkd contributors. All rights reserved.
"""Write segmentation predictions as PNG files a person or a benchmark server can use (``tools/test.py --out``)."""
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from PIL import Image

from mmkd.registry import HOOKS

#: Cityscapes label id of each of the 19 train ids (cityscapesScripts ``labels.py``: road=7, ..., bicycle=33); the
#: official evaluation and benchmark server read label-id PNGs
CITYSCAPES_TRAIN_TO_LABEL_ID = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33)
FORMATS = ('labelid', 'color', 'trainid')


def is_cityscapes(classes: Sequence[str]) -> bool:
    return tuple(classes or ()) [:3] == ('road', 'sidewalk', 'building') and len(classes) == 19


@HOOKS.register_module()
class SegPredictionWriterHook(Hook):
    """After each test batch, write each image's predicted class map to ``out_dir/<image stem>.png``.

    Formats:

    - ``'labelid'``: Cityscapes label ids (uint8; train id ``t`` -> ``CITYSCAPES_TRAIN_TO_LABEL_ID[t]``), what
      cityscapesScripts and the benchmark server evaluate. Only for the 19 Cityscapes classes;
    - ``'color'``: the dataset palette (RGB), for looking at;
    - ``'trainid'``: the raw class indices (uint8; looks black, values 0..C-1), what mmseg's ``IoUMetric`` writes.

    Args:
        out_dir (str): Output folder (created).
        out_format (str): One of :data:`FORMATS`, or 'auto': 'labelid' for Cityscapes classes, else 'color'.
            Defaults to 'auto'.
    """

    def __init__(self, out_dir: str, out_format: str = 'auto') -> None:
        if out_format not in FORMATS + ('auto',):
            raise ValueError(f'SegPredictionWriterHook: out_format must be one of {FORMATS + ("auto",)}, got '
                             f'{out_format!r}.')
        self.out_dir, self.out_format = out_dir, out_format
        self.palette: Optional[np.ndarray] = None

    def before_test(self, runner) -> None:
        metainfo = getattr(runner.test_dataloader.dataset, 'metainfo', {}) or {}
        classes = metainfo.get('classes', ())
        if self.out_format == 'auto':
            self.out_format = 'labelid' if is_cityscapes(classes) else 'color'
        if self.out_format == 'labelid' and not is_cityscapes(classes):
            raise ValueError(f'--out-format labelid writes Cityscapes label ids, but the test dataset has the classes '
                             f'{tuple(classes)[:4]}...; use --out-format color or trainid.')
        if metainfo.get('palette') is not None:
            self.palette = np.asarray(metainfo['palette'], dtype=np.uint8)
        os.makedirs(self.out_dir, exist_ok=True)

    def encode(self, classes: np.ndarray) -> Image.Image:
        """The PNG of a [H, W] class-index map in this hook's format."""
        classes = classes.astype(np.int64)
        if self.out_format == 'trainid':
            return Image.fromarray(classes.astype(np.uint8))
        if self.out_format == 'labelid':
            table = np.zeros(256, dtype=np.uint8)  # anything else (ignore) -> 0, 'unlabeled'
            table[:len(CITYSCAPES_TRAIN_TO_LABEL_ID)] = CITYSCAPES_TRAIN_TO_LABEL_ID
            return Image.fromarray(table[np.clip(classes, 0, 255)])
        palette = self.palette if self.palette is not None else np.random.RandomState(0).randint(
            0, 256, (int(classes.max()) + 1, 3), dtype=np.uint8)
        return Image.fromarray(palette[np.clip(classes, 0, len(palette) - 1)], mode='RGB')

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs: Optional[Sequence] = None) -> None:
        for sample in outputs or []:
            if not hasattr(sample, 'pred_sem_seg'):
                continue
            stem = osp.splitext(osp.basename(sample.metainfo.get('img_path', f'{batch_idx}')))[0]
            self.encode(sample.pred_sem_seg.data.squeeze(0).cpu().numpy()).save(osp.join(self.out_dir, f'{stem}.png'))
