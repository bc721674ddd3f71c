# Copyright (c) mmkd contributors. All rights reserved.
import os.path as osp
from typing import Any, Dict, Optional, Union

from mmengine.model import BaseModel
from mmrazor.models import SingleTeacherDistill
from mmrazor.registry import MODELS as RAZOR_MODELS

from mmkd.registry import MODELS
from ..utils.model_values import model_values, num_predicted_classes, resolve_model_references

__all__ = ['CheckedSingleTeacherDistill', 'num_predicted_classes']


def _is_local_path(path: str) -> bool:
    return '://' not in path


@MODELS.register_module()
class CheckedSingleTeacherDistill(SingleTeacherDistill):
    """mmrazor's :class:`~mmrazor.models.SingleTeacherDistill`, plus the checks a user needs before a long run.

    mmrazor builds the teacher and loads ``teacher_ckpt`` but checks nothing else. This class fails at build time,
    before training starts, when:

    - ``teacher_ckpt`` is a local path that does not exist (the error names the path);
    - teacher and student predict different numbers of classes (the error names both): distillation losses on logits
      compare class channels one to one.

    It also keeps a frozen teacher (``teacher_trainable=False``) entirely in eval mode while the student trains.
    mmrazor only switches the teacher's BatchNorm layers to eval, which leaves its dropout (e.g. the 0.1 Dropout2d
    before every mmseg ``conv_seg``) active, so the teacher's logits and features would be randomly masked.

    Student and teacher are built before the distiller, so that the distiller config can read what the models know
    instead of retyping it per pair: model references such as ``'@student.num_classes'`` or
    ``'@teacher.feat_channels'`` anywhere in ``distiller`` are replaced by the built models' values (see
    :mod:`mmkd.models.utils.model_values`; an unknown reference is a build-time error). Subclasses resolve their own
    configs with :meth:`resolve_model_references`.

    Everything else (recorders, distiller, loss flow, teacher in eval/no_grad) is mmrazor's. All arguments are those of
    ``SingleTeacherDistill``; the teacher checkpoint goes through mmengine's ``CheckpointLoader``, which
    :mod:`mmkd.utils.compat` makes load with ``weights_only=True``.

    Args:
        distiller (dict): the distiller config (e.g. mmrazor's ``ConfigurableDistiller``).
        teacher (dict | BaseModel): teacher config or model.
        teacher_ckpt (str, optional): teacher checkpoint (path or URL). Defaults to None.
        **kwargs: the remaining ``SingleTeacherDistill`` arguments (``architecture``, ``teacher_trainable``, ...).
    """

    def __init__(self, distiller: dict, teacher: Union[BaseModel, Dict], teacher_ckpt: Optional[str] = None,
                 **kwargs) -> None:
        if teacher_ckpt and _is_local_path(teacher_ckpt) and not osp.isfile(osp.expanduser(teacher_ckpt)):
            raise FileNotFoundError(
                f'teacher_ckpt {teacher_ckpt!r} does not exist. Train the teacher first or point `teacher_ckpt` in '
                f'the config (or --cfg-options model.teacher_ckpt=...) at its checkpoint.')
        # Build both models first (as mmrazor would, in its registry) so that the distiller can read their values.
        if isinstance(kwargs.get('architecture'), dict):
            kwargs['architecture'] = RAZOR_MODELS.build(kwargs['architecture'])
        if isinstance(teacher, dict):
            teacher = RAZOR_MODELS.build(teacher)
        self._model_values = model_values(kwargs.get('architecture'), teacher)
        distiller = self.resolve_model_references(distiller, 'model.distiller')
        super().__init__(distiller=distiller, teacher=teacher, teacher_ckpt=teacher_ckpt, **kwargs)
        teacher_classes = num_predicted_classes(self.teacher)
        student_classes = num_predicted_classes(self.student)
        if teacher_classes is not None and student_classes is not None and teacher_classes != student_classes:
            raise ValueError(
                f'Teacher and student predict different numbers of classes: teacher '
                f'{type(self.teacher).__name__} has num_classes={teacher_classes}, student '
                f'{type(self.student).__name__} has num_classes={student_classes}. Distillation on logits needs the '
                f'same classes in the same order.')

    def resolve_model_references(self, cfg: Any, where: str) -> Any:
        """``cfg`` with its model references (``'@student.num_classes'``, ...) replaced by the built models' values.

        Args:
            cfg (Any): a config to be built after the models (a distiller, a discriminator, ...).
            where (str): its key in the model config, named by the error of an unknown reference.
        """
        return resolve_model_references(cfg, self._model_values, where)

    def train(self, mode: bool = True) -> 'CheckedSingleTeacherDistill':
        """Set train/eval mode; a frozen teacher always stays in eval mode (no dropout, fixed BN statistics)."""
        super().train(mode)
        if mode and not self.teacher_trainable:
            self.teacher.eval()
        return self
