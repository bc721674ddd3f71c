# Copyright (c) mmkd contributors. All rights reserved.
from .adversarial_kd_loss import AdversarialKDLoss  # noqa: F401
from .bpkd_body_loss import BPKDBodyLoss  # noqa: F401
from .bpkd_edge_loss import BPKDEdgeLoss  # noqa: F401
from .bpkd_loss import BPKDLoss  # noqa: F401
from .cirkd_memory_loss import CIRKDMemoryLoss  # noqa: F401
from .cirkd_minibatch_loss import CIRKDMiniBatchLoss  # noqa: F401
from .edge_kd_loss import EdgeKDLoss  # noqa: F401
from .ifvd_loss import IFVDLoss  # noqa: F401
from .pair_wise_kd_loss import PairWiseKDLoss  # noqa: F401
from .pfi_loss import PFILoss  # noqa: F401
from .pixel_wise_kd_loss import PixelWiseKDLoss  # noqa: F401
from .rank_mimicking_loss import RankMimickingLoss  # noqa: F401
from .sigmoid_soft_label_kd_loss import SigmoidSoftLabelKDLoss  # noqa: F401
from .solov2_instance_mask_distill_loss import SOLOv2InstanceMaskDistillLoss  # noqa: F401
from .weighted_edge_bce_loss import WeightedEdgeBCELoss  # noqa: F401
