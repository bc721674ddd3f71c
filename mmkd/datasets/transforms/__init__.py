# Copyright (c) mmkd contributors. All rights reserved.
from .formatting import PackEdgeInputs
from .loading import LoadEdgeAnnotations, load_bsds_boundaries

__all__ = ['PackEdgeInputs', 'LoadEdgeAnnotations', 'load_bsds_boundaries']
