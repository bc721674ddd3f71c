# Copyright (c) mmkd contributors. All rights reserved.
"""Does a checkpoint fit a model? Load a teacher checkpoint only when it does, and say loudly when it does not.

mmengine's ``load_checkpoint`` loads whatever keys happen to match and reports the rest as a plain print (a teacher
loaded by mmrazor) or a warning: a file with unrelated keys, a checkpoint of another width, or a distillation
checkpoint (keys ``architecture.*`` / ``teacher.*``) all leave a *random* teacher that trains to the end. Here the
model's state (parameters and buffers, BatchNorm's ``num_batches_tracked`` aside) is compared with the checkpoint's:

- **missing**: model entries the checkpoint lacks;
- **mismatched**: entries whose shapes differ (they cannot be loaded).

The fraction ``(missing + mismatched) / model entries`` above ``tolerance`` is an error naming the file, both counts
and a few names. A distillation checkpoint is recognised by its prefixes: the candidate key sets (as stored,
``teacher.`` stripped, ``architecture.`` stripped) are compared and the one that fits best is loaded, with an info line
naming the prefix.

All loading goes through mmengine's ``CheckpointLoader`` (so URLs download as usual and :mod:`mmkd.utils.compat`'s
``weights_only=True`` allow-list applies) and messages through mmengine's logger, i.e. into the work-dir log.
"""
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import load_state_dict
from torch import nn

