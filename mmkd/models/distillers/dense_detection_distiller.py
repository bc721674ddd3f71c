# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.structures.bbox import bbox_overlaps, get_box_tensor
from mmrazor.models.distillers import BaseDistiller
from torch import Tensor, nn

from mmkd.models.det_adapters import (DenseHeadAdapter, PositiveAssignment, adapter_for_head, flatten_level_outputs,
                                      imitation_masks)
from mmkd.models.losses import PFILoss, RankMimickingLoss, SigmoidSoftLabelKDLoss
from mmkd.registry import MODELS

HeadOutputs = Tuple[List[Tensor], ...]


@MODELS.register_module()
class DenseDetectionDistiller(BaseDistiller):
    """Distiller for one-stage dense detectors (RetinaNet, FCOS, ATSS, GFL): feeds Rank Mimicking, PFI and soft-label
    losses from the FPN features and head outputs of teacher and student and the student head's own assignment.

    "Knowledge Distillation for Object Detection via Rank Mimicking and Prediction-guided Feature Imitation"
    (Li et al., AAAI 2022). mmrazor's ``ConfigurableDistiller`` hands recorded tensors to losses; RM also needs, per
    GT instance, which predictions the head assigned to it, which no recorder holds. This distiller asks the student
    head's adapter (:mod:`mmkd.models.det_adapters`) for the positives once per step (read from the recorded target
    computation of the student's own loss when given, else assigned with the head's methods) and gives every loss
    what its type needs:

    - :class:`~mmkd.RankMimickingLoss`: per positive, its instance id, the logit of the instance's class
      (``cls``) and/or the IoU of the box each model predicts there with the GT box (``loc``);
    - :class:`~mmkd.PFILoss`: FPN features per level, cls logits (``mask='prediction'``) or the 0/1 position mask of
      its mode;
    - :class:`~mmkd.SigmoidSoftLabelKDLoss`: cls logits per level.

    Teacher and student share priors (checked at build time), so one assignment serves both. Built by
    :class:`~mmkd.DenseDetectorDistill`, which calls :meth:`prepare_from_student` / :meth:`prepare_from_teacher`
    (the checks) and :meth:`compute_distill_losses`.

    Args:
        distill_losses (dict[str, dict]): name → config of a loss of one of the three types above.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
    """

    LOSS_TYPES = (RankMimickingLoss, PFILoss, SigmoidSoftLabelKDLoss)

    def __init__(self, distill_losses: Dict[str, dict], init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if not distill_losses:
            raise ValueError('DenseDetectionDistiller: distill_losses is empty; give at least one loss, e.g. '
                             "loss_rm=dict(type='mmkd.RankMimickingLoss').")
        self.distill_losses = nn.ModuleDict()
        for name, cfg in distill_losses.items():
            loss = MODELS.build(cfg)
            if not isinstance(loss, self.LOSS_TYPES):
                raise TypeError(f'DenseDetectionDistiller: distill_losses.{name} is {type(loss).__name__}; supported '
                                f'are {[t.__name__ for t in self.LOSS_TYPES]}.')
            self.distill_losses[name] = loss
        self.adapter: Optional[DenseHeadAdapter] = None
        self._student_facts: Optional[dict] = None

    @property
    def needs_assignment(self) -> bool:
        return any(isinstance(loss, RankMimickingLoss) or (isinstance(loss, PFILoss) and loss.mask in (
            'positive', 'negative')) for loss in self.distill_losses.values())

    @staticmethod
    def _facts(model: nn.Module, side: str) -> dict:
        head = getattr(model, 'bbox_head', None)
        if head is None:
            raise TypeError(f'DenseDetectionDistiller: the {side} {type(model).__name__} has no bbox_head; a '
                            f'one-stage mmdet detector is needed.')
        adapter = adapter_for_head(head)
        neck = getattr(model, 'neck', None)
        return dict(adapter=adapter, head=type(head).__name__, cls_out_channels=int(head.cls_out_channels),
                    priors=adapter.prior_signature(head), num_base_priors=adapter.num_base_priors(head),
                    fpn_channels=getattr(neck, 'out_channels', None))

    def prepare_from_student(self, model: nn.Module) -> None:
        """Pick the student head's adapter (the assignment used by every loss)."""
        self._student_facts = self._facts(model, 'student')
        self.adapter = self._student_facts['adapter']

    def prepare_from_teacher(self, model: nn.Module) -> None:
        """Fail at build time when teacher and student predictions cannot be compared one to one."""
        if self._student_facts is None:
            raise RuntimeError('DenseDetectionDistiller: prepare_from_student must run before prepare_from_teacher.')
        student, teacher = self._student_facts, self._facts(model, 'teacher')
        if type(student['adapter']) is not type(teacher['adapter']):
            raise ValueError(f"Teacher head {teacher['head']} and student head {student['head']} are of different "
                             f'families: RM and PFI compare their predictions prior by prior.')
        if student['cls_out_channels'] != teacher['cls_out_channels']:
            raise ValueError(f"Teacher and student classify into different numbers of classes: teacher "
                             f"{teacher['head']}.cls_out_channels={teacher['cls_out_channels']}, student "
                             f"{student['head']}.cls_out_channels={student['cls_out_channels']}.")
        if student['priors'] != teacher['priors'] or student['num_base_priors'] != teacher['num_base_priors']:
            differing = sorted(k for k in set(student['priors']) | set(teacher['priors'])
                               if student['priors'].get(k) != teacher['priors'].get(k))
            raise ValueError(f'Teacher and student anchors/points differ ({", ".join(differing)}): teacher '
                             f"{ {k: teacher['priors'].get(k) for k in differing} }, student "
                             f"{ {k: student['priors'].get(k) for k in differing} }. RM needs one assignment for "
                             f'both; give them the same prior_generator (anchor_generator) settings.')
        uses_features = any(isinstance(loss, PFILoss) for loss in self.distill_losses.values())
        if uses_features and student['fpn_channels'] != teacher['fpn_channels']:
            raise ValueError(f"PFILoss compares FPN features channel by channel, but the teacher neck has "
                             f"out_channels={teacher['fpn_channels']} and the student neck "
                             f"out_channels={student['fpn_channels']}; give both necks the same width.")

    def assign(self, student_head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]], batch_gt_instances: list,
               batch_img_metas: List[dict], batch_gt_instances_ignore: Optional[list],
               device: torch.device) -> List[PositiveAssignment]:
        """The student head's positives per image (see :mod:`mmkd.models.det_adapters`)."""
        return self.adapter.assign(student_head, featmap_sizes, batch_gt_instances, batch_img_metas,
                                   batch_gt_instances_ignore, device=device)

    def rank_inputs(self, loss: RankMimickingLoss, student_head: nn.Module, teacher_head: nn.Module,
                    student_outs: HeadOutputs, teacher_outs: HeadOutputs, assignments: Sequence[PositiveAssignment],
                    batch_gt_instances: list, featmap_sizes: Sequence[Tuple[int, int]]) -> Dict[str, Tensor]:
        """The flat per-positive inputs of :class:`~mmkd.RankMimickingLoss` (instance ids, cls scores, IoUs)."""
        device = student_outs[0][0].device
        instance_ids, offset = [], 0
        for assignment, gt in zip(assignments, batch_gt_instances):
            instance_ids.append(assignment.pos_gt_inds + offset)  # ids unique over the batch
            offset += len(gt)
        inputs = dict(instance_ids=torch.cat(instance_ids).to(device))
        if loss.uses_cls:
            channels = student_head.cls_out_channels
            for side, outs in (('S', student_outs), ('T', teacher_outs)):
                scores = flatten_level_outputs(outs[0], channels)  # [N, P, C]
                inputs[f'cls_scores_{side}'] = torch.cat([
                    scores[image, a.pos_inds, gt.labels[a.pos_gt_inds]]
                    for image, (a, gt) in enumerate(zip(assignments, batch_gt_instances))])
        if loss.uses_loc:
            priors = torch.cat(self.adapter.priors(student_head, featmap_sizes, device))
            strides = self.adapter.prior_strides(student_head, featmap_sizes, device)
            for side, head, outs in (('S', student_head, student_outs), ('T', teacher_head, teacher_outs)):
                box_outs = flatten_level_outputs(outs[1], self.adapter.box_channels(head))
                ious = []
                for image, (a, gt) in enumerate(zip(assignments, batch_gt_instances)):
                    boxes = self.adapter.decode_boxes(head, box_outs[image, a.pos_inds], priors[a.pos_inds],
                                                      strides[a.pos_inds])
                    gt_boxes = get_box_tensor(gt.bboxes)[a.pos_gt_inds].to(boxes)
                    ious.append(bbox_overlaps(boxes, gt_boxes, is_aligned=True))
                inputs[f'ious_{side}'] = torch.cat(ious)
        return inputs

    def compute_distill_losses(self,
                               student_head: nn.Module,
                               teacher_head: nn.Module,
                               student_feats: Sequence[Tensor],
                               teacher_feats: Sequence[Tensor],
                               student_outs: HeadOutputs,
                               teacher_outs: HeadOutputs,
                               batch_gt_instances: list,
                               batch_img_metas: List[dict],
                               batch_gt_instances_ignore: Optional[list] = None,
                               target_records: Optional[Sequence[dict]] = None) -> Dict[str, Tensor]:
        """Every distillation loss of one step.

        Args:
            student_head (nn.Module): the student's ``bbox_head`` (assignment, decoding).
            teacher_head (nn.Module): the teacher's ``bbox_head`` (decoding its boxes).
            student_feats (Sequence[Tensor]): student FPN features per level [N, K, H_l, W_l].
            teacher_feats (Sequence[Tensor]): teacher FPN features, same shapes (no gradient).
            student_outs (tuple[list[Tensor]]): the student head's outputs; ``[0]`` cls logits per level
                [N, A*C, H_l, W_l], ``[1]`` box outputs per level [N, A*k, H_l, W_l] (more entries ignored).
            teacher_outs (tuple[list[Tensor]]): the teacher head's outputs, same layout.
            batch_gt_instances (list[InstanceData]): GT per image.
            batch_img_metas (list[dict]): image metas.
            batch_gt_instances_ignore (list, optional): ignored GT per image. Defaults to None.
            target_records (Sequence[dict], optional): the student head's own target computations of this step, one
                per image (``adapter.recording``); without them the positives are assigned here. Defaults to None.

        Returns:
            dict[str, Tensor]: loss name → scalar.
        """
        featmap_sizes = [tuple(score.shape[-2:]) for score in student_outs[0]]
        teacher_sizes = [tuple(score.shape[-2:]) for score in teacher_outs[0]]
        if featmap_sizes != teacher_sizes:
            raise ValueError(f'Teacher and student head outputs have different sizes per level: teacher '
                             f'{teacher_sizes}, student {featmap_sizes} (strides or FPN levels differ).')
        device = student_outs[0][0].device
        assignments = None
        if self.needs_assignment:
            if target_records and len(target_records) == len(batch_img_metas):
                assignments = self.adapter.assign_from_records(student_head, target_records)
            else:
                assignments = self.assign(student_head, featmap_sizes, batch_gt_instances, batch_img_metas,
                                          batch_gt_instances_ignore, device)
        losses = {}
        for name, loss in self.distill_losses.items():
            if isinstance(loss, RankMimickingLoss):
                losses[name] = loss(**self.rank_inputs(loss, student_head, teacher_head, student_outs, teacher_outs,
                                                       assignments, batch_gt_instances, featmap_sizes))
            elif isinstance(loss, PFILoss):
                masks = None
                if loss.mask in loss.GIVEN_MASKS:
                    masks = imitation_masks(self.adapter, student_head, loss.mask, assignments, batch_gt_instances,
                                            featmap_sizes, device)
                losses[name] = loss(student_feats, teacher_feats, student_outs[0], teacher_outs[0], masks=masks)
            else:
                losses[name] = loss(student_outs[0], teacher_outs[0])
        return losses
