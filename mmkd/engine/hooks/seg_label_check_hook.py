# Copyright (c) mmkd contributors. All rights reserved.
"""Check segmentation labels as they reach the model: values outside the classes, and batches with nothing to learn."""
import logging
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS

#: how many bad label values / files an error lists
SHOWN = 8


def _segmentor_of(model):
    model = model.module if is_model_wrapper(model) else model
    return getattr(model, 'student', None) or getattr(model, 'architecture', None) or model


@HOOKS.register_module()
class SegLabelCheckHook(Hook):
    """Raise on label values outside ``[0, num_classes)`` (``ignore_index`` aside); warn on all-ignore batches.

    A label of 30 with 19 classes ends, deep in the loss, in torch's ``IndexError: Target 30 is out of bounds``
    without a file name; a batch whose labels are all ``ignore_index`` trains on nothing and logs ``loss 0.0000,
    acc_seg 100.0``. Before each training iteration this hook looks at the batch's ``gt_sem_seg`` maps (after the data
    pipeline: exactly what the loss will see) and raises a ``ValueError`` naming the label files (``seg_map_path``)
    and their bad values, or logs a WARNING for an all-ignore batch, at most once per ``warn_interval`` iterations
    (with the number of such batches since the last warning).

    ``num_classes`` and ``ignore_index`` are read from the model's decode head (the student's for a distillation
    model) unless given. Models without a decode head (detectors, edge models) are not checked.

    Args:
        num_classes (int, optional): Number of classes. Defaults to None: the decode head's.
        ignore_index (int, optional): Label to ignore. Defaults to None: the decode head's (mmseg: 255).
        warn_interval (int): Least number of iterations between two all-ignore warnings. Defaults to 50.

    ``tools/train.py`` adds this hook to every run.
    """

    priority = 'NORMAL'

    def __init__(self, num_classes: Optional[int] = None, ignore_index: Optional[int] = None,
                 warn_interval: int = 50) -> None:
        if warn_interval < 1:
            raise ValueError(f'SegLabelCheckHook: warn_interval must be >= 1, got {warn_interval}.')
        self.num_classes, self.ignore_index, self.warn_interval = num_classes, ignore_index, warn_interval
        self._last_warning: Optional[int] = None
        self._unwarned = 0

    def before_train(self, runner) -> None:
        head = getattr(_segmentor_of(runner.model), 'decode_head', None)
        if self.num_classes is None and head is not None:
            # mmseg's binary heads (out_channels=1, use_sigmoid) still take labels 0/1
            self.num_classes = max(int(getattr(head, 'num_classes', 0)), int(getattr(head, 'out_channels', 0)))
        if self.ignore_index is None:
            self.ignore_index = int(getattr(head, 'ignore_index', 255)) if head is not None else 255

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        if not self.num_classes or not isinstance(data_batch, dict):
            return
        samples = [s for s in data_batch.get('data_samples', []) or [] if hasattr(s, 'gt_sem_seg')]
        if not samples:
            return
        bad_files, all_ignore = [], True
        for sample in samples:
            values = torch.unique(sample.gt_sem_seg.data)
            valid = values[values != self.ignore_index]
            if valid.numel():
                all_ignore = False
            out = valid[(valid < 0) | (valid >= self.num_classes)]
            if out.numel():
                bad_files.append(f'{sample.metainfo.get("seg_map_path", "<no seg_map_path>")} '
                                 f'(values {out.tolist()[:SHOWN]})')
        if bad_files:
            raise ValueError(
                f'Labels outside [0, {self.num_classes}) (ignore_index {self.ignore_index}) at iteration '
                f'{runner.iter + 1} in {len(bad_files)} of {len(samples)} images: {"; ".join(bad_files[:SHOWN])}. '
                f'Check the label files (Cityscapes: *_labelTrainIds.png, made by mmseg\'s '
                f'tools/dataset_converters/cityscapes.py), the dataset\'s classes / reduce_zero_label, or the '
                f'model\'s num_classes.')
        if all_ignore:
            self._unwarned += 1
            if self._last_warning is None or runner.iter - self._last_warning >= self.warn_interval:
                files = ', '.join(str(s.metainfo.get('seg_map_path')) for s in samples[:SHOWN])
                print_log(f'Iteration {runner.iter + 1}: every label of the batch is ignore_index '
                          f'{self.ignore_index} ({self._unwarned} such batch(es) since the last warning); the '
                          f'segmentation loss is 0 and nothing is learnt from it. Files: {files}. Check the crop '
                          f'size / cat_max_ratio and the label files.', logger='current', level=logging.WARNING)
                self._last_warning, self._unwarned = runner.iter, 0
