# Copyright (c) mmkd contributors. All rights reserved.
from .projection_head_connector import ProjectionHeadConnector

__all__ = ['ProjectionHeadConnector']
