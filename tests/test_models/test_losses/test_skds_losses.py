# Copyright (c) mmkd contributors. All rights reserved.
"""SKDS losses and discriminator against hand computations."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch import nn
from torch.nn.utils import parametrize

import mmkd  # noqa: F401
from mmkd.models import AdversarialKDLoss, PairWiseKDLoss, PixelWiseKDLoss, SAGANSelfAttention, SKDSDiscriminator
from mmkd.registry import MODELS
from tests.helpers.tools import REPO_ROOT

LN3 = math.log(3.0)


def two_pixel_logits(scale: float = 1.0):
    """[1, 2, 1, 2] logits: student pixels (0, 0) and (ln 3, 0) -> q_s = (1/2, 1/2), (3/4, 1/4); the teacher's the
    other way round -> q_t = (3/4, 1/4), (1/2, 1/2). ``scale`` multiplies all logits (for tau = scale)."""
    student = torch.tensor([[[[0.0, LN3]], [[0.0, 0.0]]]]) * scale
    teacher = torch.tensor([[[[LN3, 0.0]], [[0.0, 0.0]]]]) * scale
    return student.requires_grad_(True), teacher.requires_grad_(True)


# pixel 1: CE(q_t=(3/4,1/4), q_s=(1/2,1/2)) = ln 2; pixel 2: CE((1/2,1/2), (3/4,1/4)) = -(ln(3/4) + ln(1/4))/2
CE_PIXELS = (math.log(2), -0.5 * (math.log(0.75) + math.log(0.25)))  # 0.693147, 0.836988
TEACHER_ENTROPY = (-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)), math.log(2))  # 0.562335, 0.693147


def test_pixel_wise_ce_value_and_gradient_by_hand():
    student, teacher = two_pixel_logits()
    loss = PixelWiseKDLoss(tau=1.0, loss_weight=1.0)(student, teacher)
    assert loss.item() == pytest.approx((0.693147 + 0.836988) / 2, abs=1e-6)
    assert loss.item() == pytest.approx(sum(CE_PIXELS) / 2, abs=1e-6)
    loss.backward()
    # d/dZ_s of the mean CE over h·w = 2 pixels: (q_s - q_t) / 2
    expected = torch.tensor([[[[0.5 - 0.75, 0.75 - 0.5]], [[0.5 - 0.25, 0.25 - 0.5]]]]) / 2
    assert torch.allclose(student.grad, expected, atol=1e-6)
    assert teacher.grad is None


def test_pixel_wise_default_weight_and_temperature():
    student, teacher = two_pixel_logits()
    assert PixelWiseKDLoss()(student, teacher).item() == pytest.approx(10 * sum(CE_PIXELS) / 2, abs=1e-5)
    # logits x2 with tau = 2 give the same distributions: value x tau^2, gradient tau^2 / tau (q_s - q_t) / hw
    student, teacher = two_pixel_logits(scale=2.0)
    loss = PixelWiseKDLoss(tau=2.0, loss_weight=1.0)(student, teacher)
    assert loss.item() == pytest.approx(4 * sum(CE_PIXELS) / 2, abs=1e-5)
    loss.backward()
    expected = torch.tensor([[[[-0.25, 0.25]], [[0.25, -0.25]]]])
    assert torch.allclose(student.grad, expected, atol=1e-6)


def test_pixel_wise_kl_differs_from_ce_by_the_teacher_entropy_only():
    student, teacher = two_pixel_logits()
    kl = PixelWiseKDLoss(loss_weight=1.0, divergence='kl')(student, teacher)
    assert kl.item() == pytest.approx((CE_PIXELS[0] - TEACHER_ENTROPY[0] + CE_PIXELS[1] - TEACHER_ENTROPY[1]) / 2,
                                      abs=1e-6)  # 0.137327
    kl.backward()
    grad_kl = student.grad.clone()
    student.grad = None
    PixelWiseKDLoss(loss_weight=1.0, divergence='ce')(student, teacher).backward()
    assert torch.allclose(student.grad, grad_kl, atol=1e-7)


def test_pixel_wise_equal_inputs_give_teacher_entropy_and_zero_gradient():
    _, teacher = two_pixel_logits()
    student = teacher.detach().clone().requires_grad_(True)
    loss = PixelWiseKDLoss(loss_weight=1.0)(student, teacher)
    assert loss.item() == pytest.approx(sum(TEACHER_ENTROPY) / 2, abs=1e-6)
    loss.backward()
    assert student.grad.abs().max().item() < 1e-7
    assert PixelWiseKDLoss(loss_weight=1.0, divergence='kl')(student, teacher).item() == pytest.approx(0, abs=1e-7)


def test_pixel_wise_resizes_a_larger_teacher():
    torch.manual_seed(0)
    student = torch.randn(2, 3, 4, 6)
    teacher = torch.randn(2, 3, 8, 12)
    resized = F.interpolate(teacher, size=(4, 6), mode='bilinear', align_corners=False)
    loss_fn = PixelWiseKDLoss()
    assert torch.allclose(loss_fn(student, teacher), loss_fn(student, resized))


def test_pixel_wise_rejects_bad_arguments():
    with pytest.raises(ValueError, match='tau must be positive, got 0'):
        PixelWiseKDLoss(tau=0)
    with pytest.raises(ValueError, match="'js'"):
        PixelWiseKDLoss(divergence='js')
    with pytest.raises(ValueError, match='number of classes'):
        PixelWiseKDLoss()(torch.randn(1, 3, 2, 2), torch.randn(1, 4, 2, 2))


def two_image_batch():
    """Image 0: the two-pixel case above; image 1: the student equals the teacher (CE = teacher entropy)."""
    student, teacher = two_pixel_logits()
    return torch.cat([student.detach(), teacher.detach()]).requires_grad_(True), torch.cat([teacher, teacher]).detach()


# per-image CE means: image 0 (0.693147 + 0.836988) / 2 = 0.765068, image 1 (0.562335 + 0.693147) / 2 = 0.627741
IMAGE_CE = (sum(CE_PIXELS) / 2, sum(TEACHER_ENTROPY) / 2)


@pytest.mark.parametrize('reduction,expected', [
    ('mean', (IMAGE_CE[0] + IMAGE_CE[1]) / 2),  # 0.696404: Σ / (N·h·w)
    ('batch_sum', IMAGE_CE[0] + IMAGE_CE[1]),  # 1.392809: Σ / (h·w), SKDS's released CriterionPixelWise
    ('element_mean', (IMAGE_CE[0] + IMAGE_CE[1]) / 2 / 2),  # 0.348202: Σ / (N·C·h·w), nn.KLDivLoss's 'mean'
])
def test_pixel_wise_reductions_by_hand(reduction, expected):
    student, teacher = two_image_batch()
    loss = PixelWiseKDLoss(loss_weight=1.0, reduction=reduction)(student, teacher)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match="reduction must be one of .*got 'sum'"):
        PixelWiseKDLoss(reduction='sum')


def test_pixel_wise_batch_sum_is_the_released_skds_formula():
    # SKDS's CriterionPixelWise: sum(-softmax(Z_t) * log_softmax(Z_s)) over all N·h·w pixels / (h·w)
    torch.manual_seed(0)
    student, teacher = torch.randn(3, 5, 4, 6), torch.randn(3, 5, 4, 6)
    released = (-F.softmax(teacher, 1) * F.log_softmax(student, 1)).sum() / (4 * 6)
    assert PixelWiseKDLoss(loss_weight=1.0, reduction='batch_sum')(student, teacher).item() == pytest.approx(
        released.item(), rel=1e-6)


def test_skds_method_base_pixel_term_equals_the_released_code_at_its_batch_of_8():
    """The method base weighs the batch-mean CE by 80 = lambda_pi 10 x the released code's batch of 8 images."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/distill/seg/methods/skds.py'))
    loss_fn = MODELS.build(cfg.distiller.distill_losses.loss_pixel)
    torch.manual_seed(0)
    student, teacher = torch.randn(8, 19, 8, 8), torch.randn(8, 19, 8, 8)
    released = 10.0 * (-F.softmax(teacher, 1) * F.log_softmax(student, 1)).sum() / (8 * 8)  # lambda_pi = 10
    assert loss_fn(student, teacher).item() == pytest.approx(released.item(), rel=1e-5)
    # and per image it stays 80 x the mean CE whatever the per-GPU batch (4xb2 and 4xb4 rows)
    assert loss_fn(student[:2], teacher[:2]).item() == pytest.approx(
        80.0 * PixelWiseKDLoss(loss_weight=1.0)(student[:2], teacher[:2]).item(), rel=1e-6)


