# Copyright (c) mmkd contributors. All rights reserved.
"""Helpers for detection-distillation tests: detector configs of configs/rm_pfi/ without pretrained weights, and
small hand-placed GT boxes."""
import os.path as osp
from typing import List, Sequence, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from .tools import REPO_ROOT

DETECTOR_DIR = 'configs/rm_pfi/detectors'
#: family -> (student config, teacher config) under configs/rm_pfi/detectors
PAIRS = {
    'retinanet': ('retinanet_r18_fpn_8xb2-1x_coco.py', 'retinanet_r50_fpn_8xb2-1x_coco.py'),
    'fcos': ('fcos_r18_fpn_gn-head_8xb2-1x_coco.py', 'fcos_r50-caffe_fpn_gn-head_8xb2-1x_coco.py'),
    'atss': ('atss_r18_fpn_8xb2-1x_coco.py', 'atss_r50_fpn_8xb2-1x_coco.py'),
    'gfl': ('gfl_r18_fpn_8xb2-1x_coco.py', 'gfl_r50_fpn_8xb2-1x_coco.py'),
}


def detector_model_cfg(name: str, slim: bool = False, **head_overrides) -> Config:
    """``model`` of a configs/rm_pfi/detectors config, without ImageNet weights (nothing is downloaded here).

    ``slim=True`` (ResNets only) shrinks it for fast plumbing tests: backbone base width 16 instead of 64, FPN and head
    32 wide, one stacked head conv. Priors, assigner and losses stay those of the config.
    """
    cfg = Config.fromfile(osp.join(REPO_ROOT, DETECTOR_DIR, name))
    model = cfg.model
    model.backbone.init_cfg = None
    if slim:
        expansion = 1 if model.backbone.depth in (18, 34) else 4
        model.backbone.base_channels = 16
        model.neck.in_channels = [16 * expansion * 2**i for i in range(4)]
        model.neck.out_channels = 32
        model.bbox_head.update(in_channels=32, feat_channels=32, stacked_convs=1)
    model.bbox_head.update(head_overrides)
    return model


def build_detector(name: str, **head_overrides) -> torch.nn.Module:
    init_default_scope('mmdet')
    return ROOT_MODELS.build(detector_model_cfg(name, **head_overrides))


def gt_instances(boxes: Sequence[Sequence[float]], labels: Sequence[int]) -> InstanceData:
    gt = InstanceData()
    gt.bboxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    gt.labels = torch.tensor(labels, dtype=torch.long)
    return gt


def hand_made_batch() -> Tuple[List[InstanceData], List[dict]]:
    """A 128x128 batch of two images: image 0 is 90 px wide, padded to 96 by its own pipeline (``pad_shape``: priors
    beyond it are invalid), with two overlapping boxes and two identical boxes of different classes; image 1 with a
    large and a small box."""
    gts = [gt_instances([[10, 12, 60, 70], [30, 30, 90, 100], [50, 60, 80, 90], [50, 60, 80, 90]], [3, 0, 5, 2]),
           gt_instances([[4, 4, 124, 120], [70, 20, 90, 44]], [1, 7])]
    metas = [dict(img_shape=(128, 90), pad_shape=(128, 96), batch_input_shape=(128, 128)),
             dict(img_shape=(128, 128), pad_shape=(128, 128), batch_input_shape=(128, 128))]
    return gts, metas


def det_data_samples(gts: Sequence[InstanceData], metas: Sequence[dict]) -> List[DetDataSample]:
    samples = []
    for gt, meta in zip(gts, metas):
        sample = DetDataSample(metainfo=dict(meta, ori_shape=meta['img_shape'], scale_factor=(1., 1.)))
        sample.gt_instances = gt
        samples.append(sample)
    return samples


def distill_model_cfg(family: str, distill_losses: dict, teacher: str = None, teacher_overrides: dict = None,
                      student_overrides: dict = None, slim: bool = False) -> dict:
    """A ``DenseDetectorDistill`` config on the family's R18 student; the teacher defaults to the same R18 config
    (fast); ``*_overrides`` change the bbox_head; ``slim`` as in :func:`detector_model_cfg`."""
    student_name = PAIRS[family][0]
    return dict(
        type='mmkd.DenseDetectorDistill',
        architecture=detector_model_cfg(student_name, slim, **(student_overrides or {})),
        teacher=detector_model_cfg(teacher or student_name, slim, **(teacher_overrides or {})),
        distiller=dict(type='mmkd.DenseDetectionDistiller', distill_losses=distill_losses))


def build_distill(cfg: dict) -> torch.nn.Module:
    init_default_scope('mmdet')
    return ROOT_MODELS.build(cfg)
