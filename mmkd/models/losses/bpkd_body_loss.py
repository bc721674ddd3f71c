# Copyright (c) mmkd contributors. All rights reserved.
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmrazor.models.losses import ChannelWiseDivergence
from torch import Tensor

BODY_SOFTMAX = ('zeroed', 'masked')


class BPKDBodyLoss(nn.Module):
    r"""BPKD's body term: channel-wise distillation on the logits inside object bodies, given the body mask.

    From "BPKD: Boundary Privileged Knowledge Distillation for Semantic Segmentation" (Liu et al., WACV 2024): the
    body term "attends to inner-semantic regions". Reconstructed (no official training code) as channel-wise
    distillation (CWD, Shu et al., ICCV 2021) restricted to the body mask

    .. math::
        M_B = (1 - M_E) \odot V

    where :math:`M_E` is the soft edge mask and :math:`V` marks logit cells that see at least one non-ignored pixel.
    A term of :class:`mmkd.BPKDLoss`, which computes the mask once per step and passes :math:`M_B` here (not
    registered: it has no mask parameters of its own). Two forms of the per-channel softmax over positions:

    - ``'zeroed'``: the only public re-implementation, mmrazor's ``ChannelWiseDivergence`` on
      :math:`Z \odot M_B`, i.e. for every (n, c) :math:`p = \mathrm{softmax}_{hw}(Z \odot M_B / \tau)`. Edge cells
      get logit 0 for teacher and student but still take part in the softmax (they carry mass
      :math:`e^0 / \sum`, which differs between the two), so the term also distils the normaliser at cells it
      meant to drop;
    - ``'masked'``: the softmax over body cells only, weighted by the soft mask,
      :math:`p_i = M_{B,i}\, e^{Z_i/\tau} / \sum_j M_{B,j}\, e^{Z_j/\tau}` (edge cells excluded; a binary mask gives
      the plain softmax over the body cells). A channel with no body cell contributes 0.

    Both then take :math:`L_B = \lambda\,\tau^2 \frac{1}{NC} \sum_{n,c} \mathrm{KL}(p^t_{n,c} \| p^s_{n,c})`,
    CWD's normalisation.

    Scale against mmrazor's CWD setting (τ = 1, λ = 5): the τ² factor alone makes τ = 4, λ = 20 worth 64x that
    weighting of the same KL, and the KL of τ-softened distributions is smaller, so the net ratio depends on the
    logits: on the CPU demo's batches the body term is 7.4x mmrazor's CWD for the student at initialisation and
    3.4x for a trained one (``benchmarks/seg_kd.py``; configs/bpkd/README.md).

    Args:
        tau (float): CWD temperature τ. Defaults to 4.0 (reconstructed).
        loss_weight (float): λ_body. Defaults to 20.0 (reconstructed).
        softmax (str): ``'zeroed'`` or ``'masked'`` (see above). Defaults to ``'zeroed'``.
    """

    def __init__(self, tau: float = 4.0, loss_weight: float = 20.0, softmax: str = 'zeroed') -> None:
        super().__init__()
        if tau <= 0:
            raise ValueError(f'BPKD body term: tau must be positive, got {tau}.')
        if softmax not in BODY_SOFTMAX:
            raise ValueError(f'BPKD body term: body_softmax must be one of {BODY_SOFTMAX}, got {softmax!r}.')
        self.tau = tau
        self.loss_weight = loss_weight
        self.softmax = softmax
        self.cwd = ChannelWiseDivergence(tau=tau, loss_weight=loss_weight)

    def forward(self, preds_S: Tensor, preds_T: Tensor, body_mask: Tensor) -> Tensor:
        """Compute the body term.

        Args:
            preds_S (Tensor): student logits [N, C, h, w].
            preds_T (Tensor): teacher logits [N, C, h, w], already resized and detached.
            body_mask (Tensor): M_B [N, C, h, w] in [0, 1], no gradient.

        Returns:
            Tensor: scalar loss.
        """
        body_mask = body_mask.to(preds_S.dtype)
        if self.softmax == 'zeroed':
            return self.cwd(preds_S * body_mask, preds_T * body_mask)
        N, C = preds_S.shape[:2]
        weights = body_mask.flatten(2)  # [N, C, hw]
        inside = weights > 0
        # log M_B inside, a finite "minus infinity" outside: exp() gives exactly 0 there and no NaN appears
        # (a true -inf would make (log p_t - log p_s) = -inf + inf = NaN at excluded cells, also in the backward)
        outside_value = torch.finfo(preds_S.dtype).min / 4
        log_weights = torch.where(inside, weights.clamp(min=torch.finfo(preds_S.dtype).tiny).log(),
                                  torch.full_like(weights, outside_value))
        log_probs_S = F.log_softmax(preds_S.flatten(2) / self.tau + log_weights, dim=2)
        log_probs_T = F.log_softmax(preds_T.flatten(2) / self.tau + log_weights, dim=2)
        kl = torch.where(inside, log_probs_T.exp() * (log_probs_T - log_probs_S), torch.zeros_like(weights))
        # a channel with no body cell: every cell is "outside", its softmax is uniform over them, masked out above
        return self.loss_weight * self.tau**2 * kl.sum() / (N * C)
