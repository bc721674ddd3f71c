# Copyright (c) mmkd contributors. All rights reserved.
from .trimap_iou_metric import TrimapIoUMetric

__all__ = ['TrimapIoUMetric']
