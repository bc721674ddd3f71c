# Copyright (c) mmkd contributors. All rights reserved.
"""One training step's inputs for detection-distillation losses, each computed on first use.

A loss for :class:`mmkd.DenseDetectionDistiller` declares which groups of inputs it reads (``step_inputs``, a subset
of :data:`STEP_INPUTS`) and implements ``forward_step(inputs: DetDistillStepInputs)``. The distiller builds one
:class:`DetDistillStepInputs` per step and hands it to every loss; what no loss asks for is never computed (no
assignment for a features-only loss, no box decoding without a loc rank), and what several losses ask for is
computed once. mmdet is imported where it is used (this module imports without it).
"""
from functools import cached_property
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from .base import DenseHeadAdapter, PositiveAssignment, flatten_level_outputs, imitation_masks

#: the groups of inputs a loss can declare: FPN features of both models; raw head outputs of both models; the
#: student head's assignment (positives, negatives, instance ids, number of positives); GT instances and image metas
STEP_INPUTS = ('feats', 'head_outs', 'positives', 'gt')

HeadOutputs = Tuple[List[Tensor], ...]


class DetDistillStepInputs:
    """Features, head outputs, assignment and GT of one step, for the distillation losses.

    Tensors given at construction are used as they are; the derived ones (:attr:`assignments`,
    :attr:`num_positives`, :meth:`position_masks`, :attr:`instance_ids`, :attr:`positive_cls_scores`,
    :attr:`positive_ious`) are computed on first access and cached for the other losses of the step.

    Args:
        adapter (DenseHeadAdapter): the student head's adapter.
        student_head (nn.Module): the student's ``bbox_head`` (assignment, decoding).
        teacher_head (nn.Module): the teacher's ``bbox_head`` (decoding its boxes).
        student_feats (Sequence[Tensor]): student FPN features per level [N, K, H_l, W_l].
        teacher_feats (Sequence[Tensor]): teacher FPN features, same shapes (no gradient).
        student_outs (tuple[list[Tensor]]): the student head's outputs; ``[0]`` cls logits per level
            [N, A*C, H_l, W_l], ``[1]`` box outputs per level [N, A*k, H_l, W_l] (more entries ignored).
        teacher_outs (tuple[list[Tensor]]): the teacher head's outputs, same layout.
        batch_gt_instances (list[InstanceData]): GT per image (``bboxes`` [G, 4], ``labels`` [G]).
        batch_img_metas (list[dict]): image metas (``img_shape``, ``pad_shape``).
        batch_gt_instances_ignore (list, optional): ignored GT per image. Defaults to None.
        target_records (Sequence[dict], optional): the student head's own target computations of this step, one per
            image (``adapter.recording``); without them the positives are assigned with the head's methods.
            Defaults to None.
    """

    def __init__(self, adapter: DenseHeadAdapter, student_head: nn.Module, teacher_head: nn.Module,
                 student_feats: Sequence[Tensor], teacher_feats: Sequence[Tensor], student_outs: HeadOutputs,
                 teacher_outs: HeadOutputs, batch_gt_instances: list, batch_img_metas: List[dict],
                 batch_gt_instances_ignore: Optional[list] = None,
                 target_records: Optional[Sequence[dict]] = None) -> None:
        self.adapter = adapter
        self.student_head, self.teacher_head = student_head, teacher_head
        self.student_feats, self.teacher_feats = student_feats, teacher_feats
        self.student_outs, self.teacher_outs = student_outs, teacher_outs
        self.batch_gt_instances, self.batch_img_metas = batch_gt_instances, batch_img_metas
        self.batch_gt_instances_ignore = batch_gt_instances_ignore
        self.target_records = target_records
        self.featmap_sizes = [tuple(score.shape[-2:]) for score in student_outs[0]]
        teacher_sizes = [tuple(score.shape[-2:]) for score in teacher_outs[0]]
        if self.featmap_sizes != teacher_sizes:
            raise ValueError(f'Teacher and student head outputs have different sizes per level: teacher '
                             f'{teacher_sizes}, student {self.featmap_sizes} (strides or FPN levels differ).')
        self.device = student_outs[0][0].device
        self._masks: Dict[str, List[Tensor]] = {}

    # ---- head outputs ---------------------------------------------------------------------------------------------
    @property
    def student_cls_scores(self) -> List[Tensor]:
        """Student cls logits per level [N, A*C, H_l, W_l]."""
        return self.student_outs[0]

    @property
    def teacher_cls_scores(self) -> List[Tensor]:
        """Teacher cls logits per level [N, A*C, H_l, W_l]."""
        return self.teacher_outs[0]

    # ---- assignment -----------------------------------------------------------------------------------------------
    @cached_property
    def assignments(self) -> List[PositiveAssignment]:
        """Per image, the student head's positives (and negatives): read from the recorded target computation of
        its own loss when there is one per image, else assigned with the head's methods."""
        if self.target_records and len(self.target_records) == len(self.batch_img_metas):
            return self.adapter.assign_from_records(self.student_head, self.target_records)
        return self.adapter.assign(self.student_head, self.featmap_sizes, self.batch_gt_instances,
                                   self.batch_img_metas, self.batch_gt_instances_ignore, device=self.device)

    @cached_property
    def num_positives(self) -> Tensor:
        """The number of positives of the batch, averaged over GPUs and at least 1 (scalar float tensor): the
        ``avg_factor`` that FCOS, ATSS and GFL divide their classification loss by (RetinaNet: the same count)."""
        from mmdet.utils import reduce_mean

        count = sum(assignment.pos_inds.numel() for assignment in self.assignments)
        return reduce_mean(torch.tensor(float(count), device=self.device)).clamp(min=1.0)

    def position_masks(self, mode: str) -> List[Tensor]:
        """Per level bool [N, H, W] of the hand-made imitation masks ``'positive'``, ``'negative'`` or ``'gt_box'``
        (see :func:`~mmkd.models.det_adapters.imitation_masks`), cached per mode."""
        if mode not in self._masks:
            assignments = self.assignments if mode in ('positive', 'negative') else None
            self._masks[mode] = imitation_masks(self.adapter, self.student_head, mode, assignments,
                                                self.batch_gt_instances, self.featmap_sizes, self.device,
                                                batch_img_metas=self.batch_img_metas)
        return self._masks[mode]

    # ---- per-positive values (Rank Mimicking) ---------------------------------------------------------------------
    @cached_property
    def instance_ids(self) -> Tensor:
        """Long [M]: for every positive of every image, its GT instance, numbered over the batch."""
        instance_ids, offset = [], 0
        for assignment, gt in zip(self.assignments, self.batch_gt_instances):
            instance_ids.append(assignment.pos_gt_inds.to(self.device) + offset)
            offset += len(gt)
        return torch.cat(instance_ids) if instance_ids else torch.zeros(0, dtype=torch.long, device=self.device)

    @cached_property
    def positive_cls_scores(self) -> Tuple[Tensor, Tensor]:
        """(student, teacher) [M]: the logit of each positive's GT class at its prior (teacher detached)."""
        channels = self.student_head.cls_out_channels
        values = []
        for outs in (self.student_outs, self.teacher_outs):
            scores = flatten_level_outputs(outs[0], channels)  # [N, P, C]
            values.append(torch.cat([
                scores[image, a.pos_inds, gt.labels[a.pos_gt_inds]]
                for image, (a, gt) in enumerate(zip(self.assignments, self.batch_gt_instances))]))
        return values[0], values[1].detach()

    @cached_property
    def positive_ious(self) -> Tuple[Tensor, Tensor]:
        """(student, teacher) [M]: IoU of the box each model predicts at each positive with its GT box."""
        from mmdet.structures.bbox import bbox_overlaps, get_box_tensor

        priors = torch.cat(self.adapter.priors(self.student_head, self.featmap_sizes, self.device))
        strides = self.adapter.prior_strides(self.student_head, self.featmap_sizes, self.device)
        values = []
        for head, outs in ((self.student_head, self.student_outs), (self.teacher_head, self.teacher_outs)):
            box_outs = flatten_level_outputs(outs[1], self.adapter.box_channels(head))
            ious = []
            for image, (a, gt) in enumerate(zip(self.assignments, self.batch_gt_instances)):
                boxes = self.adapter.decode_boxes(head, box_outs[image, a.pos_inds], priors[a.pos_inds],
                                                  strides[a.pos_inds])
                gt_boxes = get_box_tensor(gt.bboxes)[a.pos_gt_inds].to(boxes)
                ious.append(bbox_overlaps(boxes, gt_boxes, is_aligned=True))
            values.append(torch.cat(ious))
        return values[0], values[1].detach()
