# Copyright (c) mmkd contributors. All rights reserved.
from .bsds import BSDSDataset  # noqa: F401
from .transforms import LoadEdgeAnnotations, PackEdgeInputs  # noqa: F401
