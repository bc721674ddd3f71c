# Copyright (c) mmkd contributors. All rights reserved.
from .titled_seg_visualizer import TitledSegLocalVisualizer, put_title, with_title_band

__all__ = ['TitledSegLocalVisualizer', 'put_title', 'with_title_band']
