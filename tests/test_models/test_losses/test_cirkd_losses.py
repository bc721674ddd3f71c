# Copyright (c) mmkd contributors. All rights reserved.
import importlib.util
import math
import os.path as osp

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.config import Config

from mmkd.models.losses import CIRKDMemoryLoss, CIRKDMiniBatchLoss
from tests.helpers.distill_configs import build_distill_model, random_seg_batch
from tests.helpers.tools import REPO_ROOT

CIRKD_CONFIG = 'configs/cirkd/cirkd_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py'


def pixels_to_map(images):
    """[[pixel (x, y), ...] per image] for a 1×P row -> features [N, 2, 1, P]."""
    return torch.tensor(images, dtype=torch.float32).permute(0, 2, 1).unsqueeze(2)


# ----------------------------------------------------------------------------------------------- mini-batch loss
def test_minibatch_hand_computed():
    student = pixels_to_map([[[1, 0], [0, 1]], [[1, 0], [1, 0]]])
    teacher = pixels_to_map([[[1, 0], [1, 0]], [[0, 1], [1, 0]]])
    # With tau=1 every row of every S_ij is [1, 0], [0, 1], [1, 1] or [0, 0]. Writing s = e / (1 + e):
    #   S^s_00 = [[1,0],[0,1]]  S^t_00 = [[1,1],[1,1]]  rows: KL((.5,.5) || (s,1-s)) twice          -> A per row
    #   S^s_01 = [[1,1],[0,0]]  S^t_01 = [[0,1],[0,1]]  rows: KL((1-s,s) || (.5,.5)) twice          -> B per row
    #   S^s_10 = [[1,0],[1,0]]  S^t_10 = [[0,0],[1,1]]  rows: KL((.5,.5) || (s,1-s)) twice          -> A
    #   S^s_11 = [[1,1],[1,1]]  S^t_11 = [[1,0],[0,1]]  rows: KL((s,1-s) || (.5,.5)), mirrored      -> B
    # batchmean per pair (2 rows) then mean over the 4 pairs: (A + B) / 2.
    s = math.e / (1 + math.e)
    kl_a = -0.5 * math.log(4 * s * (1 - s))
    kl_b = math.log(2) + s * math.log(s) + (1 - s) * math.log(1 - s)
    expected = (kl_a + kl_b) / 2
    assert expected == pytest.approx(0.115529, abs=1e-6)
    loss = CIRKDMiniBatchLoss(tau=1.0)(student, teacher)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    # Channel L2 normalisation: rescaling pixels changes nothing; loss_weight scales.
    assert CIRKDMiniBatchLoss(tau=1.0, loss_weight=3.0)(5 * student, teacher).item() == pytest.approx(
        3 * expected, rel=1e-5)


def test_minibatch_zero_when_equal_and_teacher_gets_no_gradient():
    student = torch.randn(3, 4, 2, 3, requires_grad=True)
    teacher = torch.randn(3, 4, 2, 3, requires_grad=True)
    loss = CIRKDMiniBatchLoss()
    assert loss(student, student.detach().clone()).abs().item() < 1e-6
    value = loss(student, teacher)
    assert value.item() > 0
    value.backward()
    assert teacher.grad is None and student.grad.abs().sum() > 0


def test_minibatch_takes_raw_features_of_different_widths():
    """The official code feeds the unprojected student features: widths may differ (similarities are [hw x hw])."""
    student = pixels_to_map([[[1, 0], [0, 1]], [[1, 0], [1, 0]]])
    teacher = pixels_to_map([[[1, 0], [1, 0]], [[0, 1], [1, 0]]])
    # A zero third teacher channel leaves every cosine similarity, hence the hand-computed value above, unchanged.
    wider_teacher = torch.cat([teacher, torch.zeros(2, 1, 1, 2)], dim=1)
    assert CIRKDMiniBatchLoss(tau=1.0)(student, wider_teacher).item() == pytest.approx(0.115529, abs=1e-6)


def test_minibatch_validation_errors():
    with pytest.raises(ValueError, match='pool_type'):
        CIRKDMiniBatchLoss(pool_size=2, pool_type='median')
    with pytest.raises(ValueError, match='not both'):
        CIRKDMiniBatchLoss(pool_size=2, max_pixels=8192)
    with pytest.raises(ValueError, match='max_pixels must be None or a positive int, got 0'):
        CIRKDMiniBatchLoss(max_pixels=0)


