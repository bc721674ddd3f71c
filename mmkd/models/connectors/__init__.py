# Copyright (c) mmkd contributors. All rights reserved.
from .gap_linear_connector import GAPLinearConnector
from .projection_head_connector import ProjectionHeadConnector

__all__ = ['GAPLinearConnector', 'ProjectionHeadConnector']
