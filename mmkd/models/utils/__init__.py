# Copyright (c) mmkd contributors. All rights reserved.
from .boundary_mask import band_kernel_passes, bpkd_edge_mask, check_segmentation_labels, class_boundary_mask
from .teacher_alignment import align_teacher_features, match_teacher_logits

__all__ = [
    'band_kernel_passes', 'bpkd_edge_mask', 'check_segmentation_labels', 'class_boundary_mask', 'match_teacher_logits',
    'align_teacher_features'
]
