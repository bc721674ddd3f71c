# Copyright (c) mmkd contributors. All rights reserved.
import os.path as osp
import sys

import pytest

# benchmarks/ is a folder of scripts, not a package: its scripts import timing.py as a sibling.
sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'benchmarks'))
from timing import time_round_robin  # noqa: E402


def test_functions_are_called_in_turn_and_warmup_is_not_timed():
    calls = []
    times = time_round_robin({'a': lambda step: calls.append(('a', step)),
                              'b': lambda step: calls.append(('b', step))}, steps=3, warmup=2)
    assert calls == [(name, step) for step in range(5) for name in ('a', 'b')]
    assert [len(times['a']), len(times['b'])] == [3, 3]
    assert all(t >= 0 for t in times['a'] + times['b'])


def test_bad_counts():
    with pytest.raises(ValueError, match='steps'):
        time_round_robin({'a': lambda step: None}, steps=0)
