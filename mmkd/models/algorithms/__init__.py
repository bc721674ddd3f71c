# Copyright (c) mmkd contributors. All rights reserved.
from .adversarial_single_teacher_distill import AdversarialSingleTeacherDistill
from .checked_single_teacher_distill import CheckedSingleTeacherDistill, num_predicted_classes
from .dense_detector_distill import DenseDetectorDistill

__all__ = [
    'AdversarialSingleTeacherDistill', 'CheckedSingleTeacherDistill', 'DenseDetectorDistill', 'num_predicted_classes'
]
