# Copyright (c) mmkd contributors. All rights reserved.
from .edge_vis_hook import EdgeVisualizationHook

__all__ = ['EdgeVisualizationHook']
