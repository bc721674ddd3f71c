# Copyright (c) mmkd contributors. All rights reserved.
from typing import List

from torch import Tensor, nn

from mmkd.models.utils.optional_mmdet import MMDetClassAttr
from mmkd.registry import TASK_UTILS
from .anchor_head_adapter import AnchorHeadAdapter


@TASK_UTILS.register_module()
class GFLHeadAdapter(AnchorHeadAdapter):
    """Positives of :class:`mmdet.models.dense_heads.GFLHead` (ATSS assigner) and its distribution box decoding.

    Like ATSS, ``GFLHead`` overrides ``get_targets`` without filling ``_raw_positive_infos``: its own
    ``_get_targets_single`` is called per image. Boxes: the head regresses a discrete distribution over
    ``reg_max + 1`` bins per side; its ``integral`` gives the distances in units of the stride, which are scaled to
    px and decoded from the anchor centres with the head's ``bbox_coder`` (as ``GFLHead`` does, there in stride
    units; IoUs do not depend on the unit).
    """

    head_types = MMDetClassAttr('mmdet.models.dense_heads.GFLHead', as_tuple=True)
    target_method_owner = MMDetClassAttr('mmdet.models.dense_heads.GFLHead')

    def _sampling_result(self, head: nn.Module, flat_anchors: Tensor, valid_flags: Tensor,
                         num_level_anchors: List[int], gt_instances, img_meta: dict, gt_instances_ignore):
        return head._get_targets_single(flat_anchors, valid_flags, num_level_anchors, gt_instances, img_meta,
                                        gt_instances_ignore)[-1]

    def box_channels(self, head: nn.Module) -> int:
        return 4 * (head.reg_max + 1)

    def decode_boxes(self, head: nn.Module, bbox_preds: Tensor, priors: Tensor, strides: Tensor) -> Tensor:
        """[P, 4] boxes from [P, 4 (reg_max + 1)] distribution logits at [P, 4] anchors with strides [P]."""
        distances = head.integral(bbox_preds) * strides[:, None]
        from mmdet.structures.bbox import get_box_tensor
        return get_box_tensor(head.bbox_coder.decode(head.anchor_center(priors), distances))
