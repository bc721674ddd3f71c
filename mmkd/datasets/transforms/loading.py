# Copyright (c) mmkd contributors. All rights reserved.
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmkd.evaluation.functional import load_bsds_boundaries
from mmkd.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadEdgeAnnotations(BaseTransform):
    """Load edge ground truth: ``gt_edge_map`` [H, W] float32 in [0, 1] (the annotators' average).

    From ``edge_map_path`` (a grey PNG of HED/RCF's lists: value / 255; a colour PNG is converted to grey, a uint16
    PNG is divided by 65535) or from ``gt_mat_path`` (BSDS500 ``.mat``: the mean of the K annotators' boundaries,
    which are also kept as ``gt_boundaries``, a list of K uint8 [H, W] arrays, for :class:`mmkd.EdgeMetric`).
    ``gt_edge_map`` is added to ``seg_fields`` so mmseg's ``RandomCrop``/``RandomFlip``/``Resize`` transform it
    like a segmentation map. A ground truth whose size differs from the loaded image is an error naming the file.

    Required keys: ``edge_map_path`` or ``gt_mat_path`` (neither: the sample stays unlabelled), optionally ``img``.
    Added keys: ``gt_edge_map``, ``gt_boundaries`` (``.mat`` only), ``seg_fields``.
    """

    def transform(self, results: dict) -> dict:
        if results.get('edge_map_path'):
            path = results['edge_map_path']
            raw = mmcv.imread(path, flag='unchanged', backend='cv2')
            if raw is None:
                raise FileNotFoundError(f'LoadEdgeAnnotations: cannot read edge label {path}')
            if raw.ndim == 3:
                raw = mmcv.bgr2gray(raw[..., :3]) if raw.shape[2] >= 3 else raw[..., 0]
            scale = 65535.0 if raw.dtype == np.uint16 else 255.0
            edge = raw.astype(np.float32) / scale
        elif results.get('gt_mat_path'):
            path = results['gt_mat_path']
            # the evaluator's reader: one definition of how a BSDS .mat is read (errors name the file)
            boundaries = [b.astype(np.uint8) for b in load_bsds_boundaries(path)]
            results['gt_boundaries'] = boundaries
            edge = np.mean(np.stack(boundaries), axis=0).astype(np.float32)
        else:
            return results
        img = results.get('img')
        if img is not None and img.shape[:2] != edge.shape:
            raise ValueError(f'LoadEdgeAnnotations: ground truth {path} is {edge.shape[0]}x{edge.shape[1]} but image '
                             f'{results.get("img_path")} is {img.shape[0]}x{img.shape[1]}')
        results['gt_edge_map'] = edge
        results.setdefault('seg_fields', [])
        if 'gt_edge_map' not in results['seg_fields']:
            results['seg_fields'].append('gt_edge_map')
        return results
