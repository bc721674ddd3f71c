# Copyright (c) mmkd contributors. All rights reserved.
"""DenseDetectorDistill + DenseDetectionDistiller on the four head families: losses, gradient flow, bad input.

The detectors are slimmed (ResNet-18 at base width 16, FPN and head 32 wide, one stacked head conv) to keep these
CPU tests fast; priors, assignment and losses are those of the configs. Full-size models run in
tests/test_configs/test_rm_pfi_train.py.
"""
import copy

import pytest
import torch

import mmkd  # noqa: F401
from mmkd.models.det_adapters import DetDistillStepInputs, adapter_for_head
from tests.helpers.det_models import (
    PAIRS,
    build_distill,
    det_data_samples,
    distill_model_cfg,
    gt_instances,
    hand_made_batch,
)

RM_PFI_SOFT = dict(
    loss_rm=dict(type='mmkd.RankMimickingLoss', mode='cls+loc'),
    loss_pfi=dict(type='mmkd.PFILoss'),
    loss_kd=dict(type='mmkd.SigmoidSoftLabelKDLoss'))
# FCOS with norm_on_bbox: its head outputs stride units in train mode and px in eval mode (the frozen teacher)
FCOS_NORM = dict(norm_on_bbox=True, centerness_on_reg=True, center_sampling=True)


def batch(seed=0):
    gts, metas = hand_made_batch()
    return torch.randn(2, 3, 128, 128, generator=torch.Generator().manual_seed(seed)), det_data_samples(gts, metas)


def head_overrides(family, **extra):
    return dict(FCOS_NORM if family == 'fcos' else {}, **extra)


def build_slim(family, losses, teacher=None, teacher_extra=None):
    return build_distill(distill_model_cfg(family, losses, teacher=teacher,
                                           teacher_overrides=head_overrides(family, **(teacher_extra or {})),
                                           student_overrides=head_overrides(family), slim=True))


@pytest.fixture(scope='module')
def models():
    return {family: build_slim(family, RM_PFI_SOFT) for family in PAIRS}


@pytest.mark.parametrize('family', list(PAIRS))
def test_a_teacher_equal_to_the_student_gives_zero_distillation_loss(family, models):
    model = copy.deepcopy(models[family])
    model.teacher.load_state_dict(model.student.state_dict())
    model.train()
    # the student trains, the teacher is in eval mode (FCOS: different box units, which decoding must undo)
    assert model.student.training and not model.teacher.training
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert {'distill.loss_rm', 'distill.loss_pfi', 'distill.loss_kd'} <= set(losses)
    assert any(key.startswith('student.loss_cls') for key in losses)
    for key in ('distill.loss_rm', 'distill.loss_pfi', 'distill.loss_kd'):
        assert losses[key].item() == pytest.approx(0.0, abs=1e-6), key


@pytest.mark.parametrize('family', list(PAIRS))
def test_gradients_reach_only_the_student_and_pfi_not_its_head(family, models):
    model = models[family]
    model.train()
    model.zero_grad(set_to_none=True)
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert all(torch.isfinite(v).all() for k, v in losses.items() if k.startswith('distill'))
    assert losses['distill.loss_rm'].item() > 0 and losses['distill.loss_pfi'].item() > 0
    losses['distill.loss_pfi'].backward(retain_graph=True)
    assert all(p.grad is None for p in model.teacher.parameters())
    neck_grads = [p.grad for p in model.student.neck.parameters() if p.requires_grad]
    assert any(g is not None and g.abs().sum() > 0 for g in neck_grads)
    # ΔP is a detached weight: PFI must not train the classification branch
    assert all(p.grad is None for p in model.student.bbox_head.parameters())
    model.zero_grad(set_to_none=True)
    losses['distill.loss_rm'].backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.student.bbox_head.parameters())


def test_rank_mimicking_uses_the_adapter_positives_with_their_instance_and_class(models):
    model = models['retinanet']
    inputs, samples = batch()
    gts = [s.gt_instances for s in samples]
    metas = [s.metainfo for s in samples]
    with torch.no_grad():
        feats_S = model.student.extract_feat(inputs)
        outs_S = model.student.bbox_head(feats_S)
        outs_T = model.teacher.bbox_head(model.teacher.extract_feat(inputs))
    sizes = [tuple(s.shape[-2:]) for s in outs_S[0]]
    distiller = model.distiller
    step = DetDistillStepInputs(distiller.adapter, model.student.bbox_head, model.teacher.bbox_head, feats_S, feats_S,
                                outs_S, outs_T, gts, metas)
    assignments = step.assignments
    rank = dict(instance_ids=step.instance_ids, cls_scores_S=step.positive_cls_scores[0],
                cls_scores_T=step.positive_cls_scores[1])
    # by hand: image 1, first positive; instance ids continue after image 0's 4 GTs
    a = assignments[1]
    n0 = assignments[0].pos_inds.numel()
    level_sizes = [h * w * 9 for h, w in sizes]
    level = next(lvl for lvl in range(5) if a.pos_inds[0] < sum(level_sizes[:lvl + 1]))
    local = int(a.pos_inds[0]) - sum(level_sizes[:level])
    position, anchor = divmod(local, 9)
    h, w = divmod(position, sizes[level][1])
    label = int(gts[1].labels[a.pos_gt_inds[0]])
    assert rank['instance_ids'][n0].item() == 4 + a.pos_gt_inds[0].item()
    assert rank['cls_scores_S'][n0].item() == pytest.approx(outs_S[0][level][1, anchor * 80 + label, h, w].item())
    assert rank['cls_scores_T'][n0].item() == pytest.approx(outs_T[0][level][1, anchor * 80 + label, h, w].item())


