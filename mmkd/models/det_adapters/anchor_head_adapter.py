# Copyright (c) mmkd contributors. All rights reserved.
from typing import Any, Dict, List, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmkd.models.utils.optional_mmdet import MMDetClassAttr
from mmkd.registry import TASK_UTILS
from .base import DenseHeadAdapter, PositiveAssignment


@TASK_UTILS.register_module()
class AnchorHeadAdapter(DenseHeadAdapter):
    """Positives of :class:`mmdet.models.dense_heads.AnchorHead` heads (RetinaNet): MaxIoU assigner + sampler.

    Calls the head's own ``_get_targets_single`` per image and reads its ``SamplingResult``: ``pos_inds`` index the
    anchors *inside* the image (``anchor_inside_flags`` with the head's ``allowed_border`` and the padding valid
    flags), so they are mapped back to the full level-concatenated anchor list; ``pos_assigned_gt_inds`` is the GT,
    ``neg_inds`` the background anchors (ignored and invalid anchors are in neither).
    These are the positives that ``AnchorHead.loss_by_feat`` trains on (the same call, the same inputs). Boxes are
    decoded with the head's ``bbox_coder`` from its anchors.
    """

    head_types = MMDetClassAttr('mmdet.models.dense_heads.AnchorHead', as_tuple=True)
    target_method_owner = MMDetClassAttr('mmdet.models.dense_heads.AnchorHead')

    def _sampling_result(self, head: nn.Module, flat_anchors: Tensor, valid_flags: Tensor,
                         num_level_anchors: List[int], gt_instances, img_meta: dict, gt_instances_ignore):
        return head._get_targets_single(flat_anchors, valid_flags, gt_instances, img_meta, gt_instances_ignore)[-1]

    def assign(self, head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]], batch_gt_instances: list,
               batch_img_metas: List[dict], batch_gt_instances_ignore: list = None,
               device: torch.device = torch.device('cpu')) -> List[PositiveAssignment]:
        """Per image, the positive anchors and their GT indices, as the head's loss assigns them.

        Args:
            head (nn.Module): the student head (its ``train_cfg`` assigner and sampler are used).
            featmap_sizes (Sequence[tuple]): (H, W) per level.
            batch_gt_instances (list[InstanceData]): GT per image (``bboxes``, ``labels``).
            batch_img_metas (list[dict]): image metas (``img_shape``, ``pad_shape``).
            batch_gt_instances_ignore (list, optional): ignored GT per image. Defaults to None.
            device (torch.device): where the anchors live.

        Returns:
            list[PositiveAssignment]: one per image.
        """
        anchor_list, valid_flag_list = head.get_anchors(featmap_sizes, batch_img_metas, device=device)
        num_level_anchors = [anchors.size(0) for anchors in anchor_list[0]]
        flat_anchors = torch.cat(anchor_list[0])
        if batch_gt_instances_ignore is None:
            batch_gt_instances_ignore = [None] * len(batch_img_metas)
        assignments = []
        for valid_flags, gt_instances, img_meta, gt_ignore in zip(valid_flag_list, batch_gt_instances, batch_img_metas,
                                                                  batch_gt_instances_ignore):
            valid_flags = torch.cat(valid_flags)
            result = self._sampling_result(head, flat_anchors, valid_flags, num_level_anchors, gt_instances, img_meta,
                                           gt_ignore)
            assignments.append(self._full_list_positives(head, flat_anchors, valid_flags, img_meta, result))
        return assignments

    def assign_from_records(self, head: nn.Module, records: Sequence[Dict[str, Any]]) -> List[PositiveAssignment]:
        """Per image, the positives of the recorded ``_get_targets_single`` calls of the head's loss (its
        ``SamplingResult``, the last value returned), mapped to the full anchor list like :meth:`assign`."""
        return [
            self._full_list_positives(head, record['args']['flat_anchors'], record['args']['valid_flags'],
                                      record['args']['img_meta'], record['result'][-1]) for record in records
        ]

    @staticmethod
    def _full_list_positives(head: nn.Module, flat_anchors: Tensor, valid_flags: Tensor, img_meta: dict,
                             sampling_result) -> PositiveAssignment:
        from mmdet.models.task_modules.prior_generators import anchor_inside_flags

        # the sampler indexes the anchors inside the image (the ones the head assigned), not the full list
        inside_inds = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                          head.train_cfg['allowed_border']).nonzero().squeeze(1)
        return PositiveAssignment(inside_inds[sampling_result.pos_inds], sampling_result.pos_assigned_gt_inds.long(),
                                  inside_inds[sampling_result.neg_inds])

    def decode_boxes(self, head: nn.Module, bbox_preds: Tensor, priors: Tensor, strides: Tensor) -> Tensor:
        """``head.bbox_coder.decode(anchors, deltas)``: [P, 4] boxes from [P, 4] deltas at [P, 4] anchors."""
        from mmdet.structures.bbox import get_box_tensor
        return get_box_tensor(head.bbox_coder.decode(priors, bbox_preds))
