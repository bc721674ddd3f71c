# Copyright (c) mmkd contributors. All rights reserved.
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runner_setup import load_run_config, prepare_cpu_distributed
from .visualization import *  # noqa: F401,F403

__all__ = ['load_run_config', 'prepare_cpu_distributed']
