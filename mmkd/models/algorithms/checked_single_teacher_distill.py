# Copyright (c) mmkd contributors. All rights reserved.
import os.path as osp
from typing import Any, Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmrazor.models import SingleTeacherDistill
from mmrazor.registry import MODELS as RAZOR_MODELS

from mmkd.registry import MODELS
from mmkd.utils.checkpoint_fit import load_checked_checkpoint
from mmkd.utils.model_config import build_model_from_cfg_path, is_plain_cfg_path
from ..utils.model_values import model_values, num_predicted_classes, resolve_model_references
from ..utils.optional_mmdet import require_mmdet

__all__ = ['CheckedSingleTeacherDistill', 'num_predicted_classes']


def _is_local_path(path: str) -> bool:
    return '://' not in path


def _build_model(cfg: Union[dict, BaseModel], where: str) -> BaseModel:
    """A model config (``type=...``, ``cfg_path='pkg::...'`` or a plain ``cfg_path`` file) or a built model."""
    if not isinstance(cfg, dict):
        return cfg
    try:
        if is_plain_cfg_path(cfg):
            return build_model_from_cfg_path(cfg, where)
        return RAZOR_MODELS.build(cfg)
    except (KeyError, ImportError):
        # Without mmdet, a detector fails on mmengine's lookup ("SOLOv2 is not in the mmengine::model registry"):
        # name what to install instead.
        if _model_scope(cfg) == 'mmdet':
            require_mmdet(f'CheckedSingleTeacherDistill ({where} is an mmdet model)')
        raise


def _model_scope(cfg: dict) -> Optional[str]:
    """The registry scope a model config builds in: its config file's ``default_scope`` (``cfg_path``), else the
    ``_scope_`` key or the ``scope.`` prefix of its ``type``; None when it names none."""
    if 'cfg_path' in cfg:
        from mmengine.config import Config
        from mmengine.hub import get_config
        path = cfg['cfg_path']
        try:
            file_cfg = get_config(path) if '::' in path else Config.fromfile(path)
        except Exception:  # an unreadable file is not what this check is about: the original error is raised
            return None
        return file_cfg.get('default_scope', None)
    obj_type = cfg.get('type', '')
    if cfg.get('_scope_'):
        return cfg['_scope_']
    return obj_type.partition('.')[0] if isinstance(obj_type, str) and '.' in obj_type else None


def preprocessor_differences(first: torch.nn.Module, second: torch.nn.Module) -> List[str]:
    """What differs between two data preprocessors: their type, their plain settings and their buffers.

    Returns:
        list[str]: ``'name: first vs second'`` per difference (empty when they do the same).
    """
    if type(first) is not type(second):
        return [f'type: {type(first).__name__} vs {type(second).__name__}']
    differences = []
    skipped = {'training'}
    for name in sorted(set(vars(first)) | set(vars(second))):
        if name.startswith('_') or name in skipped:
            continue
        a, b = getattr(first, name, None), getattr(second, name, None)
        if isinstance(a, (torch.nn.Module, torch.Tensor)) or isinstance(b, (torch.nn.Module, torch.Tensor)):
            continue
        try:
            equal = bool(a == b)
        except Exception:  # values that do not compare (arrays, ...): compare their text
            equal = repr(a) == repr(b)
        if not equal:
            differences.append(f'{name}: {a!r} vs {b!r}')
    buffers_a, buffers_b = dict(first.named_buffers()), dict(second.named_buffers())
    for name in sorted(set(buffers_a) | set(buffers_b)):
        a, b = buffers_a.get(name), buffers_b.get(name)
        if a is None or b is None or a.shape != b.shape or not torch.equal(a, b):
            differences.append(f'{name}: {None if a is None else a.flatten().tolist()} vs '
                               f'{None if b is None else b.flatten().tolist()}')
    return differences


