# Copyright (c) mmkd contributors. All rights reserved.
from .bsds_ground_truth import load_bsds_boundaries
from .edge_eval import COUNT_COLUMNS, edge_thresholds, evaluate_edge_image, summarize_edge_results
from .edge_matching import EdgeMatcher, match_edges
from .edge_nms import conv_tri, edge_nms, edge_orientation
from .edge_thinning import thin_edges, thin_nested_edges

__all__ = [
    'COUNT_COLUMNS', 'EdgeMatcher', 'conv_tri', 'edge_nms', 'edge_orientation', 'edge_thresholds',
    'evaluate_edge_image', 'load_bsds_boundaries', 'match_edges', 'summarize_edge_results', 'thin_edges',
    'thin_nested_edges'
]
