# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmrazor.models.utils import add_prefix
from torch import Tensor, nn

from mmkd.models.distillers import DenseDetectionDistiller
from mmkd.models.utils.optional_mmdet import require_mmdet
from mmkd.registry import MODELS
from .checked_single_teacher_distill import CheckedSingleTeacherDistill


def image_normalisation(preprocessor: Optional[nn.Module]) -> Tuple[Tensor, Tensor, bool, float]:
    """(mean [C, 1, 1], std [C, 1, 1], channel flip, pad value) of an mmengine ``ImgDataPreprocessor`` (mean 0 and
    std 1 when it does not normalise)."""
    if preprocessor is None or not hasattr(preprocessor, '_channel_conversion'):
        raise TypeError(f'DenseDetectorDistill: expected an mmengine ImgDataPreprocessor (mmdet DetDataPreprocessor), '
                        f'got {type(preprocessor).__name__}.')
    if preprocessor._enable_normalize:
        mean, std = preprocessor.mean.detach().float().cpu(), preprocessor.std.detach().float().cpu()
    else:
        mean, std = torch.zeros(3, 1, 1), torch.ones(3, 1, 1)
    return mean, std, bool(preprocessor._channel_conversion), float(preprocessor.pad_value)


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

    Teacher and student may normalise images differently (FCOS's released R50 teacher is caffe-style: BGR, mean
    subtracted, std 1; its R18 student PyTorch-style: RGB, ImageNet mean and std). The batch is preprocessed once, by
    the student's (the algorithm's) data preprocessor; when the teacher's own preprocessor differs, the teacher gets
    the same images in its normalisation, x_t = (flip(x_s · σ_s + μ_s) − μ_t) / σ_t
    (flip: the channel order, when exactly one of them converts BGR↔RGB), and outside every image's ``img_shape``
    (the batch padding) the teacher's pad value, i.e. what the teacher's own preprocessor would give.

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
        require_mmdet(type(self).__name__)  # before the detectors' configs are built
        if kwargs.get('teacher_trainable', False):
            raise ValueError('DenseDetectorDistill: teacher_trainable=True is not supported; the teacher runs under '
                             'no_grad (its outputs are targets).')
        super().__init__(distiller=distiller, teacher=teacher, teacher_ckpt=teacher_ckpt, **kwargs)
        if not isinstance(self.distiller, DenseDetectionDistiller):
            raise TypeError(f'DenseDetectorDistill needs distiller=dict(type=\'mmkd.DenseDetectionDistiller\', ...), '
                            f'got {type(self.distiller).__name__}.')
        self._teacher_renorm: Optional[dict] = None  # found on the first step (buffers may be on 'meta' at build)

    def _renormalisation(self) -> dict:
        """Both preprocessors' normalisations, and whether the teacher's differs (computed once)."""
        if self._teacher_renorm is None:
            student = image_normalisation(self.data_preprocessor)
            teacher = image_normalisation(getattr(self.teacher, 'data_preprocessor', None))
            same = all(torch.equal(a, b) for a, b in zip(student[:2], teacher[:2])) and student[2:] == teacher[2:]
            self._teacher_renorm = dict(same=same, student=student, teacher=teacher)
        return self._teacher_renorm

    def teacher_inputs(self, batch_inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """The batch in the teacher's normalisation (see the class docstring); the batch itself when both are equal.

        Args:
            batch_inputs (Tensor): images preprocessed by the student's preprocessor [N, 3, H, W].
            batch_img_metas (list[dict]): their metas (``img_shape``).

        Returns:
            Tensor: [N, 3, H, W].
        """
        renorm = self._renormalisation()
        if renorm['same']:
            return batch_inputs
        (mean_s, std_s, flip_s, _), (mean_t, std_t, flip_t, pad_t) = renorm['student'], renorm['teacher']
        to = dict(device=batch_inputs.device, dtype=batch_inputs.dtype)
        raw = batch_inputs * std_s.to(**to) + mean_s.to(**to)  # the student's channel order
        if flip_s != flip_t:
            raw = raw.flip(1)
        inputs = (raw - mean_t.to(**to)) / std_t.to(**to)
        padded = torch.ones(inputs.shape[0], 1, *inputs.shape[2:], dtype=torch.bool, device=inputs.device)
        for image, meta in enumerate(batch_img_metas):
            height, width = meta['img_shape'][:2]
            padded[image, :, :height, :width] = False
        return inputs.masked_fill(padded, pad_t)

    def loss(self, batch_inputs: Tensor, data_samples: Optional[List] = None) -> Dict[str, Tensor]:
        """Student task losses (prefixed ``student.``) and distillation losses (``distill.``).

        Args:
            batch_inputs (Tensor): preprocessed images [N, 3, H, W].
            data_samples (list[DetDataSample]): with ``gt_instances`` (``bboxes`` [G, 4], ``labels`` [G]).

        Returns:
            dict[str, Tensor]: the losses.
        """
        from mmdet.models.utils import unpack_gt_instances

        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = unpack_gt_instances(data_samples)
        with torch.no_grad():
            teacher_feats = self.teacher.extract_feat(self.teacher_inputs(batch_inputs, batch_img_metas))
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
