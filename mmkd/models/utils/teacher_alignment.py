# Copyright (c) mmkd contributors. All rights reserved.
"""Bringing teacher outputs to the student's shape: detach, check, resize. Shared by every distillation loss."""
import torch.nn.functional as F
from torch import Tensor


def match_teacher_logits(preds_S: Tensor, preds_T: Tensor) -> Tensor:
    """Detach teacher logits and resize them (bilinear) to the student's spatial size; check the class counts."""
    if preds_S.dim() == 4 and preds_T.dim() == 4 and preds_S.shape[1] != preds_T.shape[1]:
        raise ValueError(f'student logits {tuple(preds_S.shape)} and teacher logits {tuple(preds_T.shape)} differ in '
                         f'the number of classes (student C={preds_S.shape[1]}, teacher C={preds_T.shape[1]}).')
    return align_teacher_features(preds_S, preds_T)


def align_teacher_features(feats_S: Tensor, feats_T: Tensor, same_width: bool = False) -> Tensor:
    """Detach teacher features and resize them (bilinear) to the student's spatial size.

    Args:
        feats_S (Tensor): student features [N, D_s, h, w].
        feats_T (Tensor): teacher features [N, D_t, h', w'].
        same_width (bool): require D_s == D_t (raise a ValueError naming both otherwise). Defaults to False.

    Returns:
        Tensor: teacher features [N, D_t, h, w], without gradient.
    """
    if feats_S.dim() != 4 or feats_T.dim() != 4:
        raise ValueError(f'features must be [N, D, H, W]; got student {tuple(feats_S.shape)}, teacher '
                         f'{tuple(feats_T.shape)}.')
    if feats_S.shape[0] != feats_T.shape[0]:
        raise ValueError(f'student and teacher batch sizes differ: {feats_S.shape[0]} vs {feats_T.shape[0]}.')
    if same_width and feats_S.shape[1] != feats_T.shape[1]:
        raise ValueError(f'student feature width D_s={feats_S.shape[1]} differs from teacher width '
                         f'D_t={feats_T.shape[1]}: project the student features to the teacher width first (e.g. a '
                         f'`mmkd.ProjectionHeadConnector` in the distiller\'s `connectors`).')
    feats_T = feats_T.detach()
    if feats_T.shape[2:] != feats_S.shape[2:]:
        feats_T = F.interpolate(feats_T, size=feats_S.shape[2:], mode='bilinear', align_corners=False)
    return feats_T
