# Copyright (c) mmkd contributors. All rights reserved.
from typing import Sequence

import torch
from mmseg.evaluation.metrics import IoUMetric

from mmkd.models.utils import class_boundary_mask
from mmkd.registry import METRICS


@METRICS.register_module()
class TrimapIoUMetric(IoUMetric):
    """IoU restricted to a band around the ground-truth class boundaries (the "trimap").

    Boundary quality measure used by BPKD (Liu et al., WACV 2024, supplementary Table 3; after Kohli et al., "Robust
    Higher Order Potentials", IJCV 2009): per-class IoU computed only on pixels within ``band_width`` pixels
    (Chebyshev distance) of a GT class boundary. The band is the same function as BPKD's edge mask
    (:func:`mmkd.models.utils.class_boundary_mask`, kernel ``2 * band_width + 1``), taken over all classes.
    Pixels outside the band are treated as ignored; everything else is mmseg's ``IoUMetric`` (metrics, NaN
    handling, per-class table). Results are prefixed (default ``trimap/mIoU``...) so the metric can sit beside a plain
    ``IoUMetric`` in ``val_evaluator``::

        val_evaluator = [dict(type='IoUMetric', iou_metrics=['mIoU']),
                         dict(type='mmkd.TrimapIoUMetric', band_width=3)]

    Args:
        band_width (int): half-width of the band in pixels at evaluation resolution. Defaults to 3.
        prefix (str): key prefix of the results. Defaults to ``'trimap'``.
        **kwargs: the arguments of mmseg's ``IoUMetric`` (``ignore_index``, ``iou_metrics``, ``nan_to_num``...).
    """

    def __init__(self, band_width: int = 3, prefix: str = 'trimap', **kwargs) -> None:
        if int(band_width) != band_width or band_width < 1:
            raise ValueError(f'band_width must be a positive integer (pixels), got {band_width}.')
        if kwargs.get('format_only') or kwargs.get('output_dir'):
            raise ValueError('TrimapIoUMetric only evaluates; write predictions with IoUMetric(output_dir=...).')
        super().__init__(prefix=prefix, **kwargs)
        self.band_width = int(band_width)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Accumulate intersections/unions of each sample on its trimap band."""
        num_classes = len(self.dataset_meta['classes'])
        for data_sample in data_samples:
            pred_label = data_sample['pred_sem_seg']['data'].squeeze()
            label = data_sample['gt_sem_seg']['data'].squeeze().to(pred_label)
            band = class_boundary_mask(
                label[None].long(), num_classes, edge_width=2 * self.band_width + 1,
                ignore_index=self.ignore_index).amax(dim=1)[0] > 0
            band_label = torch.where(band, label, torch.full_like(label, self.ignore_index))
            self.results.append(self.intersect_and_union(pred_label, band_label, num_classes, self.ignore_index))
