# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class AdversarialKDLoss(nn.Module):
    r"""Holistic (adversarial) distillation losses: the student's generator term and the discriminator's loss.

    The holistic term of "Structured Knowledge Distillation for Semantic Segmentation" (Liu et al., CVPR 2019): the
    student is a generator whose segmentation score maps should be indistinguishable, to a discriminator D, from the
    teacher's. With :math:`s^t = D(Z^t)` ("real") and :math:`s^s = D(Z^s)` ("fake") score maps, every mean taken over
    all score-map elements of the batch:

    - generator (student) term, the same for both types: :math:`L_G = -\lambda_G\,\overline{s^s}`;
    - discriminator, ``adv_type='wgan-gp'`` (Gulrajani et al., NeurIPS 2017):
      :math:`L_D = \lambda_D\,(\overline{s^s} - \overline{s^t})` plus the gradient penalty
      :math:`L_{GP} = \lambda_D\,\lambda_{GP}\,\frac{1}{N}\sum_n (\lVert\nabla_{\hat x_n} \textstyle\sum D(\hat x_n)
      \rVert_2 - 1)^2` on :math:`\hat x = \alpha Z^t + (1-\alpha) Z^s`, :math:`\alpha \sim U(0, 1)` per image;
    - discriminator, ``adv_type='hinge'`` (Lim & Ye, 2017; Miyato et al., ICLR 2018):
      :math:`L_D = \lambda_D\,(\overline{\max(0, 1 - s^t)} + \overline{\max(0, 1 + s^s)})`, no penalty.

    Both sides are weighted here so that a config holds every adversarial hyper-parameter in one place. ``forward``
    is the generator term, so the module can also be used as an ordinary loss on discriminator scores.

    The weights of the released codes: SKDS's (irfanICMLL/structure_knowledge_distillation) multiplies the generator
    term, the discriminator loss and the penalty all by its one ``lambda_d = 0.1`` (λ_G = λ_D = 0.1, λ_GP = 10);
    IFVD's (YukangWang/IFVD) has a separate ``lambda_adv = 0.001`` for the generator term (λ_G = 0.001, λ_D = 0.1,
    λ_GP = 10); CIRKD's re-implementations use λ_G = 0.001, λ_D = 0.1 with the hinge loss.

    Args:
        adv_type (str): ``'wgan-gp'`` or ``'hinge'``. Defaults to ``'wgan-gp'`` (SKDS, IFVD; CIRKD's code uses
            ``'hinge'``).
        generator_weight (float): λ_G of the student's term. Defaults to 0.001 (IFVD; SKDS's own code uses 0.1).
        discriminator_weight (float): λ_D of the discriminator's loss and penalty. Defaults to 0.1 (all three).
        gp_weight (float): λ_GP of the WGAN-GP gradient penalty; 0 disables it. Defaults to 10.0.
    """

    ADV_TYPES = ('wgan-gp', 'hinge')

    def __init__(self,
                 adv_type: str = 'wgan-gp',
                 generator_weight: float = 0.001,
                 discriminator_weight: float = 0.1,
                 gp_weight: float = 10.0) -> None:
        super().__init__()
        if adv_type not in self.ADV_TYPES:
            raise ValueError(f'adv_type must be one of {self.ADV_TYPES}, got {adv_type!r}.')
        for name, value in (('generator_weight', generator_weight), ('discriminator_weight', discriminator_weight),
                            ('gp_weight', gp_weight)):
            if value < 0:
                raise ValueError(f'{name} must be non-negative, got {value}.')
        self.adv_type = adv_type
        self.generator_weight = float(generator_weight)
        self.discriminator_weight = float(discriminator_weight)
        self.gp_weight = float(gp_weight)

    @property
    def uses_gradient_penalty(self) -> bool:
        """Whether :meth:`discriminator_losses` adds the WGAN-GP gradient penalty."""
        return self.adv_type == 'wgan-gp' and self.gp_weight > 0

    def forward(self, scores_fake: Tensor) -> Tensor:
        """The generator (student) term: minus the mean discriminator score of the student's maps, weighted.

        Args:
            scores_fake (Tensor): discriminator scores of the student's maps, any shape (e.g. [N, 1, h, w]), with
                gradient to the student.

        Returns:
            Tensor: scalar loss.
        """
        return -self.generator_weight * scores_fake.mean()

    generator_loss = forward

    def discriminator_loss(self, scores_real: Tensor, scores_fake: Tensor) -> Tensor:
        """The discriminator's adversarial loss (without the gradient penalty), weighted by λ_D.

        Args:
            scores_real (Tensor): discriminator scores of the teacher's maps, any shape (e.g. [N, 1, h, w]).
            scores_fake (Tensor): discriminator scores of the student's (detached) maps, any shape.

        Returns:
            Tensor: scalar loss.
        """
        if self.adv_type == 'hinge':
            loss = torch.relu(1.0 - scores_real).mean() + torch.relu(1.0 + scores_fake).mean()
        else:
            loss = scores_fake.mean() - scores_real.mean()
        return self.discriminator_weight * loss

    def gradient_penalty(self,
                         discriminator: nn.Module,
                         inputs_real: Tensor,
                         inputs_fake: Tensor,
                         alpha: Optional[Tensor] = None) -> Tensor:
        """WGAN-GP penalty on random interpolates of real and fake inputs, weighted by λ_D·λ_GP.

        The gradient is that of the summed score map of each image, its norm is taken over all of the image's input
        elements ([C, h, w]). The graph is kept (``create_graph=True``) so that the penalty trains the discriminator.

        Args:
            discriminator (nn.Module): D, mapping [N, C, h, w] inputs to scores of any shape with leading dim N.
            inputs_real (Tensor): teacher maps [N, C, h, w] (detached here).
            inputs_fake (Tensor): student maps [N, C, h, w] (detached here).
            alpha (Tensor, optional): interpolation weights [N] in [0, 1]; drawn from U(0, 1) if None.

        Returns:
            Tensor: scalar penalty.
        """
        if inputs_real.shape != inputs_fake.shape:
            raise ValueError(f'real and fake inputs must have the same shape, got {tuple(inputs_real.shape)} and '
                             f'{tuple(inputs_fake.shape)}.')
        num_images = inputs_real.shape[0]
        if alpha is None:
            alpha = torch.rand(num_images, device=inputs_real.device, dtype=inputs_real.dtype)
        alpha = alpha.reshape(num_images, *([1] * (inputs_real.dim() - 1)))
        interpolates = (alpha * inputs_real.detach() + (1 - alpha) * inputs_fake.detach()).requires_grad_(True)
        scores = discriminator(interpolates)
        grads, = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
        grad_norms = grads.flatten(1).norm(p=2, dim=1)
        return self.discriminator_weight * self.gp_weight * (grad_norms - 1).pow(2).mean()

    def discriminator_losses(self, discriminator: nn.Module, inputs_real: Tensor,
                             inputs_fake: Tensor) -> Dict[str, Tensor]:
        """Everything the discriminator minimises in one step, as a dict of named losses (mmengine style).

        Args:
            discriminator (nn.Module): D.
            inputs_real (Tensor): teacher maps [N, C, h, w] (detached here).
            inputs_fake (Tensor): student maps [N, C, h, w] (detached here).

        Returns:
            dict[str, Tensor]: ``loss_d`` and, for WGAN-GP with ``gp_weight > 0``, ``loss_gp``.
        """
        inputs_real = inputs_real.detach()
        inputs_fake = inputs_fake.detach()
        losses = dict(loss_d=self.discriminator_loss(discriminator(inputs_real), discriminator(inputs_fake)))
        if self.uses_gradient_penalty:
            losses['loss_gp'] = self.gradient_penalty(discriminator, inputs_real, inputs_fake)
        return losses
