# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, Optional, Sequence, Union

import torch.nn as nn
from torch import Tensor

from mmkd.models.utils import band_kernel_passes, bpkd_edge_mask, match_teacher_logits
from mmkd.registry import MODELS
from .bpkd_body_loss import BPKDBodyLoss
from .bpkd_edge_loss import BPKDEdgeLoss


@MODELS.register_module()
class BPKDLoss(nn.Module):
    r"""BPKD: edge and body distillation on the logits, from one ground-truth edge mask per step.

    "BPKD: Boundary Privileged Knowledge Distillation for Semantic Segmentation" (Liu et al., WACV 2024), Fig. 3:

    .. math::
        M_E = \mathrm{avgpool}(\mathrm{dilate}_k(\mathrm{onehot}(y)) - \mathrm{erode}_k(\mathrm{onehot}(y)))
              \in [0, 1]^{N \times C \times h \times w},\qquad M_B = (1 - M_E) \odot V

        L = \{\text{edge}: L_E(Z^s, Z^t; M_E),\ \text{body}: L_B(Z^s, Z^t; M_B)\}

    with :math:`L_E` :class:`~mmkd.models.losses.BPKDEdgeLoss` and :math:`L_B`
    :class:`~mmkd.models.losses.BPKDBodyLoss`. The mask parameters (``edge_width``, ``compute_iters``,
    ``ignore_index``) exist once, here, and the mask (:func:`mmkd.models.utils.bpkd_edge_mask`) is computed once per
    call, outside autograd, and handed to both terms: the terms cannot use different masks and no global state is
    needed.

    Returns a dict of the two weighted terms; :class:`mmkd.MultiTermDistiller` logs them as
    ``<loss name>_edge`` / ``<loss name>_body`` (mmrazor's ``ConfigurableDistiller`` accepts only one tensor per
    loss). Defaults are the reconstructed "paper settings" of the only public re-implementation
    (configs/bpkd/README.md).

    Args:
        edge_width (int): odd kernel size k of the band at label resolution. Defaults to 7 (radius 3).
        compute_iters (int, optional): split the band's max pooling into this many passes (same mask, less memory;
            BPKD supplementary, Sec. 2). Defaults to None (one pass).
        ignore_index (int): label of ignored pixels. Defaults to 255.
        edge_tau (float): temperature T of the edge KL. Defaults to 4.0.
        class_weights (float | Sequence[float]): α of the edge term, scalar or one per class. Defaults to 2.0.
        edge_weight (float): λ_edge. Defaults to 50.0.
        edge_reduction (str): ``'mean'`` (the supplementary's "average reduction") or ``'class_sum'`` (per-class
            normalised sum of a third-party re-implementation). Defaults to ``'mean'``.
        body_tau (float): CWD temperature τ of the body term. Defaults to 4.0.
        body_weight (float): λ_body. Defaults to 20.0.
        body_softmax (str): ``'zeroed'`` (CWD on M_B-multiplied logits, the public re-implementation) or
            ``'masked'`` (softmax over body cells only). Defaults to ``'zeroed'``.
    """

    term_names = ('edge', 'body')

    def __init__(self,
                 edge_width: int = 7,
                 compute_iters: Optional[int] = None,
                 ignore_index: int = 255,
                 edge_tau: float = 4.0,
                 class_weights: Union[float, Sequence[float]] = 2.0,
                 edge_weight: float = 50.0,
                 edge_reduction: str = 'mean',
                 body_tau: float = 4.0,
                 body_weight: float = 20.0,
                 body_softmax: str = 'zeroed') -> None:
        super().__init__()
        band_kernel_passes(edge_width, compute_iters)  # validates both now rather than at the first step
        self.edge_width = edge_width
        self.compute_iters = compute_iters
        self.ignore_index = ignore_index
        self.edge = BPKDEdgeLoss(tau=edge_tau, class_weights=class_weights, loss_weight=edge_weight,
                                 reduction=edge_reduction)
        self.body = BPKDBodyLoss(tau=body_tau, loss_weight=body_weight, softmax=body_softmax)

    def masks(self, gt_labels: Tensor, num_classes: int, out_size: Sequence[int]) -> Dict[str, Tensor]:
        """The step's edge mask M_E and body mask M_B [N, C, h, w] (labels [N, H, W] → logit size (h, w))."""
        edge_mask, valid = bpkd_edge_mask(gt_labels, num_classes, tuple(out_size), self.edge_width, self.ignore_index,
                                          self.compute_iters)
        return dict(edge=edge_mask, body=(1 - edge_mask) * valid)

    def forward(self, preds_S: Tensor, preds_T: Tensor, gt_labels: Tensor) -> Dict[str, Tensor]:
        """Compute both terms.

        Args:
            preds_S (Tensor): student logits [N, C, h, w].
            preds_T (Tensor): teacher logits [N, C, h', w'] (resized to (h, w) if different; no gradient).
            gt_labels (Tensor): labels [N, H, W] (``ignore_index`` = ignore), e.g. recorded from the student's
                ``decode_head.loss_decode`` input 1.

        Returns:
            dict[str, Tensor]: ``edge`` and ``body``, scalar weighted losses.
        """
        preds_T = match_teacher_logits(preds_S, preds_T)
        masks = self.masks(gt_labels, preds_S.shape[1], preds_S.shape[2:])
        return dict(edge=self.edge(preds_S, preds_T, masks['edge']), body=self.body(preds_S, preds_T, masks['body']))
