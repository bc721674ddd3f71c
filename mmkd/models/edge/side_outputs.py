# Copyright (c) mmkd contributors. All rights reserved.
"""Side outputs at the input size and their fusion: the part HED and RCF share after their per-stage side maps."""
from typing import List, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def resize_to(logits: Tensor, size: Sequence[int], align_corners: bool = False) -> Tensor:
    """Bilinearly resize a logit map [N, 1, h, w] to ``size`` (H, W); a no-op when it already has that size."""
    if tuple(logits.shape[-2:]) == tuple(size):
        return logits
    return F.interpolate(logits, size=tuple(size), mode='bilinear', align_corners=align_corners)


def fuse_side_outputs(side_logits: List[Tensor], size: Sequence[int], fuse: nn.Module,
                      align_corners: bool = False) -> List[Tensor]:
    """Upsample every side output to the input size and append their fusion (HED/RCF's 1×1 "fuse" conv).

    Args:
        side_logits (list[Tensor]): K side logit maps [N, 1, h_k, w_k] at their stages' resolutions.
        size (Sequence[int]): input size (H, W).
        fuse (nn.Module): maps the K concatenated side outputs [N, K, H, W] to [N, 1, H, W].
        align_corners (bool): of the bilinear upsampling. Defaults to False (half-pixel centres).

    Returns:
        list[Tensor]: K + 1 maps [N, 1, H, W]: the side outputs, then the fused output (last).
    """
    sides = [resize_to(side, size, align_corners) for side in side_logits]
    return sides + [fuse(torch.cat(sides, dim=1))]
