# Copyright (c) mmkd contributors. All rights reserved.
from .boundary_mask import band_kernel_passes, bpkd_edge_mask, check_segmentation_labels, class_boundary_mask
from .optional_mmdet import MMDET_REQUIREMENT, MMDetClassAttr, require_mmdet
from .row_banded_inverted_residual import bandable_geometry, banded_block_names, row_banded_forward
from .solov2_instance_masks import (
                                    binary_to_two_class_logits,
                                    dynamic_conv_size,
                                    solov2_mask_logits,
                                    solov2_positive_targets,
)
from .teacher_alignment import align_teacher_features, match_teacher_logits

__all__ = [
    'band_kernel_passes', 'bpkd_edge_mask', 'check_segmentation_labels', 'class_boundary_mask', 'match_teacher_logits',
    'align_teacher_features', 'binary_to_two_class_logits', 'dynamic_conv_size', 'solov2_mask_logits',
    'solov2_positive_targets', 'bandable_geometry', 'banded_block_names', 'row_banded_forward', 'MMDET_REQUIREMENT',
    'MMDetClassAttr', 'require_mmdet'
]