@pytest.mark.parametrize('size,factor', [
    ((64, 128), 1), ((64, 64), 1), ((60, 60), 1),  # 1/8 grids of 512x1024, 512x512, 480x480 crops: as they are
    ((128, 256), 2), ((128, 128), 2), ((120, 120), 2),  # their 1/4 grids: pooled 2x2 to exactly the 1/8 grid
    ((130, 260), 3),  # 2 gives 65 x 130 = 8450 > 8192; 3 gives 44 x 87 = 3828
    ((16, 32), 1),  # the demo
])
def test_minibatch_max_pixels_factor(size, factor):
    assert CIRKDMiniBatchLoss(max_pixels=8192).pool_factor(size) == factor
    assert CIRKDMiniBatchLoss().pool_factor(size) == 1 and CIRKDMiniBatchLoss(pool_size=4).pool_factor(size) == 4


def test_minibatch_max_pixels_pools_both_maps_by_the_factor():
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 3, 4, 6), torch.randn(2, 5, 4, 6)
    # 4x6 = 24 > 10 pixels; factor 2 gives 2x3 = 6 <= 10
    pooled = CIRKDMiniBatchLoss(max_pixels=10)(student, teacher)
    reference = CIRKDMiniBatchLoss()(F.avg_pool2d(student, 2), F.avg_pool2d(teacher, 2))
    assert torch.allclose(pooled, reference)
    assert not torch.allclose(pooled, CIRKDMiniBatchLoss()(student, teacher))
    assert torch.allclose(CIRKDMiniBatchLoss(max_pixels=24)(student, teacher), CIRKDMiniBatchLoss()(student, teacher))


@pytest.mark.parametrize('pool_type,pool', [('avg', F.avg_pool2d), ('max', F.max_pool2d)])
def test_minibatch_pooling_pools_both_maps_first(pool_type, pool):
    student, teacher = torch.randn(2, 4, 6, 8), torch.randn(2, 4, 6, 8)
    pooled = CIRKDMiniBatchLoss(pool_size=2, pool_type=pool_type)(student, teacher)
    reference = CIRKDMiniBatchLoss()(pool(student, 2), pool(teacher, 2))
    assert torch.allclose(pooled, reference)


# --------------------------------------------------------------------------------------------------- memory loss
def memory_loss(**kwargs):
    defaults = dict(num_classes=3, feat_channels=2, pixel_queue_size=5, region_queue_size=3,
                    pixels_per_class_per_image=2, num_pixel_contrast=6, num_region_contrast=3, seed=0)
    defaults.update(kwargs)
    return CIRKDMemoryLoss(**defaults)


def hand_made_batch():
    """Two images of 1×4 pixels: image 0 = classes [0, 0, 0, 1], image 1 = [0, 2, 2, ignore]."""
    teacher = pixels_to_map([[[1, 0], [2, 0], [3, 1], [0, 1]], [[1, 1], [-1, 1], [-2, 1], [5, 5]]])
    student = pixels_to_map([[[0, 1], [1, 1], [1, -1], [1, 0]], [[1, 0], [0, 1], [1, 2], [1, 1]]])
    labels = torch.tensor([[[0, 0, 0, 1]], [[0, 2, 2, 255]]])
    return student, teacher, labels


def test_memory_queues_fill_as_specified():
    loss = memory_loss()
    student, teacher, labels = hand_made_batch()
    loss(student, teacher, labels)
    # region: one entry per (image, class present); pixel: min(pixels of the class, 2) per image
    assert loss.region_queue_count.tolist() == [2, 1, 1]
    assert loss.pixel_queue_count.tolist() == [2 + 1, 1, 2]
    assert loss.region_queue_ptr.tolist() == [2, 1, 1]
    assert loss.pixel_queue_ptr.tolist() == [3, 1, 2]
    unit_teacher = F.normalize(teacher, dim=1)
    # class 1 has a single pixel, (0, 1): its region entry and its pixel entry are that unit vector
    assert torch.allclose(loss.region_queue[1, 0], torch.tensor([0.0, 1.0]))
    assert torch.allclose(loss.pixel_queue[1, 0], torch.tensor([0.0, 1.0]))
    # class 0 of image 0: normalised mean of its three unit teacher embeddings
    class0_mean = unit_teacher[0, :, 0, :3].mean(dim=1)
    assert torch.allclose(loss.region_queue[0, 0], F.normalize(class0_mean, dim=0))
    # every enqueued class-2 pixel is one of image 1's class-2 teacher embeddings
    class2_pixels = unit_teacher[1, :, 0, 1:3].t()
    for entry in loss.pixel_queue[2, :2]:
        assert any(torch.allclose(entry, candidate) for candidate in class2_pixels)
    assert loss.pixel_queue[2, 2:].abs().sum() == 0  # unfilled slots untouched


