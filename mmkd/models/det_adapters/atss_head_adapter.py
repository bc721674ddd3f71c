# Copyright (c) mmkd contributors. All rights reserved.
from typing import List

from torch import Tensor, nn

from mmkd.models.utils.optional_mmdet import MMDetClassAttr
from mmkd.registry import TASK_UTILS
from .anchor_head_adapter import AnchorHeadAdapter


@TASK_UTILS.register_module()
class ATSSHeadAdapter(AnchorHeadAdapter):
    """Positives of :class:`mmdet.models.dense_heads.ATSSHead`: the ATSS assigner (needs anchors per level).

    ``ATSSHead`` overrides ``get_targets`` and does not fill ``_raw_positive_infos``, so its own
    ``_get_targets_single`` (which also takes the number of anchors per level) is called per image; the rest is
    :class:`AnchorHeadAdapter`'s (inside-anchor mapping, delta decoding with the head's ``bbox_coder``). ATSS
    assignment depends on anchors and GT only, so the positives serve teacher and student alike.
    """

    head_types = MMDetClassAttr('mmdet.models.dense_heads.ATSSHead', as_tuple=True)
    target_method_owner = MMDetClassAttr('mmdet.models.dense_heads.ATSSHead')

    def _sampling_result(self, head: nn.Module, flat_anchors: Tensor, valid_flags: Tensor,
                         num_level_anchors: List[int], gt_instances, img_meta: dict, gt_instances_ignore):
        return head._get_targets_single(flat_anchors, valid_flags, num_level_anchors, gt_instances, img_meta,
                                        gt_instances_ignore)[-1]
