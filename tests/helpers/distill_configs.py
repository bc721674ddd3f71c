# Copyright (c) mmkd contributors. All rights reserved.
"""Helpers for tests that build a distillation model from a repository config and feed it a random batch."""
import os.path as osp
from typing import Dict

import torch
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from .tools import REPO_ROOT


def build_distill_model(config: str) -> torch.nn.Module:
    """Build ``config``'s model (path relative to the repo root) without loading the teacher checkpoint."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    cfg.model.teacher_ckpt = None
    init_default_scope('mmseg')
    return ROOT_MODELS.build(cfg.model)


def random_seg_batch(num_images: int = 2, height: int = 128, width: int = 256, num_classes: int = 19,
                     seed: int = 0) -> Dict:
    """Random uint8 images and SegDataSamples with labels in [0, num_classes) and a 255 (ignore) band on top."""
    generator = torch.Generator().manual_seed(seed)
    inputs, data_samples = [], []
    for _ in range(num_images):
        labels = torch.randint(0, num_classes, (1, height, width), generator=generator)
        labels[:, :height // 8] = 255
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=labels)
        sample.set_metainfo(dict(img_shape=(height, width), pad_shape=(height, width), ori_shape=(height, width)))
        data_samples.append(sample)
        inputs.append(torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=generator))
    return dict(inputs=inputs, data_samples=data_samples)
