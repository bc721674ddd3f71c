# Copyright (c) mmkd contributors. All rights reserved.
from typing import Any, Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmkd.models.utils.optional_mmdet import MMDetClassAttr
from mmkd.registry import TASK_UTILS
from .base import DenseHeadAdapter, PositiveAssignment


@TASK_UTILS.register_module()
class FCOSHeadAdapter(DenseHeadAdapter):
    """Positives of :class:`mmdet.models.dense_heads.FCOSHead`: points inside a GT box (or, with the head's
    ``center_sampling=True``, inside its centre region of ``center_sample_radius`` strides), in the level's regression
    range, the smallest such GT winning. The rule is the head's own: whatever ``center_sampling`` the head has, the
    adapter reads the result of its ``_get_targets_single``.

    FCOS's ``_get_targets_single`` returns a label and the (left, top, right, bottom) distances to the assigned GT per
    point, but not which GT. It is called per image as the head's ``get_targets`` calls it (level-concatenated points
    and regression ranges); a point is positive when its label is a class (not ``num_classes``), and its GT is the
    box that point ± distances reproduces (the distances were computed from that very box: the nearest GT box with
    the same label, in L1, is it). The rule itself stays the head's.

    Boxes: distances decoded from the points with the head's ``bbox_coder``; with ``norm_on_bbox`` the head outputs
    distances in units of the stride while training and in px in eval mode (the frozen teacher), which is taken into
    account.
    """

    head_types = MMDetClassAttr('mmdet.models.dense_heads.FCOSHead', as_tuple=True)
    target_method_owner = MMDetClassAttr('mmdet.models.dense_heads.FCOSHead')

    def assign(self, head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]], batch_gt_instances: list,
               batch_img_metas: List[dict], batch_gt_instances_ignore: list = None,
               device: torch.device = torch.device('cpu')) -> List[PositiveAssignment]:
        """Per image, the positive points and their GT indices, as FCOS's loss assigns them (ignored GT: FCOS has
        none). Args as :meth:`AnchorHeadAdapter.assign`."""
        points = self.priors(head, featmap_sizes, device)
        regress_ranges = torch.cat([
            level_points.new_tensor(head.regress_ranges[level])[None].expand_as(level_points)
            for level, level_points in enumerate(points)
        ])
        num_points_per_level = [level_points.size(0) for level_points in points]
        all_points = torch.cat(points)
        assignments = []
        for gt_instances in batch_gt_instances:
            labels, distances = head._get_targets_single(
                gt_instances, points=all_points, regress_ranges=regress_ranges,
                num_points_per_lvl=num_points_per_level)
            assignments.append(self._positives(head, gt_instances, all_points, labels, distances))
        return assignments

    def assign_from_records(self, head: nn.Module, records: Sequence[Dict[str, Any]]) -> List[PositiveAssignment]:
        """Per image, the positives of the recorded ``_get_targets_single`` calls of FCOS's loss."""
        return [
            self._positives(head, record['args']['gt_instances'], record['args']['points'], *record['result'])
            for record in records
        ]

    @staticmethod
    def _positives(head: nn.Module, gt_instances, points: Tensor, labels: Tensor,
                   distances: Tensor) -> PositiveAssignment:
        from mmdet.structures.bbox import get_box_tensor

        pos_inds = ((labels >= 0) & (labels < head.num_classes)).nonzero().squeeze(1)
        neg_inds = (labels == head.num_classes).nonzero().squeeze(1)  # FCOS ignores nothing: the other points
        if pos_inds.numel() == 0:
            return PositiveAssignment(pos_inds, pos_inds.clone(), neg_inds)
        point = points[pos_inds]
        boxes = torch.cat([point - distances[pos_inds, :2], point + distances[pos_inds, 2:]], dim=1)
        gt_boxes = get_box_tensor(gt_instances.bboxes).to(boxes)
        box_gap = (boxes[:, None, :] - gt_boxes[None]).abs().sum(-1)  # [P, G]
        box_gap[labels[pos_inds, None] != gt_instances.labels[None]] = float('inf')
        return PositiveAssignment(pos_inds, box_gap.argmin(dim=1), neg_inds)

    def decode_boxes(self, head: nn.Module, bbox_preds: Tensor, priors: Tensor, strides: Tensor) -> Tensor:
        """[P, 4] boxes from [P, 4] distances at [P, 2] points with strides [P]."""
        if head.norm_on_bbox and head.training:
            bbox_preds = bbox_preds * strides[:, None]
        from mmdet.structures.bbox import get_box_tensor
        return get_box_tensor(head.bbox_coder.decode(priors, bbox_preds))