#: prefixes of a distillation checkpoint (mmrazor's ``SingleTeacherDistill``): teacher first, then student
DISTILL_PREFIXES = ('teacher.', 'architecture.')
#: how many key names an error lists per kind
NAMES_SHOWN = 5


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model it is loaded into (above the tolerance)."""


@dataclass
class CheckpointFit:
    """How a state dict fits a model: the entries the model has, and which of them cannot be loaded."""
    total: int
    missing: List[str] = field(default_factory=list)
    mismatched: List[Tuple[str, tuple, tuple]] = field(default_factory=list)  # (name, checkpoint, model shape)
    unexpected: List[str] = field(default_factory=list)

    @property
    def bad(self) -> int:
        return len(self.missing) + len(self.mismatched)

    @property
    def bad_fraction(self) -> float:
        return self.bad / max(self.total, 1)

    def describe(self) -> str:
        """'12 of 40 parameters missing (e.g. a, b), 3 with another shape (e.g. c: checkpoint [..] vs model [..])'."""
        parts = []
        if self.missing:
            parts.append(f'{len(self.missing)} of {self.total} parameters/buffers missing from the checkpoint '
                         f'(e.g. {", ".join(self.missing[:NAMES_SHOWN])})')
        if self.mismatched:
            examples = ', '.join(f'{name}: checkpoint {list(ckpt)} vs model {list(model)}'
                                 for name, ckpt, model in self.mismatched[:NAMES_SHOWN])
            parts.append(f'{len(self.mismatched)} with another shape (e.g. {examples})')
        if self.unexpected:
            parts.append(f'{len(self.unexpected)} checkpoint entries the model does not have '
                         f'(e.g. {", ".join(self.unexpected[:NAMES_SHOWN])})')
        return '; '.join(parts) if parts else 'all parameters fit'


def _counted(name: str) -> bool:
    return not name.endswith('num_batches_tracked')


def checkpoint_fit(model: nn.Module, state_dict: Dict[str, torch.Tensor]) -> CheckpointFit:
    """Compare ``state_dict`` with ``model.state_dict()`` (names and shapes; ``num_batches_tracked`` ignored).

    Args:
        model (nn.Module): the model to load into.
        state_dict (dict[str, Tensor]): the checkpoint's weights.

    Returns:
        CheckpointFit: counts and names.
    """
    own = {name: tensor for name, tensor in model.state_dict().items() if _counted(name)}
    fit = CheckpointFit(total=len(own))
    for name, tensor in own.items():
        if name not in state_dict:
            fit.missing.append(name)
        elif hasattr(state_dict[name], 'shape') and tuple(state_dict[name].shape) != tuple(tensor.shape):
            fit.mismatched.append((name, tuple(state_dict[name].shape), tuple(tensor.shape)))
    fit.unexpected = [name for name in state_dict if name not in own and _counted(name)]
    return fit


def state_dict_of(checkpoint) -> Dict[str, torch.Tensor]:
    """The weights of a loaded checkpoint: its ``state_dict`` (or ``model``) entry, else the checkpoint itself."""
    if isinstance(checkpoint, dict):
        for key in ('state_dict', 'model'):
            if isinstance(checkpoint.get(key), dict):
                checkpoint = checkpoint[key]
                break
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(f'the checkpoint holds a {type(checkpoint).__name__}, not a dict of weights')
    # DataParallel / DDP checkpoints
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v) for k, v in checkpoint.items())


def best_fitting_state_dict(model: nn.Module, state_dict: Dict[str, torch.Tensor]
                            ) -> Tuple[Optional[str], Dict[str, torch.Tensor], CheckpointFit]:
    """Of the candidates (as stored, ``teacher.`` stripped, ``architecture.`` stripped), the one that fits best.

    Returns:
        tuple: (the stripped prefix or None, the state dict, its :class:`CheckpointFit`).
    """
    candidates = [(None, state_dict)]
    for prefix in DISTILL_PREFIXES:
        stripped = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items() if k.startswith(prefix))
        if stripped:
            candidates.append((prefix, stripped))
    best = None
    for prefix, candidate in candidates:
        fit = checkpoint_fit(model, candidate)
        if best is None or fit.bad < best[2].bad:
            best = (prefix, candidate, fit)
    return best


def load_checked_checkpoint(model: nn.Module, filename: str, tolerance: float = 0.01, role: str = 'teacher',
                            key: str = 'teacher_ckpt', strict: bool = True) -> CheckpointFit:
    """Load ``filename`` into ``model`` if it fits (see the module docstring).

    Args:
        model (nn.Module): the model (e.g. the teacher).
        filename (str): checkpoint path or URL (anything mmengine's ``CheckpointLoader`` reads).
        tolerance (float): largest fraction of the model's entries that may be missing or mismatched. Defaults to
            0.01.
        role (str): what the model is, for messages. Defaults to 'teacher'.
        key (str): the config key that named the file, for messages. Defaults to 'teacher_ckpt'.
        strict (bool): raise :class:`CheckpointMismatchError` above the tolerance; else log a WARNING and load what
            fits. Defaults to True.

    Returns:
        CheckpointFit: how the loaded weights fit.
    """
    checkpoint = CheckpointLoader.load_checkpoint(filename, map_location='cpu', logger='current')
    try:
        state_dict = state_dict_of(checkpoint)
    except CheckpointMismatchError as error:
        raise CheckpointMismatchError(f'{key} {filename!r}: {error}.') from None
    prefix, state_dict, fit = best_fitting_state_dict(model, state_dict)
    if prefix is not None:
        print_log(f'{key} {filename!r} is a distillation checkpoint: loading its {prefix!r} weights into the '
                  f'{role} (prefix stripped).', logger='current', level=logging.INFO)
    if fit.bad_fraction > tolerance:
        message = (f'{key} {filename!r} does not fit the {role} {type(model).__name__}: {fit.describe()}. '
                   f'{fit.bad} of {fit.total} ({fit.bad_fraction:.1%}) cannot be loaded, above the tolerance of '
                   f'{tolerance:.1%}. Check that the file is this {role}\'s checkpoint (same architecture, width and '
                   f'classes).')
        if strict:
            raise CheckpointMismatchError(message)
        print_log(message, logger='current', level=logging.WARNING)
    elif fit.bad or fit.unexpected:
        print_log(f'{key} {filename!r} loaded into the {role} with differences: {fit.describe()}.',
                  logger='current', level=logging.WARNING)
    mismatched = {name for name, _, _ in fit.mismatched}
    load_state_dict(model, OrderedDict((k, v) for k, v in state_dict.items() if k not in mismatched),
                    strict=False, logger='current')
    return fit