def test_memory_pointers_wrap_around():
    loss = memory_loss()
    student, teacher, labels = hand_made_batch()
    for _ in range(3):
        loss(student, teacher, labels)
    # region: class 0 gets 2 entries per step in a queue of 3 -> 6 writes: ptr 0, count capped at 3
    assert loss.region_queue_count.tolist() == [3, 3, 3]
    assert loss.region_queue_ptr.tolist() == [6 % 3, 3 % 3, 3 % 3]
    # pixel: class 0 gets 3 per step (9 writes, queue 5), class 1 gets 1 (3), class 2 gets 2 (6)
    assert loss.pixel_queue_count.tolist() == [5, 3, 5]
    assert loss.pixel_queue_ptr.tolist() == [9 % 5, 3, 6 % 5]


def test_memory_ring_buffer_overwrites_the_oldest_entry():
    loss = memory_loss(num_classes=1, region_queue_size=3)
    angles = [0.1, 0.5, 0.9, 1.3]
    for angle in angles:
        feats = torch.tensor([math.cos(angle), math.sin(angle)]).view(1, 2, 1, 1)
        loss(feats, feats, torch.zeros(1, 1, 1, dtype=torch.long))
    stored = [math.atan2(y, x) for x, y in loss.region_queue[0].tolist()]
    # writes went to slots 0, 1, 2, 0: the 4th overwrote the 1st
    assert stored == pytest.approx([angles[3], angles[1], angles[2]], abs=1e-6)


def test_memory_state_dict_round_trip():
    loss = memory_loss()
    student, teacher, labels = hand_made_batch()
    for _ in range(2):
        loss(student, teacher, labels)
    state = loss.state_dict()
    names = ('pixel_queue', 'pixel_queue_ptr', 'pixel_queue_count', 'region_queue', 'region_queue_ptr',
             'region_queue_count')
    assert set(names) <= set(state)
    fresh = memory_loss()
    assert fresh.pixel_queue_count.sum() == 0
    fresh.load_state_dict(state)
    for name in names:
        assert torch.equal(getattr(fresh, name), getattr(loss, name)), name


def test_memory_first_step_is_zero_then_positive_without_process_group():
    assert not (dist.is_available() and dist.is_initialized())
    loss = memory_loss()
    student, teacher, labels = hand_made_batch()
    student.requires_grad_(True)
    teacher.requires_grad_(True)
    first = loss(student, teacher, labels)  # every queue is empty: no anchors yet
    assert first.item() == 0.0 and not torch.isnan(first)
    first.backward()
    assert torch.isfinite(student.grad).all()
    student.grad = None
    second = loss(student, teacher, labels)
    assert torch.isfinite(second) and second.item() > 0
    assert loss.last_pixel_loss.item() > 0 and loss.last_region_loss.item() > 0
    assert second.item() == pytest.approx(0.1 * loss.last_pixel_loss.item() + 0.1 * loss.last_region_loss.item())
    second.backward()
    assert teacher.grad is None and student.grad.abs().sum() > 0


def test_memory_zero_when_student_equals_teacher():
    loss = memory_loss()
    _, teacher, labels = hand_made_batch()
    loss(teacher, teacher, labels)
    assert loss(teacher, teacher, labels).abs().item() < 1e-6


def test_memory_all_ignore_and_eval_mode():
    loss = memory_loss()
    student, teacher, labels = hand_made_batch()
    loss(student, teacher, labels)
    counts = loss.pixel_queue_count.clone()
    value = loss(student, teacher, torch.full_like(labels, 255))
    assert value.item() == 0.0
    assert torch.equal(loss.pixel_queue_count, counts)  # nothing to enqueue
    loss.eval()
    loss(student, teacher, labels)
    assert torch.equal(loss.pixel_queue_count, counts)  # no enqueueing outside training


