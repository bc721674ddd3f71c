# Copyright (c) mmkd contributors. All rights reserved.
from .edge_metric import EdgeMetric
from .trimap_iou_metric import TrimapIoUMetric

__all__ = ['EdgeMetric', 'TrimapIoUMetric']