@MODELS.register_module()
class CheckedSingleTeacherDistill(SingleTeacherDistill):
    """mmrazor's :class:`~mmrazor.models.SingleTeacherDistill`, plus the checks a user needs before a long run.

    mmrazor builds the teacher and loads ``teacher_ckpt`` but checks nothing else. This class fails at build time,
    before training starts, when:

    - ``teacher_ckpt`` is a local path that does not exist (the error names the path);
    - teacher and student predict different numbers of classes (the error names both): distillation losses on logits
      compare class channels one to one;
    - ``teacher_ckpt`` does not fit the teacher: more than ``teacher_ckpt_tolerance`` of the teacher's parameters
      missing from it or of another shape (the error names the file, the counts and a few names;
      :mod:`mmkd.utils.checkpoint_fit`). mmengine would load the few matching keys, print the rest and train with a
      random teacher. A distillation checkpoint (``teacher.*`` / ``architecture.*`` keys) is recognised and its
      prefix stripped, with an info line in the log;
    - a ``data_preprocessor`` given to the algorithm differs from the student's. mmengine's Runner passes the
      config's top-level ``data_preprocessor`` (often left over from an mmseg base, e.g. ``size=(512, 1024)``) into
      the model config, and mmrazor would use it instead of the student's: every crop padded to another size. An
      identical one is dropped; the algorithm always preprocesses as the student does.

    ``architecture`` and ``teacher`` may be given as ``dict(cfg_path=...)`` with a ``package::`` config (mmrazor's
    way) or a plain config file (:mod:`mmkd.utils.model_config`).

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
        teacher_ckpt_tolerance (float): largest fraction of the teacher's parameters and buffers that may be missing
            from ``teacher_ckpt`` or of another shape. Defaults to 0.01.
        **kwargs: the remaining ``SingleTeacherDistill`` arguments (``architecture``, ``teacher_trainable``, ...).
    """

    def __init__(self, distiller: dict, teacher: Union[BaseModel, Dict], teacher_ckpt: Optional[str] = None,
                 teacher_ckpt_tolerance: float = 0.01, **kwargs) -> None:
        if teacher_ckpt and _is_local_path(teacher_ckpt) and not osp.isfile(osp.expanduser(teacher_ckpt)):
            raise FileNotFoundError(
                f'teacher_ckpt {teacher_ckpt!r} does not exist. Train the teacher first or point `teacher_ckpt` in '
                f'the config (or --cfg-options model.teacher_ckpt=...) at its checkpoint.')
        # Build both models first (as mmrazor would, in its registry) so that the distiller can read their values.
        if 'architecture' in kwargs:
            kwargs['architecture'] = _build_model(kwargs['architecture'], 'model.architecture')
        teacher = _build_model(teacher, 'model.teacher')
        given_preprocessor = kwargs.pop('data_preprocessor', None)
        self._model_values = model_values(kwargs.get('architecture'), teacher)
        distiller = self.resolve_model_references(distiller, 'model.distiller')
        # The teacher checkpoint is loaded below, checked; mmrazor would load it unchecked.
        super().__init__(distiller=distiller, teacher=teacher, teacher_ckpt=None, **kwargs)
        self._check_data_preprocessor(given_preprocessor)
        if teacher_ckpt:
            load_checked_checkpoint(self.teacher, teacher_ckpt, tolerance=teacher_ckpt_tolerance)
            self.teacher._is_init = True  # as mmrazor: init_weights must not overwrite the loaded teacher
        teacher_classes = num_predicted_classes(self.teacher)
        student_classes = num_predicted_classes(self.student)
        if teacher_classes is not None and student_classes is not None and teacher_classes != student_classes:
            raise ValueError(
                f'Teacher and student predict different numbers of classes: teacher '
                f'{type(self.teacher).__name__} has num_classes={teacher_classes}, student '
                f'{type(self.student).__name__} has num_classes={student_classes}. Distillation on logits needs the '
                f'same classes in the same order.')

    def _check_data_preprocessor(self, given: Union[None, dict, torch.nn.Module]) -> None:
        """A ``data_preprocessor`` given to the algorithm must do what the student's does (it is not used)."""
        if given is None:
            return
        student_preprocessor = self.student.data_preprocessor
        if isinstance(given, dict):
            # a dict without `_scope_` is built in the scope of the student's preprocessor (its package)
            given = RAZOR_MODELS.build(
                dict(given, _scope_=given.get('_scope_') or type(student_preprocessor).__module__.split('.')[0]))
        differences = preprocessor_differences(given, student_preprocessor)
        if differences:
            raise ValueError(
                'model.data_preprocessor differs from the student\'s (model.architecture) data_preprocessor: '
                f'{"; ".join(differences)} (given vs student). mmengine\'s Runner passes the config\'s top-level '
                '`data_preprocessor` into the distillation model, often one left over from an mmseg/mmdet base. '
                'The algorithm preprocesses as the student does: remove the top-level one (`data_preprocessor = '
                'None` in the config), or change the student\'s.')

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
