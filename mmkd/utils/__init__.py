# Copyright (c) mmkd contributors. All rights reserved.
from .checkpoint import (
                         UnsafeCheckpointError,
                         add_safe_globals,
                         checkpoint_safe_globals,
                         load_local_checkpoint,
                         load_url_checkpoint,
                         safe_torch_load,
)
from .compat import apply_compat
from .setup_env import register_all_modules

__all__ = [
    'UnsafeCheckpointError', 'add_safe_globals', 'checkpoint_safe_globals', 'load_local_checkpoint',
    'load_url_checkpoint', 'safe_torch_load', 'apply_compat', 'register_all_modules'
]
