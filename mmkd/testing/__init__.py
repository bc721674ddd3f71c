# Copyright (c) mmkd contributors. All rights reserved.
"""What tests, demos and benchmarks build on, kept out of the runtime modules (as ``mmdet.testing``).

* :mod:`mmkd.testing.synthetic` - deterministic synthetic datasets in the real on-disk layouts (Cityscapes, COCO,
  BSDS500), written by ``tools/dataset_generators/synthetic_*.py``;
* :mod:`mmkd.testing.demo` - the embedded demo's stages (``demo/run_demo.py``, ``benchmarks/seg_kd*.py``).

Nothing in ``mmkd.models``, ``mmkd.datasets`` or ``mmkd.engine`` imports this package.
"""
from .synthetic import (
                        CITYSCAPES_CLASSES,
                        COCO_CATEGORIES,
                        LABEL_ID_TO_TRAIN_ID,
                        generate_synthetic_bsds,
                        generate_synthetic_cityscapes,
                        generate_synthetic_coco,
)

__all__ = [
    'generate_synthetic_cityscapes', 'generate_synthetic_coco', 'generate_synthetic_bsds', 'CITYSCAPES_CLASSES',
    'LABEL_ID_TO_TRAIN_ID', 'COCO_CATEGORIES'
]
