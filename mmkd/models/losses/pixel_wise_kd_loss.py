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
    student's. Unlike SKDS's released code, which sums over the batch, the loss is averaged over the batch so that
    ``loss_weight`` does not depend on the batch size.

    Args:
        tau (float): temperature τ; the loss is multiplied by τ² so that gradients keep their scale. Defaults to 1.0.
        loss_weight (float): λ_pi. Defaults to 10.0 (SKDS).
        divergence (str): ``'ce'`` (cross-entropy) or ``'kl'`` (KL divergence). Defaults to ``'ce'``.
    """

    DIVERGENCES = ('ce', 'kl')

    def __init__(self, tau: float = 1.0, loss_weight: float = 10.0, divergence: str = 'ce') -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'tau must be positive, got {tau}.')
        if divergence not in self.DIVERGENCES:
            raise ValueError(f'divergence must be one of {self.DIVERGENCES}, got {divergence!r}.')
        self.tau = float(tau)
        self.loss_weight = float(loss_weight)
        self.divergence = divergence

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
        return self.loss_weight * self.tau**2 * per_pixel.mean()
