# Copyright (c) mmkd contributors. All rights reserved.
from .bpkd_body_loss import BPKDBodyLoss  # noqa: F401
from .bpkd_edge_loss import BPKDEdgeLoss  # noqa: F401
