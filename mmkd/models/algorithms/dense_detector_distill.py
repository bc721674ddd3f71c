# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Optional, Union

import torch
from mmdet.models.utils import unpack_gt_instances
from mmengine.model import BaseModel
from mmrazor.models.utils import add_prefix
from torch import Tensor

from mmkd.models.distillers import DenseDetectionDistiller
from mmkd.registry import MODELS
from .checked_single_teacher_distill import CheckedSingleTeacherDistill


@MODELS.register_module()
class DenseDetectorDistill(CheckedSingleTeacherDistill):
    """Single-teacher distillation of one-stage dense detectors with the teacher's *head* outputs.

    For Rank Mimicking and PFI (Li et al., "Knowledge Distillation for Object Detection via Rank Mimicking and
    Prediction-guided Feature Imitation", AAAI 2022). mmrazor's ``FpnTeacherDistill`` runs only the teacher's backbone
    and neck, and ``SingleTeacherDistill`` runs its full loss (assignment and all, for nothing). One step here:

    1. teacher, under ``torch.no_grad`` and in eval mode: backbone + neck → FPN features, head → cls/box outputs;
    2. student: backbone + neck, head, and the head's own ``loss_by_feat`` on those outputs (the task loss, exactly
       what ``SingleStageDetector.loss`` computes, without a second head forward); its per-image target assignment
       (``_get_targets_single``) is recorded on the way;
    3. the :class:`~mmkd.DenseDetectionDistiller` losses from both models' features and outputs and the student
       head's recorded assignment (assigned again only when the student loss is off, ``calculate_student_loss``).

    Prediction and testing use the student alone (mmrazor's ``BaseAlgorithm``). Checks at build time, besides those
    of :class:`CheckedSingleTeacherDistill` (teacher checkpoint exists, class counts equal): the distiller is a
    ``DenseDetectionDistiller``, the teacher is frozen, and the distiller's (same head family, same anchors/points,
    same cls channels, same FPN width for PFI).

    Args:
        distiller (dict): config of a :class:`~mmkd.DenseDetectionDistiller`.
        teacher (dict | BaseModel): teacher detector config or model.
        teacher_ckpt (str, optional): teacher checkpoint. Defaults to None.
        **kwargs: the remaining ``SingleTeacherDistill`` arguments (``architecture``, ``calculate_student_loss``, ...;
            ``teacher_trainable`` must stay False).
    """

    def __init__(self, distiller: dict, teacher: Union[BaseModel, Dict], teacher_ckpt: Optional[str] = None,
                 **kwargs) -> None:
        if kwargs.get('teacher_trainable', False):
            raise ValueError('DenseDetectorDistill: teacher_trainable=True is not supported; the teacher runs under '
                             'no_grad (its outputs are targets).')
        super().__init__(distiller=distiller, teacher=teacher, teacher_ckpt=teacher_ckpt, **kwargs)
        if not isinstance(self.distiller, DenseDetectionDistiller):
            raise TypeError(f'DenseDetectorDistill needs distiller=dict(type=\'mmkd.DenseDetectionDistiller\', ...), '
                            f'got {type(self.distiller).__name__}.')

    def loss(self, batch_inputs: Tensor, data_samples: Optional[List] = None) -> Dict[str, Tensor]:
        """Student task losses (prefixed ``student.``) and distillation losses (``distill.``).

        Args:
            batch_inputs (Tensor): preprocessed images [N, 3, H, W].
            data_samples (list[DetDataSample]): with ``gt_instances`` (``bboxes`` [G, 4], ``labels`` [G]).

        Returns:
            dict[str, Tensor]: the losses.
        """
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = unpack_gt_instances(data_samples)
        with torch.no_grad():
            teacher_feats = self.teacher.extract_feat(batch_inputs)
            teacher_outs = self.teacher.bbox_head(teacher_feats)

        student_head = self.student.bbox_head
        if self.student_trainable:
            student_feats = self.student.extract_feat(batch_inputs)
            student_outs = student_head(student_feats)
        else:
            with torch.no_grad():
                student_feats = self.student.extract_feat(batch_inputs)
                student_outs = student_head(student_feats)
        losses, target_records = {}, []
        if self.calculate_student_loss:
            # the head's loss assigns targets once per image; recording those calls gives the distiller the exact
            # positives the loss used without assigning a second time
            with self.distiller.adapter.recording(student_head) as target_records:
                student_losses = student_head.loss_by_feat(*student_outs, batch_gt_instances, batch_img_metas,
                                                           batch_gt_instances_ignore)
            losses.update(add_prefix(student_losses, 'student'))
        if not self.distillation_stopped:
            distill_losses = self.distiller.compute_distill_losses(
                student_head, self.teacher.bbox_head, student_feats, teacher_feats, student_outs, teacher_outs,
                batch_gt_instances, batch_img_metas, batch_gt_instances_ignore, target_records=target_records)
            losses.update(add_prefix(distill_losses, 'distill'))
        return losses
