# Copyright (c) mmkd contributors. All rights reserved.
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmrazor.models.distillers import BaseDistiller
from torch import Tensor, nn

from mmkd.models.det_adapters import (
    STEP_INPUTS,
    DenseHeadAdapter,
    DetDistillStepInputs,
    PositiveAssignment,
    build_adapter,
)
from mmkd.models.utils.optional_mmdet import require_mmdet
from mmkd.registry import MODELS

HeadOutputs = Tuple[List[Tensor], ...]


def stat_key(loss_name: str, stat: str) -> str:
    """Log key of a loss's statistic: ``loss_pfi`` + ``delta_p`` → ``pfi.delta_p``. mmengine sums every log entry
    whose key contains ``'loss'`` into the total loss, so the word is removed from the loss name."""
    short = re.sub(r'^loss_|_loss$', '', loss_name)
    return f"{short.replace('loss', 'term')}.{stat}"


@MODELS.register_module()
class DenseDetectionDistiller(BaseDistiller):
    """Distiller for one-stage dense detectors (RetinaNet, FCOS, ATSS, GFL): feeds Rank Mimicking, PFI, soft-label
    and any user loss from the FPN features and head outputs of teacher and student and the student head's own
    assignment.

    "Knowledge Distillation for Object Detection via Rank Mimicking and Prediction-guided Feature Imitation"
    (Li et al., AAAI 2022). mmrazor's ``ConfigurableDistiller`` hands recorded tensors to losses; RM also needs, per
    GT instance, which predictions the head assigned to it, which no recorder holds. This distiller builds per step
    one :class:`~mmkd.models.det_adapters.DetDistillStepInputs` (features, head outputs, GT; the positives from the
    student head's adapter, read from the recorded target computation of its own loss when given, all computed
    lazily) and calls every loss's ``forward_step(inputs)``. A loss declares what it reads in ``step_inputs`` (a
    subset of ``('feats', 'head_outs', 'positives', 'gt')``), which the build-time checks use (FPN widths only when
    a loss reads features). So a new loss, e.g. registered from a user's project with ``custom_imports``, needs no
    change here:

    .. code-block:: python

        @MODELS.register_module()
        class MyLoss(nn.Module):
            step_inputs = frozenset({'feats'})

            def forward_step(self, inputs):  # a Tensor, or {'loss': Tensor, 'stat': detached Tensor, ...}
                return sum((s - t).pow(2).mean() for s, t in zip(inputs.student_feats, inputs.teacher_feats))

    ``forward_step`` returns the loss, or a dict with the loss under ``'loss'`` and detached statistics to log
    (``distill.<name without 'loss'>.<stat>``, e.g. ``distill.pfi.delta_p``: mmengine sums every key that contains
    "loss").

    Teacher and student share priors (checked at build time), so one assignment serves both. Built by
    :class:`~mmkd.DenseDetectorDistill`, which calls :meth:`prepare_from_student` / :meth:`prepare_from_teacher`
    (the checks) and :meth:`compute_distill_losses`.

    Args:
        distill_losses (dict[str, dict]): name → config of a loss with ``step_inputs`` and ``forward_step``
            (``mmkd.RankMimickingLoss``, ``mmkd.PFILoss``, ``mmkd.SigmoidSoftLabelKDLoss`` or a user's).
        adapter (dict | str, optional): the head adapter (a ``TASK_UTILS`` config or registered name, e.g.
            ``dict(type='mmkd.GFLHeadAdapter')`` or a user's adapter for their own head); by default the
            registered adapter of the student head's class. Defaults to None.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
    """

    def __init__(self, distill_losses: Dict[str, dict], adapter: Optional[Union[dict, str]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        require_mmdet(type(self).__name__)
        super().__init__(init_cfg)
        if not distill_losses:
            raise ValueError('DenseDetectionDistiller: distill_losses is empty; give at least one loss, e.g. '
                             "loss_rm=dict(type='mmkd.RankMimickingLoss').")
        self.distill_losses = nn.ModuleDict()
        for name, cfg in distill_losses.items():
            loss = MODELS.build(cfg)
            if not callable(getattr(loss, 'forward_step', None)) or not hasattr(loss, 'step_inputs'):
                raise TypeError(f'DenseDetectionDistiller: distill_losses.{name} is {type(loss).__name__}, which has '
                                f'no step_inputs / forward_step(inputs): supported are mmkd.RankMimickingLoss, '
                                f'mmkd.PFILoss, mmkd.SigmoidSoftLabelKDLoss and losses that declare step_inputs '
                                f'(a subset of {STEP_INPUTS}) and implement forward_step.')
            unknown = set(loss.step_inputs) - set(STEP_INPUTS)
            if unknown:
                raise ValueError(f'DenseDetectionDistiller: distill_losses.{name} ({type(loss).__name__}) declares '
                                 f'step_inputs {sorted(unknown)}; known are {STEP_INPUTS}.')
            self.distill_losses[name] = loss
        self.adapter_cfg = adapter
        self.adapter: Optional[DenseHeadAdapter] = None
        self._student_facts: Optional[dict] = None

    def uses(self, step_input: str) -> bool:
        """Whether some loss reads ``step_input`` (one of ``STEP_INPUTS``)."""
        return any(step_input in loss.step_inputs for loss in self.distill_losses.values())

    def _facts(self, model: nn.Module, side: str) -> dict:
        head = getattr(model, 'bbox_head', None)
        if head is None:
            raise TypeError(f'DenseDetectionDistiller: the {side} {type(model).__name__} has no bbox_head; a '
                            f'one-stage mmdet detector is needed.')
        adapter = build_adapter(self.adapter_cfg, head)
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
        if self.uses('feats') and student['fpn_channels'] != teacher['fpn_channels']:
            raise ValueError(f"A loss reading features (e.g. PFILoss) compares FPN features channel by channel, but "
                             f"the teacher neck has out_channels={teacher['fpn_channels']} and the student neck "
                             f"out_channels={student['fpn_channels']}; give both necks the same width.")

    def assign(self, student_head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]], batch_gt_instances: list,
               batch_img_metas: List[dict], batch_gt_instances_ignore: Optional[list],
               device: torch.device) -> List[PositiveAssignment]:
        """The student head's positives per image (see :mod:`mmkd.models.det_adapters`)."""
        return self.adapter.assign(student_head, featmap_sizes, batch_gt_instances, batch_img_metas,
                                   batch_gt_instances_ignore, device=device)

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
            dict[str, Tensor]: loss name → scalar, plus the losses' detached statistics (see :func:`stat_key`).
        """
        inputs = DetDistillStepInputs(self.adapter, student_head, teacher_head, student_feats, teacher_feats,
                                      student_outs, teacher_outs, batch_gt_instances, batch_img_metas,
                                      batch_gt_instances_ignore, target_records)
        losses = {}
        for name, loss in self.distill_losses.items():
            result = loss.forward_step(inputs)
            if isinstance(result, dict):
                if 'loss' not in result:
                    raise KeyError(f'DenseDetectionDistiller: {type(loss).__name__}.forward_step returned '
                                   f'{sorted(result)} without a "loss" entry.')
                losses[name] = result['loss']
                losses.update({stat_key(name, stat): value.detach() for stat, value in result.items()
                               if stat != 'loss'})
            else:
                losses[name] = result
        return losses
