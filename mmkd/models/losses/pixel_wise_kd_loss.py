# Copyright (c) mmkd contributors. All rights reserved.
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.models.utils import match_teacher_logits
from mmkd.registry import MODELS
from .utils import temperature_kl


@MODELS.register_module()
class PixelWiseKDLoss(nn.Module):
    r"""Pixel-wise distillation: per-pixel soft cross-entropy between teacher and student class distributions.

    The pixel-wise term of "Structured Knowledge Distillation for Semantic Segmentation" (Liu et al., CVPR 2019), also
    the logit-KD term of IFVD (Wang et al., ECCV 2020) and CIRKD (Yang et al., CVPR 2022). For logits
    :math:`Z^s, Z^t \in \mathbb{R}^{N \times C \times h \times w}`, :math:`q^t = \mathrm{softmax}(Z^t/\tau)` and
    :math:`q^s = \mathrm{softmax}(Z^s/\tau)` over the class axis:

    .. math::
        L_{pi} = \lambda\,\tau^2\,\frac{1}{N}\sum_{n=1}^{N}\frac{1}{hw}\sum_{i=1}^{hw} D(q^t_{n,i}, q^s_{n,i})

    with :math:`D = \mathrm{CE}(q^t, q^s) = -\sum_c q^t_c \log q^s_c` (``divergence='ce'``, the default: the form of
    SKDS's released code) or :math:`D = \mathrm{KL}(q^t \| q^s) = \mathrm{CE}(q^t, q^s) - H(q^t)`
    (``divergence='kl'``, the paper's notation and CIRKD's re-implementation). The two differ by the teacher entropy
    :math:`H(q^t)`, which does not depend on the student, so both give the same gradient; only the logged value
    differs (CE never reaches 0 for a soft teacher, KL is 0 when the distributions match).

    Teacher logits are detached and, if their spatial size differs, resized (bilinear, ``align_corners=False``) to the
    student's.

    How the per-pixel divergences are reduced (``reduction``), for a batch of N images of C classes at h×w:

    - ``'mean'`` (default): the formula above, Σ over pixels / (N·h·w); the loss does not depend on the batch size;
    - ``'batch_sum'``: Σ over pixels / (h·w), summed (not averaged) over the N images, as SKDS's released code
      (``CriterionPixelWise``: the sum over the whole batch divided by h·w), i.e. N × ``'mean'``;
    - ``'element_mean'``: Σ / (N·C·h·w), the mean over all elements of ``nn.KLDivLoss()`` (its default ``'mean'``
      reduction) that IFVD's released code (``CriterionKD``) uses, i.e. ``'mean'`` / C; C is read from the logits,
      so a config needs no class count.

    With ``'mean'`` a weight λ' = λ·N₀ gives exactly the released SKDS loss of a batch of N₀ images (λ = 10, N₀ = 8
    there: λ' = 80), and keeps that ratio to the (batch-mean) task loss whatever the per-GPU batch of a row.

    Args:
        tau (float): temperature τ; the loss is multiplied by τ² so that gradients keep their scale. Defaults to 1.0.
        loss_weight (float): λ_pi. Defaults to 10.0 (SKDS's λ_pi; with ``'mean'`` SKDS's row uses 80, see above).
        divergence (str): ``'ce'`` (cross-entropy) or ``'kl'`` (KL divergence). Defaults to ``'ce'``.
        reduction (str): ``'mean'``, ``'batch_sum'`` or ``'element_mean'`` (see above). Defaults to ``'mean'``.
    """

    DIVERGENCES = ('ce', 'kl')
    REDUCTIONS = ('mean', 'batch_sum', 'element_mean')

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 10.0,
                 divergence: str = 'ce',
                 reduction: str = 'mean') -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}.')
        if divergence not in self.DIVERGENCES:
            raise ValueError(f'divergence must be one of {self.DIVERGENCES}, got {divergence!r}.')
        if reduction not in self.REDUCTIONS:
            raise ValueError(f'reduction must be one of {self.REDUCTIONS}, got {reduction!r}.')
        self.tau = float(tau)
        self.loss_weight = float(loss_weight)
        self.divergence = divergence
        self.reduction = reduction

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the pixel-wise loss.

        Args:
            preds_S (Tensor): student logits [N, C, h, w].
            preds_T (Tensor): teacher logits [N, C, h', w'] (resized to (h, w) if different; no gradient).

        Returns:
            Tensor: scalar loss.
        """
        preds_T = match_teacher_logits(preds_S, preds_T)
        per_pixel = temperature_kl(preds_S, preds_T, self.tau)  # [N, h, w]
        if self.divergence == 'ce':
            # CE = KL + H(teacher); xlogy: 0·log 0 = 0 for classes the teacher rules out entirely
            probs_T = F.softmax(preds_T / self.tau, dim=1)
            per_pixel = per_pixel - probs_T.xlogy(probs_T).sum(dim=1)
        # mean over pixels and images = Σ_pixels / (h·w), averaged over the batch
        loss = per_pixel.mean()
        if self.reduction == 'batch_sum':
            loss = loss * per_pixel.shape[0]
        elif self.reduction == 'element_mean':
            loss = loss / preds_S.shape[1]
        return self.loss_weight * self.tau**2 * loss
