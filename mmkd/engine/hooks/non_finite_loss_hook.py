# Copyright (c) mmkd contributors. All rights reserved.
"""Stop training on a NaN or infinite loss, naming the loss term and the iteration."""
import math
from typing import Optional, Sequence

from mmengine.hooks import Hook

from mmkd.registry import HOOKS


class NonFiniteLossError(FloatingPointError):
    """A loss term was NaN or infinite."""


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` when any logged loss term of a training iteration is NaN or +-Inf.

    mmengine sums the terms, steps the optimiser and logs ``nan``; the run continues with broken weights (a NaN in a
    distillation term is easy to miss among the student's). The hook reads the iteration's log variables (floats the
    model's ``parse_losses`` already computed, so it costs no extra synchronisation) and names every non-finite term
    (``distill.loss_cwd``, ``student.decode.loss_ce``, ...) and the iteration.

    Args:
        interval (int): Check every ``interval`` iterations. Defaults to 1.

    ``tools/train.py`` adds this hook to every run.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, interval: int = 1) -> None:
        if interval < 1:
            raise ValueError(f'NonFiniteLossHook: interval must be >= 1, got {interval}.')
        self.interval = interval

    def after_train_iter(self, runner, batch_idx: int, data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        bad = {}
        for name, value in outputs.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(number):
                bad[name] = number
        if bad:
            terms = ', '.join(f'{name} = {value}' for name, value in bad.items())
            raise NonFiniteLossError(
                f'Non-finite loss at iteration {runner.iter + 1} (epoch {runner.epoch + 1}): {terms}. Training '
                f'stopped. Common causes: a learning rate too high, a loss weight too large, log/division of zero '
                f'inside the named loss, or labels outside the classes.')
