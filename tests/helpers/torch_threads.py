# Copyright (c) mmkd contributors. All rights reserved.
"""Run a test module with one intra-op thread.

On the shared 2-core machines, PyTorch's 2-thread pool spins when the other core is busy: a tiny MobileNetV2 forward
took 9 s with 2 threads under load and 0.07 s with 1. Tests of small models lose nothing with one thread.
"""
import pytest
import torch


@pytest.fixture(autouse=True, scope='module')
def one_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
