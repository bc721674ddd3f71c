# Copyright (c) mmkd contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.models.utils import align_teacher_features, check_segmentation_labels
from mmkd.registry import MODELS
from .utils import l2_normalize_channels, masked_class_prototypes, resize_labels_nearest


@MODELS.register_module()
class IFVDLoss(nn.Module):
    r"""Intra-class feature variation distillation loss.

    From "Intra-class Feature Variation Distillation for Semantic Segmentation" (Wang et al., ECCV 2020). The
    intra-class feature variation (IFV) of a network is the map of cosine similarities between each pixel's feature
    and the prototype (mean feature) of its ground-truth class; the student's map is pulled onto the teacher's:

    .. math::
        p_{n,k} = \frac{1}{|\Omega_{n,k}|} \sum_{i \in \Omega_{n,k}} f_{n,i},\qquad
        M_{n,i} = \cos\big(f_{n,i},\ p_{n, y_{n,i}}\big)\ (0 \text{ at ignored pixels}),\qquad
        L = \lambda\ \frac{1}{N h w} \sum_{n,i} \big(M^s_{n,i} - M^t_{n,i}\big)^2

    where :math:`\Omega_{n,k}` are the pixels of class k in image n, with labels nearest-resized to the feature map.

    Prototypes are **per image**: the official code (YukangWang/IFVD ``utils/criterion.py`` ``CriterionIFV``, kept
    unchanged in CIRKD's ``losses/ifvd.py``) averages the masked features over the spatial axes only, per sample. As
    there, the mean of the MSE runs over all N·h·w positions, ignored pixels included (they contribute 0), and the
    student's prototypes are not detached (the gradient also flows through them).

    Cosine maps do not depend on the feature width, so student and teacher widths may differ; teacher features of
    another spatial size are resized (bilinear) to the student's.

    Args:
        loss_weight (float): λ_ifv. Defaults to 200.0 (the official IFVD code; CIRKD's scripts use 20).
        num_classes (int): number of classes K; labels other than ``ignore_index`` must lie in ``[0, K)``.
            Defaults to 19 (Cityscapes).
        ignore_index (int): label of ignored pixels. Defaults to 255.
    """

    def __init__(self, loss_weight: float = 200.0, num_classes: int = 19, ignore_index: int = 255) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f'num_classes must be a positive integer, got {num_classes}.')
        if loss_weight < 0:
            raise ValueError(f'loss_weight must be non-negative, got {loss_weight}.')
        self.loss_weight = loss_weight
        self.num_classes = num_classes
        self.ignore_index = ignore_index

    def _variation_map(self, feats: Tensor, labels: Tensor, valid: Tensor) -> Tensor:
        """Cosine similarity of every pixel to its class prototype, [N, h, w]; 0 at ignored pixels."""
        prototypes, _ = masked_class_prototypes(feats, labels, self.num_classes, self.ignore_index)  # [N, K, D]
        class_ids = torch.where(valid, labels, torch.zeros_like(labels)).flatten(1)  # [N, hw]
        pixel_prototypes = prototypes.gather(1, class_ids.unsqueeze(-1).expand(-1, -1, prototypes.shape[-1]))
        pixel_feats = l2_normalize_channels(feats).flatten(2).transpose(1, 2)  # [N, hw, D]
        cosine = (pixel_feats * F.normalize(pixel_prototypes, p=2, dim=-1)).sum(dim=-1)
        return cosine.view_as(labels) * valid.to(cosine.dtype)

    def forward(self, feats_S: Tensor, feats_T: Tensor, gt_labels: Tensor) -> Tensor:
        """Compute the IFV loss.

        Args:
            feats_S (Tensor): student penultimate features [N, D_s, h, w].
            feats_T (Tensor): teacher penultimate features [N, D_t, h', w'] (no gradient; resized to (h, w) if
                needed).
            gt_labels (Tensor): long labels [N, H, W], ``ignore_index`` = ignore.

        Returns:
            Tensor: scalar loss.
        """
        feats_T = align_teacher_features(feats_S, feats_T)
        check_segmentation_labels(gt_labels, self.num_classes, self.ignore_index)
        if gt_labels.shape[0] != feats_S.shape[0]:
            raise ValueError(f'gt_labels batch size {gt_labels.shape[0]} differs from the features\' '
                             f'{feats_S.shape[0]}.')
        labels = resize_labels_nearest(gt_labels, feats_S.shape[2:])
        valid = labels != self.ignore_index
        student_map = self._variation_map(feats_S, labels, valid)
        teacher_map = self._variation_map(feats_T, labels, valid)
        return self.loss_weight * F.mse_loss(student_map, teacher_map)