def test_image_without_gt_gives_zero_rm_and_no_nan(models):
    model = models['atss']
    inputs, samples = batch()
    for sample in samples:
        sample.gt_instances = gt_instances([], [])
    losses = model.loss(inputs, samples)
    assert losses['distill.loss_rm'].item() == 0.0
    assert all(torch.isfinite(v).all() for k, v in losses.items() if k.startswith('distill'))
    assert losses['distill.loss_pfi'].item() > 0


def test_pfi_mask_modes_are_normalised_inside_their_mask_and_log_their_factors():
    model = build_slim('gfl', dict(loss=dict(type='mmkd.PFILoss', mask='whole', loss_weight=1.)))
    inputs, samples = batch()
    gts, metas = [s.gt_instances for s in samples], [s.metainfo for s in samples]
    with torch.no_grad():
        feats_S = model.student.extract_feat(inputs)
        feats_T = model.teacher.extract_feat(inputs)
        outs_S, outs_T = model.student.bbox_head(feats_S), model.teacher.bbox_head(feats_T)
    step = DetDistillStepInputs(model.distiller.adapter, model.student.bbox_head, model.teacher.bbox_head, feats_S,
                                feats_T, outs_S, outs_T, gts, metas)
    delta_f = [(t - s).pow(2).sum(1) for s, t in zip(feats_S, feats_T)]  # [N, H, W] per level, sum over channels
    loss = model.distiller.distill_losses['loss']
    for mode in ('positive', 'negative', 'gt_box'):
        loss.mask = mode
        masks = step.position_masks(mode)
        by_hand = [(m * d).sum() / m.sum() for m, d in zip(masks, delta_f) if m.any()]
        assert loss.forward_step(step)['loss'].item() == pytest.approx(torch.stack(by_hand).mean().item(), rel=1e-5)
    # negatives exclude image 0's padding (90 of 128 px wide) and positions with an ignored or positive anchor
    negative, positive = step.position_masks('negative'), step.position_masks('positive')
    assert not any((n & p).any() for n, p in zip(negative, positive))
    assert not negative[0][0, :, 12:].any() and negative[0][1, :, 12:].any()  # level 0, stride 8: x >= 96 px
    # through the algorithm: the factors are logged without 'loss' in their key (mmengine sums those)
    loss.mask = 'prediction'
    losses = model.loss(inputs, samples)
    assert {'distill.term.delta_f', 'distill.term.delta_p'} <= set(losses)
    expected_dp = torch.stack([(t.sigmoid() - s.sigmoid()).pow(2).sum(1).mean() for s, t in zip(outs_S[0], outs_T[0])])
    assert losses['distill.term.delta_p'].item() == pytest.approx(expected_dp.mean().item(), rel=1e-4)
    loss.mask = 'whole'
    assert 'distill.term.delta_p' not in model.loss(inputs, samples)


def test_build_time_errors():
    losses = dict(loss_rm=dict(type='mmkd.RankMimickingLoss'), loss_pfi=dict(type='mmkd.PFILoss'))
    with pytest.raises(ValueError, match='anchors/points differ.*octave|anchors/points differ'):
        build_slim('retinanet', losses, teacher_extra=dict(
            anchor_generator=dict(type='AnchorGenerator', octave_base_scale=3, scales_per_octave=3,
                                  ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32, 64, 128])))
    with pytest.raises(ValueError, match='cls_out_channels=20'):
        build_slim('gfl', losses, teacher_extra=dict(num_classes=20))
    with pytest.raises(ValueError, match='different families'):
        build_slim('retinanet', losses, teacher=PAIRS['atss'][0])
    cfg = distill_model_cfg('fcos', losses, slim=True)
    cfg['teacher']['neck']['out_channels'] = 64
    cfg['teacher']['bbox_head']['in_channels'] = 64
    with pytest.raises(ValueError, match='out_channels=64'):
        build_distill(cfg)
    with pytest.raises(TypeError, match='supported are'):
        build_slim('fcos', dict(loss=dict(type='mmrazor.ChannelWiseDivergence')))
    with pytest.raises(ValueError, match='teacher_trainable'):
        build_distill(dict(distill_model_cfg('fcos', losses, slim=True), teacher_trainable=True))


def test_adapter_is_the_students(models):
    model = models['fcos']
    assert type(model.distiller.adapter) is type(adapter_for_head(model.student.bbox_head))


def test_the_step_reads_the_positives_of_the_students_own_loss(models, monkeypatch):
    model = models['gfl']

    def no_second_assignment(*args, **kwargs):
        raise AssertionError('assigned again although the student loss recorded its targets')

    monkeypatch.setattr(model.distiller.adapter, 'assign', no_second_assignment)
    inputs, samples = batch()
    assert model.loss(inputs, samples)['distill.loss_rm'].item() > 0
