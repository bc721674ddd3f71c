# Copyright (c) mmkd contributors. All rights reserved.
"""Exact resume: checkpoints carry the random number generators' states, and resuming restores them."""
import random
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from mmkd.registry import HOOKS

#: key of the states in ``checkpoint['meta']``
META_KEY = 'rng_states'


def rng_states() -> Dict[str, Any]:
    """The global generators' states: torch (CPU, and every CUDA device when present), numpy, python."""
    states = dict(torch=torch.get_rng_state(), numpy=np.random.get_state(), python=random.getstate())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: Dict[str, Any]) -> None:
    """Restore what :func:`rng_states` returned."""
    torch.set_rng_state(states['torch'])
    np.random.set_state(tuple(states['numpy']) if isinstance(states['numpy'], list) else states['numpy'])
    python = states['python']
    random.setstate((python[0], tuple(python[1]), python[2]))
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


def _sampler_seed(runner) -> Optional[int]:
    loader = getattr(runner, '_train_dataloader', None)
    sampler = getattr(loader, 'sampler', None)
    return getattr(sampler, 'seed', None)


class _RestoreBeforeFetch:
    """Stands in for an iteration loop's dataloader iterator: after ``skip`` batches (mmengine's fast-forward past the
    data already trained on) it restores the generators, puts the real iterator back and fetches the next batch."""

    def __init__(self, loop: IterBasedTrainLoop, skip: int, states: Dict[str, Any]) -> None:
        self.loop, self.iterator, self.skip, self.states, self.calls = loop, loop.dataloader_iterator, skip, states, 0

    def __iter__(self) -> '_RestoreBeforeFetch':
        return self

    def __next__(self):
        if self.calls == self.skip:
            set_rng_states(self.states)
            self.loop.dataloader_iterator = self.iterator
        self.calls += 1
        return next(self.iterator)

    def __getattr__(self, name: str):
        return getattr(self.iterator, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the torch / numpy / python RNG states (and the train sampler's seed) in checkpoints; restore on resume.

    mmengine re-seeds on resume but does not restore the generators, so everything random after the resumed iteration
    (Dropout2d in every mmseg head, random crops and flips when ``num_workers=0``) draws other numbers than the
    uninterrupted run: the losses differ from the first resumed iteration on. With this hook they are identical.

    When the states are restored: the checkpoint was written after iteration ``i``'s update, and iteration ``i + 1``
    starts by fetching a batch. An iteration-based loop first fast-forwards its dataloader past the ``i`` batches
    already used (which runs the data pipeline, i.e. draws numbers), so the states are restored after that, just
    before batch ``i + 1`` is fetched; an epoch-based loop restores them when the resumed epoch begins. Validation
    during training leaves the generators as it found them (states saved at ``before_val``, restored at
    ``after_val``): otherwise a run that validated before a checkpoint's successor iteration would differ from a
    resumed one, which does not validate there.

    With ``num_workers > 0`` the workers' generators are seeded by mmengine from the seed and replay the same draws;
    the sampler must have the same seed as the checkpointed run (``tools/train.py --resume`` reads it from the
    checkpoint); a different seed is a WARNING naming both.

    Distributed runs: checkpoints are written by rank 0, so every rank resumes with rank 0's states (the main
    processes' draws, e.g. Dropout masks, are then the same on all ranks; exact per-rank resume would need one
    state per rank in the checkpoint).

    ``tools/train.py`` adds this hook to every run.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[Dict[str, Any]] = None
        self._pending_iter = 0
        self._val_states: Optional[Dict[str, Any]] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.setdefault('meta', {})
        meta[META_KEY] = rng_states()
        meta['sampler_seed'] = _sampler_seed(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {}) or {}
        if META_KEY not in meta:
            return
        # after_load_checkpoint also runs for `load_from` (weights only); the states apply only to a resumed run,
        # which is known once the loop has taken the checkpoint's iteration (see before_train)
        self._pending = meta[META_KEY]
        self._pending_iter = meta.get('iter', 0)
        self._pending_epoch = meta.get('epoch', 0)
        saved_seed, current_seed = meta.get('sampler_seed'), _sampler_seed(runner)
        if saved_seed is not None and current_seed is not None and saved_seed != current_seed:
            print_log(f'Resume is not exact: the train sampler has seed {current_seed}, the checkpoint\'s run had '
                      f'{saved_seed} (the data order differs). Set randomness=dict(seed={saved_seed}) or use '
                      f'tools/train.py --resume, which does.', logger='current', level='WARNING')

    def before_train(self, runner) -> None:
        states, self._pending = self._pending, None
        if states is None or runner.iter == 0 or runner.iter != self._pending_iter:
            return  # nothing resumed (load_from, or a checkpoint without states)
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop):
            loop.dataloader_iterator = _RestoreBeforeFetch(loop, runner.iter, states)
        else:
            self._epoch_states = states
        print_log(f'RNG states of iteration {runner.iter} restored from the checkpoint (exact resume).',
                  logger='current')

    def before_train_epoch(self, runner) -> None:
        states = getattr(self, '_epoch_states', None)
        if states is not None:
            self._epoch_states = None
            set_rng_states(states)

    def before_val(self, runner) -> None:
        self._val_states = rng_states()

    def after_val(self, runner) -> None:
        if self._val_states is not None:
            set_rng_states(self._val_states)
            self._val_states = None
