# Copyright (c) mmkd contributors. All rights reserved.
from .checked_single_teacher_distill import CheckedSingleTeacherDistill, num_predicted_classes

__all__ = ['CheckedSingleTeacherDistill', 'num_predicted_classes']
