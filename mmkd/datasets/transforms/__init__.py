# Copyright (c) mmkd contributors. All rights reserved.
from .formatting import PackEdgeInputs
from .loading import LoadEdgeAnnotations

__all__ = ['PackEdgeInputs', 'LoadEdgeAnnotations']
