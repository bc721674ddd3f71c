# Copyright (c) mmkd contributors. All rights reserved.
from .demo import (
                   DISTILL_CONFIGS,
                   STUDENT_CONFIG,
                   TEACHER_CONFIG,
                   count_parameters,
                   demo_stage_config,
                   ensure_synthetic_city,
                   train_and_test,
)

__all__ = [
    'DISTILL_CONFIGS', 'STUDENT_CONFIG', 'TEACHER_CONFIG', 'count_parameters', 'demo_stage_config',
    'ensure_synthetic_city', 'train_and_test'
]
