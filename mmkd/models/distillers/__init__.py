# Copyright (c) mmkd contributors. All rights reserved.
from .dense_detection_distiller import DenseDetectionDistiller  # noqa: F401
from .multi_term_distiller import MultiTermDistiller  # noqa: F401
