# Copyright (c) mmkd contributors. All rights reserved.
"""Timing for the benchmarks: functions called in turn, so that load drift on a shared machine hits all alike."""
import time
from typing import Callable, Dict, List


def time_round_robin(step_fns: Dict[str, Callable[[int], None]], steps: int,
                     warmup: int = 2) -> Dict[str, List[float]]:
    """Wall seconds of every timed call of each function; within each round every function is called once, in turn.

    Args:
        step_fns (dict[str, Callable[[int], None]]): name → function of the step index.
        steps (int): timed rounds.
        warmup (int): untimed rounds first. Defaults to 2.

    Returns:
        dict[str, list[float]]: name → ``steps`` durations (report medians or quartiles, never one call).
    """
    if steps < 1 or warmup < 0:
        raise ValueError(f'time_round_robin: steps must be >= 1 and warmup >= 0, got steps={steps}, warmup={warmup}')
    times: Dict[str, List[float]] = {name: [] for name in step_fns}
    for step in range(warmup + steps):
        for name, step_fn in step_fns.items():
            start = time.perf_counter()
            step_fn(step)
            if step >= warmup:
                times[name].append(time.perf_counter() - start)
    return times