def test_memory_is_deterministic_given_the_seed():
    student, teacher, labels = hand_made_batch()
    results = []
    for _ in range(2):
        loss = memory_loss(seed=3, pixels_per_class_per_image=1, num_pixel_contrast=3)
        values = [loss(student, teacher, labels).item() for _ in range(3)]
        results.append((values, loss.pixel_queue.clone()))
    assert results[0][0] == results[1][0]
    assert torch.equal(results[0][1], results[1][1])


def test_memory_validation_errors():
    student, teacher, labels = hand_made_batch()
    with pytest.raises(ValueError, match=r'D_s=2.*feat_channels=4'):
        memory_loss(feat_channels=4)(student, teacher, labels)
    with pytest.raises(ValueError, match=r'D_s=2.*D_t=3'):
        memory_loss()(student, torch.cat([teacher, teacher[:, :1]], dim=1), labels)
    labels[0, 0, 0] = 5
    with pytest.raises(ValueError, match=r'\[5\]'):
        memory_loss()(student, teacher, labels)
    with pytest.raises(ValueError, match='pixel_queue_size'):
        memory_loss(pixel_queue_size=0)
    with pytest.raises(ValueError, match='pixels_per_class_per_image=8'):
        memory_loss(pixels_per_class_per_image=8)


# ------------------------------------------------------------------------------------------------------- config
def test_config_one_step():
    model = build_distill_model(CIRKD_CONFIG)
    model.train()
    memory = model.distiller.distill_losses['loss_memory']
    assert memory.pixel_anchors_per_class == 4096 // 19 + 1 and memory.region_anchors_per_class == 1024 // 19 + 1
    data = model.data_preprocessor(random_seg_batch(), True)
    keys = ('distill.loss_kd', 'distill.loss_minibatch', 'distill.loss_memory')
    for _ in range(2):  # the memory term is 0 on the first step (empty queues), > 0 on the second
        model.zero_grad()
        losses = model.loss(data['inputs'], data['data_samples'])
        assert set(keys) | {'student.decode.loss_ce'} <= set(losses)
        assert all(torch.isfinite(losses[key]) for key in keys)
        sum(value for key, value in losses.items() if 'loss' in key).backward()
    assert all(losses[key].item() > 0 for key in keys)
    assert all(p.grad is None for p in model.teacher.parameters())
    connector = model.distiller.connectors['proj_S']
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in connector.parameters())
    # The mini-batch term is the loss of the raw recorded features (32-wide student, 64-wide teacher), not of the
    # projected ones.
    raw_S = model.distiller.get_record('feats', from_student=True, data_idx=0)
    raw_T = model.distiller.get_record('feats', from_student=False, data_idx=0)
    assert (raw_S.shape[1], raw_T.shape[1]) == (32, 64)
    minibatch = model.distiller.distill_losses['loss_minibatch']
    assert losses['distill.loss_minibatch'].item() == pytest.approx(minibatch(raw_S, raw_T).item(), rel=1e-5)
    state = model.state_dict()
    assert state['distiller.distill_losses.loss_memory.pixel_queue'].shape == (19, 20000, 64)
    assert state['distiller.distill_losses.loss_memory.region_queue_count'].sum() > 0


def test_memory_benchmark_measures_a_tiny_case():
    """benchmarks/cirkd_memory.py's measurement on a tiny map: the pooled grid and the one-matrix size it reports."""
    spec = importlib.util.spec_from_file_location('cirkd_memory', osp.join(REPO_ROOT, 'benchmarks', 'cirkd_memory.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run_case(4, 6, 8, 16, 64, batch=1, threads=1)  # 128 pixels > 64: pooled 2x2 to 4x8
    assert (result['pool_factor'], result['grid']) == (2, '4x8')
    assert result['matrix_gib'] == pytest.approx(32**2 * 4 / 2**30)
    assert result['step_peak_gib'] >= 0 and math.isfinite(result['loss'])
    method = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/distill/seg/methods/cirkd.py'))
    max_pixels = method.distiller.distill_losses.loss_minibatch.max_pixels
    assert all(case[4] == max_pixels == 8192 for case in module.CASES.values())  # the rows' setting is measured
