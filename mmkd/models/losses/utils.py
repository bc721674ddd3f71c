# Copyright (c) mmkd contributors. All rights reserved.
"""Helpers shared by the feature-distillation losses (IFVD, CIRKD, ...).

Each helper exists once here; losses import them rather than re-implementing label resizing, prototypes or
normalisation. Label-range validation lives in :func:`mmkd.models.utils.check_segmentation_labels`.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def l2_normalize_channels(feats: Tensor, eps: float = 1e-12) -> Tensor:
    """L2-normalise a feature map over its channel axis (dim 1): every pixel embedding gets unit length.

    All-zero pixel vectors stay zero (``eps`` guards the division), so their cosine with anything is 0, not NaN.

    Args:
        feats (Tensor): features [N, D, ...].
        eps (float): lower bound of the norm. Defaults to 1e-12.

    Returns:
        Tensor: same shape as ``feats``.
    """
    return F.normalize(feats, p=2, dim=1, eps=eps)


def resize_labels_nearest(labels: Tensor, size: Sequence[int]) -> Tensor:
    """Resize integer label maps to a feature map's spatial size with nearest-neighbour sampling.

    Nearest sampling never invents labels (no blending of two class ids, ignore stays ignore).

    Args:
        labels (Tensor): integer labels [N, H, W].
        size (Sequence[int]): target (h, w).

    Returns:
        Tensor: long labels [N, h, w].
    """
    if labels.dim() != 3:
        raise ValueError(f'labels must be [N, H, W], got shape {tuple(labels.shape)}.')
    size = tuple(int(s) for s in size)
    if tuple(labels.shape[1:]) == size:
        return labels.long()
    # interpolate has no integer kernel; float32 holds every label id below 2**24 exactly
    resized = F.interpolate(labels.unsqueeze(1).float(), size=size, mode='nearest')
    return resized.squeeze(1).long()


def masked_class_prototypes(feats: Tensor, labels: Tensor, num_classes: int,
                            ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    r"""Per-image class prototypes: the mean feature over each class's pixels.

    .. math::
        p_{n,k} = \frac{\sum_{i} [y_{n,i} = k]\, f_{n,i}}{\max(1, \sum_i [y_{n,i} = k])}

    Classes absent from an image get a zero prototype and count 0. Pixels labelled ``ignore_index`` take part in no
    prototype. Labels must already be at the feature resolution and inside ``[0, num_classes)`` or ``ignore_index``.

    Args:
        feats (Tensor): features [N, D, h, w].
        labels (Tensor): long labels [N, h, w].
        num_classes (int): number of classes K.
        ignore_index (int): the label of ignored pixels. Defaults to 255.

    Returns:
        tuple[Tensor, Tensor]: prototypes [N, K, D] and pixel counts [N, K] (float).
    """
    if labels.shape != (feats.shape[0], *feats.shape[2:]):
        raise ValueError(f'labels {tuple(labels.shape)} do not match features {tuple(feats.shape)}: resize them to '
                         f'the feature map first.')
    valid = (labels != ignore_index).flatten(1)
    class_ids = torch.where(valid, labels.flatten(1), torch.zeros_like(labels.flatten(1)))
    membership = F.one_hot(class_ids, num_classes).to(feats.dtype) * valid.unsqueeze(-1).to(feats.dtype)  # [N,hw,K]
    sums = torch.bmm(membership.transpose(1, 2), feats.flatten(2).transpose(1, 2))  # [N, K, D]
    counts = membership.sum(dim=1)  # [N, K]
    prototypes = sums / counts.clamp(min=1).unsqueeze(-1)
    return prototypes, counts


def temperature_kl(student_logits: Tensor, teacher_logits: Tensor, tau: float = 1.0, dim: int = 1) -> Tensor:
    r"""KL divergence of temperature-softened distributions, summed over ``dim``, at every other position.

    :math:`\mathrm{KL}(\mathrm{softmax}(z^t/\tau) \| \mathrm{softmax}(z^s/\tau))`, computed from log-probabilities
    (stable for large logits); no :math:`\tau^2` factor and no reduction over the remaining axes: callers weight and
    reduce. Gradients flow into both inputs; callers detach the teacher.

    Args:
        student_logits (Tensor): e.g. [N, C, h, w].
        teacher_logits (Tensor): same shape.
        tau (float): temperature. Defaults to 1.0.
        dim (int): the class axis. Defaults to 1.

    Returns:
        Tensor: the input shape without ``dim``.
    """
    log_probs_S = F.log_softmax(student_logits / tau, dim=dim)
    log_probs_T = F.log_softmax(teacher_logits / tau, dim=dim)
    return (log_probs_T.exp() * (log_probs_T - log_probs_S)).sum(dim=dim)
