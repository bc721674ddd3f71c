# Copyright (c) mmkd contributors. All rights reserved.
"""Deterministic synthetic datasets written in the real on-disk layouts.

They let configs, the real mmseg/mmdet dataset classes and the evaluators run end to end without downloading data:

* :func:`generate_synthetic_cityscapes` - street scenes, Cityscapes ``leftImg8bit`` / ``gtFine`` layout;
* :func:`generate_synthetic_coco` - detection + instance masks, COCO 2017 layout and json format;
* :func:`generate_synthetic_bsds` - edge maps, HED-BSDS lists / aug folders and BSDS500 ``.mat`` ground truth.

The CLIs are ``tools/dataset_generators/synthetic_{cityscapes,coco,bsds}.py``.
"""
from .bsds import generate_synthetic_bsds
from .cityscapes import CITYSCAPES_CLASSES, LABEL_ID_TO_TRAIN_ID, generate_synthetic_cityscapes
from .coco import COCO_CATEGORIES, generate_synthetic_coco

__all__ = [
    'generate_synthetic_cityscapes', 'generate_synthetic_coco', 'generate_synthetic_bsds', 'CITYSCAPES_CLASSES',
    'LABEL_ID_TO_TRAIN_ID', 'COCO_CATEGORIES'
]
