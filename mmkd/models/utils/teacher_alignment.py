# Copyright (c) mmkd contributors. All rights reserved.
import torch.nn.functional as F
from torch import Tensor


def match_teacher_logits(preds_S: Tensor, preds_T: Tensor) -> Tensor:
    """Detach teacher logits and resize them (bilinear) to the student's spatial size; check the class counts."""
    if preds_S.dim() != 4 or preds_T.dim() != 4:
        raise ValueError(f'logits must be [N, C, H, W]; got student {tuple(preds_S.shape)}, teacher '
                         f'{tuple(preds_T.shape)}.')
    if preds_S.shape[:2] != preds_T.shape[:2]:
        raise ValueError(f'student logits {tuple(preds_S.shape)} and teacher logits {tuple(preds_T.shape)} differ in '
                         f'batch size or number of classes (student C={preds_S.shape[1]}, teacher '
                         f'C={preds_T.shape[1]}).')
    preds_T = preds_T.detach()
    if preds_T.shape[2:] != preds_S.shape[2:]:
        preds_T = F.interpolate(preds_T, size=preds_S.shape[2:], mode='bilinear', align_corners=False)
    return preds_T
