# Copyright (c) mmkd contributors. All rights reserved.
"""Instance-mask logits of SOLOv2's positive grid cells, for teacher and student, with their GT instance masks.

SOLOv2 (Wang et al., "SOLOv2: Dynamic and Fast Instance Segmentation", NeurIPS 2020) predicts, for every cell of an
S x S grid per FPN level, a dynamic kernel; convolving the shared mask feature map with the kernel of a cell gives that
cell's instance-mask logits. During training mmdet's ``SOLOV2Head`` assigns GT instances to cells
(``_get_targets_single``: centre region of each instance, on the level its scale belongs to) and applies its dice loss
to the mask logits of the positive cells only. The functions here rebuild exactly those logits and targets outside
the head, so that a distillation loss can compare teacher and student mask logits cell by cell (used by
:class:`mmkd.SOLOv2InstanceMaskDistillLoss`):

- the *student's* assignment decides the positive cells (it is the student's dice loss that KD complements);
- the *teacher's* kernels at the same cells convolve the teacher's own mask features, so teacher and student mask
  features may differ in width (SOLOv2-X101-DCN: 256, SOLOv2-Light: 128); their grids must be the same.
"""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

# A list of (level, image index, cell indices) for every (level, image) that has positive cells; level-major, as in
# mmdet's SOLOV2Head.loss_by_feat, so logits and targets concatenate in the order the head's dice loss sees them.
PositiveCells = List[Tuple[int, int, List[int]]]

def dynamic_conv_size(kernel_channels: int, mask_channels: int) -> int:
    """Side k of SOLOv2's dynamic kernels, from the kernel branch width E = D * k * k and the mask feature width D."""
    size = math.isqrt(kernel_channels // mask_channels) if kernel_channels % mask_channels == 0 else 0
    if size < 1 or size * size * mask_channels != kernel_channels:
        raise ValueError(f'kernel predictions have {kernel_channels} channels, which is not mask_feats width '
                         f'{mask_channels} x k x k for any k: pass the kernel and mask-feature outputs of the same '
                         f'SOLOv2 head.')
    return size


@torch.no_grad()
def solov2_positive_targets(head: torch.nn.Module, batch_gt_instances: Sequence,
                            featmap_size: Sequence[int]) -> Tuple[PositiveCells, Tensor]:
    """The positive cells of a SOLOv2 head's own assignment and their GT instance masks.

    Calls the head's ``_get_targets_single`` (mmdet 3.3.0 ``SOLOV2Head``: scale ranges, ``pos_scale``, centre region,
    ``mmcv.imrescale`` of the mask to the mask-feature resolution) for every image, as ``loss_by_feat`` does.

    Args:
        head (nn.Module): the student's ``SOLOV2Head``.
        batch_gt_instances (Sequence[InstanceData]): the ``batch_gt_instances`` the head's ``loss_by_feat`` received
            (``labels``, ``bboxes``, ``masks`` padded to the batch input shape).
        featmap_size (Sequence[int]): (h, w) of the mask features.

    Returns:
        tuple[PositiveCells, Tensor]: the positive cells and their targets [P, h, w] (long, 1 = instance,
        0 = background), P = number of positive cells in the batch. No cache: a loss that needs them for several
        terms (``mmkd.BPKDLoss`` inside ``mmkd.SOLOv2InstanceMaskDistillLoss``) is called once per step.
    """
    featmap_size = tuple(int(s) for s in featmap_size)
    per_image = [head._get_targets_single(gt, featmap_sizes=featmap_size) for gt in batch_gt_instances]
    positives: PositiveCells = []
    targets = []
    for level in range(len(head.num_grids)):
        for image, (mask_targets, _, _, pos_indexes) in enumerate(per_image):
            if len(pos_indexes[level]) > 0:
                positives.append((level, image, list(pos_indexes[level])))
                targets.append(mask_targets[level])
    if targets:
        targets = torch.cat(targets).long()
    else:
        device = batch_gt_instances[0].labels.device if batch_gt_instances else 'cpu'
        targets = torch.zeros((0, *featmap_size), dtype=torch.long, device=device)
    return positives, targets


def solov2_mask_logits(mlvl_kernel_preds: Sequence[Tensor], mask_feats: Tensor, positives: PositiveCells) -> Tensor:
    r"""Instance-mask logits of the given cells: the cell's dynamic kernel convolved with the image's mask features.

    .. math:: z_p = \theta_{l,n,s} * F_n,\qquad \theta_{l,n,s} \in \mathbb{R}^{D \times k \times k},\
              F_n \in \mathbb{R}^{D \times h \times w}

    for the p-th positive cell s of level l in image n (k = 1 in every mmdet SOLOv2 config). Same computation as
    ``SOLOV2Head.loss_by_feat`` (stride 1, no padding), so for the student's own cells the result equals the logits
    its dice loss receives (tested).

    Args:
        mlvl_kernel_preds (Sequence[Tensor]): per level [N, D * k * k, S_l, S_l].
        mask_feats (Tensor): [N, D, h, w].
        positives (PositiveCells): from :func:`solov2_positive_targets`.

    Returns:
        Tensor: [P, h', w'] logits (h' = h - k + 1), with gradient to both inputs.
    """
    num_channels = mask_feats.shape[1]
    size = dynamic_conv_size(mlvl_kernel_preds[0].shape[1], num_channels)
    logits = []
    for level, image, cells in positives:
        kernels = mlvl_kernel_preds[level][image].flatten(1)[:, cells]  # [D*k*k, P_cells]
        kernels = kernels.t().reshape(len(cells), num_channels, size, size)
        logits.append(F.conv2d(mask_feats[image:image + 1], kernels).squeeze(0))
    if not logits:
        return mask_feats.new_zeros((0, mask_feats.shape[2] - size + 1, mask_feats.shape[3] - size + 1))
    return torch.cat(logits)


def binary_to_two_class_logits(mask_logits: Tensor) -> Tensor:
    r"""Two-class logits [P, 2, h, w] whose softmax over the class axis is (1 - sigmoid(z), sigmoid(z)).

    .. math:: (-z / 2,\ z / 2):\qquad \mathrm{softmax}(-z/2, z/2)_1 = \frac{1}{1 + e^{-z}} = \sigma(z)

    SOLOv2's mask logits z [P, h, w] are per-pixel Bernoulli logits (sigmoid + dice loss); this form lets the
    softmax-based segmentation KD losses (BPKD edge/body, CWD) treat each positive cell's mask as a 2-class
    (background / instance) map. The symmetric form keeps both channels informative for CWD, which softmaxes each
    channel over positions: channel 1 is z / 2, channel 0 its negation.

    Args:
        mask_logits (Tensor): [P, h, w].

    Returns:
        Tensor: [P, 2, h, w].
    """
    half = mask_logits.unsqueeze(1) / 2
    return torch.cat([-half, half], dim=1)
