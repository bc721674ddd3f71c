# Copyright (c) mmkd contributors. All rights reserved.
import inspect
from typing import Dict, Sequence, Union

import torch
import torch.nn as nn
from torch import Tensor

from mmkd.models.utils import (
    align_teacher_features,
    binary_to_two_class_logits,
    solov2_mask_logits,
    solov2_positive_targets,
)
from mmkd.models.utils.optional_mmdet import require_mmdet
from mmkd.registry import MODELS


@MODELS.register_module()
class SOLOv2InstanceMaskDistillLoss(nn.Module):
    r"""A dense segmentation KD loss applied to SOLOv2's instance-mask logits of the student's positive grid cells.

    Reconstructed design (the BPKD paper, Liu et al., WACV 2024, reports SOLOv2-X101-DCN → SOLOv2-Light-R18 on COCO
    in its supplementary Table 4 but describes no instance-segmentation variant and ships no training code). SOLOv2
    (Wang et al., NeurIPS 2020) has no per-pixel class map; its dense per-instance prediction is the mask of each
    positive grid cell. For every cell p the student's assignment marks positive (cell s of level l in image n; see
    :mod:`mmkd.models.utils.solov2_instance_masks`):

    .. math::
        z^s_p = \theta^s_{l,n,s} * F^s_n,\qquad z^t_p = \theta^t_{l,n,s} * F^t_n,\qquad
        Z_p = (-z_p / 2,\ z_p / 2) \in \mathbb{R}^{2 \times h \times w}

        L = \mathrm{loss}(Z^s, Z^t[, y])

    where :math:`\theta` are the dynamic kernels, :math:`F` the mask features (stride 4), ``softmax(Z_p)`` the
    per-pixel Bernoulli distribution (background, instance), and y [P, h, w] the GT mask of the instance matched to
    the cell, as the student's dice loss sees it (``0`` background, ``1`` instance). ``loss`` is any segmentation KD
    loss on logits [N, C, h, w] with N = P cells and C = 2 classes: ``mmkd.BPKDLoss`` (edge and body terms from one
    mask: the band around the matched instance's contour, from :func:`mmkd.models.utils.class_boundary_mask`; the
    positive cells are then found once for both terms), or ``mmrazor.ChannelWiseDivergence``. Labels are passed when
    the inner loss's ``forward`` takes ``gt_labels``. A dict-valued inner loss (``BPKDLoss``: ``edge``, ``body``) is
    returned as a dict, logged per term by :class:`mmkd.MultiTermDistiller`. A batch without positive cells gives 0
    (connected to the student's graph; one 0 per term of a dict-valued loss), not NaN.

    Teacher and student must have the same grids (``num_grids``); their mask-feature widths may differ. The teacher's
    logits are computed without gradient.

    Args:
        loss (dict): config of the inner loss, e.g. ``dict(type='mmkd.BPKDLoss', edge_width=3)``.
    """

    def __init__(self, loss: dict) -> None:
        super().__init__()
        require_mmdet(type(self).__name__)
        if not isinstance(loss, dict) or 'type' not in loss:
            raise TypeError(f'loss must be a loss config dict with a `type`, got {loss!r}.')
        self.loss = MODELS.build(loss)
        self.with_labels = 'gt_labels' in inspect.signature(self.loss.forward).parameters

    def forward(self, head_S: nn.Module, kernel_preds_S: Sequence[Tensor], mask_feats_S: Tensor,
                batch_gt_instances: Sequence, kernel_preds_T: Sequence[Tensor],
                mask_feats_T: Tensor) -> Union[Tensor, Dict[str, Tensor]]:
        """Compute the loss on the positive cells of the student's assignment.

        All inputs are the arguments of ``SOLOV2Head.loss_by_feat`` (recorder ``mmkd.BoundMethodInputs``).

        Args:
            head_S (nn.Module): the student's ``SOLOV2Head`` (its own assignment picks the cells).
            kernel_preds_S (Sequence[Tensor]): student kernels per level [N, D_s * k * k, S_l, S_l].
            mask_feats_S (Tensor): student mask features [N, D_s, h, w].
            batch_gt_instances (Sequence[InstanceData]): the student's GT instances (masks padded to the batch).
            kernel_preds_T (Sequence[Tensor]): teacher kernels per level [N, D_t * k * k, S_l, S_l].
            mask_feats_T (Tensor): teacher mask features [N, D_t, h_t, w_t] (logits resized to (h, w) if different).

        Returns:
            Tensor | dict[str, Tensor]: the inner loss's value (scalar, or a dict of scalar terms).
        """
        from mmdet.models.dense_heads import SOLOV2Head

        if not isinstance(head_S, SOLOV2Head):
            raise TypeError(f'head_S must be the student\'s mmdet SOLOV2Head (data_idx=0 of a mmkd.BoundMethodInputs '
                            f'recorder on SOLOV2Head.loss_by_feat), got {type(head_S).__name__}.')
        self._check_same_grids(kernel_preds_S, kernel_preds_T, mask_feats_S, mask_feats_T)
        positives, targets = solov2_positive_targets(head_S, batch_gt_instances, mask_feats_S.shape[2:])
        if not positives:
            zero = mask_feats_S.sum() * 0 + sum(kernels.sum() for kernels in kernel_preds_S) * 0
            term_names = getattr(self.loss, 'term_names', None)  # a multi-term loss: the same keys as usual
            return {name: zero for name in term_names} if term_names else zero
        logits_S = solov2_mask_logits(kernel_preds_S, mask_feats_S, positives).unsqueeze(1)
        with torch.no_grad():
            logits_T = solov2_mask_logits(kernel_preds_T, mask_feats_T, positives).unsqueeze(1)
        logits_T = align_teacher_features(logits_S, logits_T)
        preds_S = binary_to_two_class_logits(logits_S.squeeze(1))
        preds_T = binary_to_two_class_logits(logits_T.squeeze(1))
        if self.with_labels:
            return self.loss(preds_S, preds_T, targets)
        return self.loss(preds_S, preds_T)

    @staticmethod
    def _check_same_grids(kernel_preds_S: Sequence[Tensor], kernel_preds_T: Sequence[Tensor], mask_feats_S: Tensor,
                          mask_feats_T: Tensor) -> None:
        grids_S = [tuple(kernels.shape[2:]) for kernels in kernel_preds_S]
        grids_T = [tuple(kernels.shape[2:]) for kernels in kernel_preds_T]
        if grids_S != grids_T:
            raise ValueError(f'teacher and student SOLOv2 heads have different grids (num_grids): student {grids_S}, '
                             f'teacher {grids_T}. The teacher\'s kernels are read at the student\'s positive cells, so '
                             f'both heads need the same num_grids.')
        if mask_feats_S.shape[0] != mask_feats_T.shape[0]:
            raise ValueError(f'student and teacher batch sizes differ: {mask_feats_S.shape[0]} vs '
                             f'{mask_feats_T.shape[0]}.')
