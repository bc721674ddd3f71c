# Copyright (c) mmkd contributors. All rights reserved.
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackEdgeInputs(BaseTransform):
    """Pack an edge sample for :class:`mmkd.EdgeDetector`: ``inputs`` [3, H, W] and an mmseg ``SegDataSample``.

    - ``img`` (H×W×C, as loaded: BGR) → ``inputs`` uint8/float tensor [3, H, W]. Grayscale images ([H, W] or
      [H, W, 1], e.g. loaded with ``color_type='grayscale'``) are repeated to 3 channels; a 4th (alpha) channel is
      dropped. ``LoadImageFromFile``'s default ``color_type='color'`` already gives 3 channels for grey files.
    - ``gt_edge_map`` [H, W] → ``data_sample.gt_edge_map = PixelData(data=float32 [1, H, W])``.
    - ``meta_keys`` present in the results (``gt_boundaries``, the per-annotator boundaries of ``.mat`` ground
      truth, included) → ``data_sample.metainfo``.

    Args:
        meta_keys (Sequence[str]): Keys copied to the metainfo. Defaults to image paths, shapes, flip info,
            ``img_id`` and ``gt_boundaries``.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_path', 'edge_map_path', 'gt_mat_path', 'img_id', 'ori_shape',
                                             'img_shape', 'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                                             'gt_boundaries')) -> None:
        self.meta_keys = tuple(meta_keys)

    @staticmethod
    def to_three_channels(img: np.ndarray, img_path: str = '') -> np.ndarray:
        """[H, W] / [H, W, 1] / [H, W, 3] / [H, W, 4] → [H, W, 3]."""
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
            raise ValueError(f'PackEdgeInputs: image {img_path} has shape {img.shape}; expected H×W, H×W×1, H×W×3 '
                             'or H×W×4')
        if img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
        return img[..., :3]

    def transform(self, results: dict) -> dict:
        img = self.to_three_channels(results['img'], results.get('img_path', ''))
        packed = dict(inputs=torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))))
        sample = SegDataSample()
        if results.get('gt_edge_map') is not None:
            edge = np.asarray(results['gt_edge_map'], dtype=np.float32)
            sample.gt_edge_map = PixelData(data=torch.from_numpy(np.ascontiguousarray(edge))[None])
        sample.set_metainfo({key: results[key] for key in self.meta_keys if key in results})
        packed['data_samples'] = sample
        return packed

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