def quadrant_features(vectors, size=4):
    """[1, D, size, size] features whose max over each quadrant (row-major order) is the given vector."""
    dims = len(vectors[0])
    feats = torch.zeros(1, dims, size, size)
    half = size // 2
    for index, vector in enumerate(vectors):
        row, col = divmod(index, 2)
        feats[0, :, row * half, col * half] = torch.tensor(vector, dtype=torch.float32)
    return feats


def test_pair_wise_value_by_hand():
    # student nodes a=(1,0), b=(0,1), c=(1,1)/√2, d=(1,0); teacher nodes all (1,0) -> S_t = ones(4, 4).
    # S_s has four 0s (a-b, b-d and their transposes) and six 1/√2 (c with a, b, d); the rest 1.
    # loss = (4·1² + 6·(1 - 1/√2)²) / 4² = (4 + 6·0.0857864) / 16 = 0.2821699
    student = quadrant_features([(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)])
    # quadrant c also holds (0, 0.9) elsewhere: the max (1, 1) differs in direction from the mean (0.25, 0.475)
    student[0, 1, 2, 1] = 0.9
    teacher = quadrant_features([(1.0, 0.0)] * 4)
    r = 1 / math.sqrt(2)
    expected = (4 + 6 * (1 - r)**2) / 16
    assert expected == pytest.approx(0.2821699, abs=1e-7)
    assert PairWiseKDLoss()(student, teacher).item() == pytest.approx(expected, abs=1e-6)
    assert PairWiseKDLoss(loss_weight=0.5)(student, teacher).item() == pytest.approx(expected / 2, abs=1e-6)


def test_pair_wise_teacher_width_may_differ_and_gets_no_gradient():
    student = quadrant_features([(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]).requires_grad_(True)
    teacher = quadrant_features([(1.0, 0.0, 0.0)] * 4).requires_grad_(True)  # 3 channels vs the student's 2
    loss = PairWiseKDLoss()(student, teacher)
    assert loss.item() == pytest.approx((4 + 6 * (1 - 1 / math.sqrt(2))**2) / 16, abs=1e-6)
    loss.backward()
    assert teacher.grad is None
    assert student.grad.abs().sum() > 0


def test_pair_wise_zero_for_equal_features_and_batch_mean():
    torch.manual_seed(0)
    feats = torch.randn(3, 8, 6, 10)
    assert PairWiseKDLoss()(feats, feats.clone()).item() == pytest.approx(0, abs=1e-7)
    student, teacher = torch.randn(2, 8, 6, 10), torch.randn(2, 12, 6, 10)
    loss_fn = PairWiseKDLoss('2x2')
    per_image = [loss_fn(student[i:i + 1], teacher[i:i + 1]) for i in range(2)]
    assert loss_fn(student, teacher).item() == pytest.approx(sum(per_image).item() / 2, abs=1e-6)


@pytest.mark.parametrize('pool_mode, size, nodes', [
    ('half', (8, 16), (2, 2)),
    ('half', (7, 9), (2, 2)),
    ('half', (65, 65), (2, 2)),
    ('2x2', (8, 16), (4, 8)),
    ('2x2', (7, 9), (4, 5)),
    (4, (8, 16), (2, 4)),
    (1, (5, 6), (5, 6)),
])
def test_pair_wise_pooling_node_grid(pool_mode, size, nodes):
    loss_fn = PairWiseKDLoss(pool_mode)
    assert tuple(loss_fn.pool(torch.randn(1, 3, *size)).shape[2:]) == nodes
    num_nodes = nodes[0] * nodes[1]
    assert loss_fn.similarity(loss_fn.pool(torch.randn(2, 3, *size))).shape == (2, num_nodes, num_nodes)


def test_pair_wise_resizes_teacher_and_rejects_bad_mode():
    torch.manual_seed(0)
    student, teacher = torch.randn(1, 4, 8, 8), torch.randn(1, 6, 16, 16)
    resized = F.interpolate(teacher, size=(8, 8), mode='bilinear', align_corners=False)
    assert torch.allclose(PairWiseKDLoss()(student, teacher), PairWiseKDLoss()(student, resized))
    with pytest.raises(ValueError, match="'quarter'"):
        PairWiseKDLoss('quarter')
    with pytest.raises(ValueError, match='got 0'):
        PairWiseKDLoss(0)


def test_discriminator_shapes_spectral_norm_and_attention():
    torch.manual_seed(0)
    disc = SKDSDiscriminator(in_channels=19)
    scores = disc(torch.randn(2, 19, 64, 128))
    # 64x128 -> four stride-2 convs -> 4x8 -> 4x4 conv without padding -> 1x5
    assert scores.shape == (2, 1, 1, 5)
    assert isinstance(disc.input_norm, nn.BatchNorm2d) and disc.input_norm.num_features == 19
    convs = [stage[0] for stage in disc.stages]
    assert [conv.out_channels for conv in convs] == [64, 128, 256, 512]
    assert all(conv.kernel_size == (4, 4) and conv.stride == (2, 2) for conv in convs)
    assert all(parametrize.is_parametrized(conv, 'weight') for conv in convs)
    assert not parametrize.is_parametrized(disc.score, 'weight')
    assert [stage[1].negative_slope for stage in disc.stages] == [0.1] * 4
    attention = [[type(m) for m in stage].count(SAGANSelfAttention) for stage in disc.stages]
    assert attention == [0, 0, 1, 1]  # after the 3rd and 4th conv
    assert [stage[2].in_channels for stage in disc.stages[2:]] == [256, 512]
    assert SKDSDiscriminator(19, base_channels=16)(torch.randn(1, 19, 96, 64)).shape == (1, 1, 3, 1)


def test_discriminator_rejects_small_or_wrong_inputs():
    disc = SKDSDiscriminator(in_channels=5, base_channels=8)
    with pytest.raises(ValueError, match=r'at least 64x64 pixels, got \(32, 64\)'):
        disc(torch.randn(1, 5, 32, 64))
    with pytest.raises(ValueError, match=r'expects \[N, 5, H, W\]'):
        disc(torch.randn(1, 19, 64, 64))
    with pytest.raises(ValueError, match='attention_after'):
        SKDSDiscriminator(5, attention_after=(5, ))


def test_self_attention_starts_as_identity():
    block = SAGANSelfAttention(16)
    x = torch.randn(2, 16, 3, 5)
    assert torch.equal(block(x), x)
    with torch.no_grad():
        block.gamma.fill_(1.0)
    assert not torch.allclose(block(x), x)


SCORES_REAL = torch.tensor([2.0, 0.5, -1.0])
SCORES_FAKE = torch.tensor([-2.0, 0.0, 0.5])


def test_hinge_and_wgan_values_by_hand():
    hinge = AdversarialKDLoss('hinge', generator_weight=0.001, discriminator_weight=0.1)
    # real: relu(1 - [2, .5, -1]) = [0, .5, 2] -> 5/6; fake: relu(1 + [-2, 0, .5]) = [0, 1, 1.5] -> 5/6
    assert hinge.discriminator_loss(SCORES_REAL, SCORES_FAKE).item() == pytest.approx(0.1 * 10 / 6, abs=1e-7)
    # generator: -mean(fake) = 0.5
    assert hinge.generator_loss(SCORES_FAKE).item() == pytest.approx(0.0005, abs=1e-9)
    assert hinge(SCORES_FAKE).item() == pytest.approx(0.0005, abs=1e-9)
    wgan = AdversarialKDLoss('wgan-gp', discriminator_weight=0.1)
    # mean(fake) - mean(real) = -0.5 - 0.5
    assert wgan.discriminator_loss(SCORES_REAL, SCORES_FAKE).item() == pytest.approx(-0.1, abs=1e-7)
    with pytest.raises(ValueError, match="'lsgan'"):
        AdversarialKDLoss('lsgan')
    with pytest.raises(ValueError, match='gp_weight must be non-negative, got -1'):
        AdversarialKDLoss(gp_weight=-1)


class LinearCritic(nn.Module):
    """D(x)_n = <w, x_n>: its input gradient is w for every image."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight)

    def forward(self, x):
        return (x * self.weight).flatten(1).sum(dim=1)


def test_gradient_penalty_by_hand():
    loss = AdversarialKDLoss('wgan-gp', discriminator_weight=0.1, gp_weight=10.0)
    torch.manual_seed(0)
    real, fake = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    direction = torch.randn(3, 2, 2)
    unit_critic = LinearCritic(direction / direction.norm())
    assert loss.gradient_penalty(unit_critic, real, fake).item() == pytest.approx(0, abs=1e-10)
    # ||w|| = 3: (3 - 1)^2 = 4, x lambda_D x lambda_GP = 4 x 0.1 x 10
    steep_critic = LinearCritic(3 * direction / direction.norm())
    penalty = loss.gradient_penalty(steep_critic, real, fake, alpha=torch.tensor([0.25, 0.75]))
    assert penalty.item() == pytest.approx(4.0, rel=1e-5)
    penalty.backward()
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||: the penalty trains the critic
    expected = 0.1 * 10 * 2 * (3 - 1) * direction / direction.norm()
    assert torch.allclose(steep_critic.weight.grad, expected, atol=1e-5)


def test_discriminator_losses_per_type():
    torch.manual_seed(0)
    real, fake = torch.randn(2, 3, 2, 2), torch.randn(2, 3, 2, 2)
    critic = LinearCritic(torch.randn(3, 2, 2))
    assert set(AdversarialKDLoss('wgan-gp').discriminator_losses(critic, real, fake)) == {'loss_d', 'loss_gp'}
    assert set(AdversarialKDLoss('wgan-gp', gp_weight=0).discriminator_losses(critic, real, fake)) == {'loss_d'}
    hinge_losses = AdversarialKDLoss('hinge').discriminator_losses(critic, real, fake)
    assert set(hinge_losses) == {'loss_d'}
    assert hinge_losses['loss_d'].item() == pytest.approx(
        0.1 * (torch.relu(1 - critic(real)).mean() + torch.relu(1 + critic(fake)).mean()).item(), abs=1e-6)
