# Copyright (c) mmkd contributors. All rights reserved.
"""Open for extension: a loss and an adapter registered outside mmkd (here, in this test module) plug into
DenseDetectionDistiller without changing it; the per-step inputs; soft labels normalised by the positives; the
teacher's own image normalisation (caffe-style teacher, PyTorch-style student)."""
import pytest
import torch
from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.models.dense_heads import GFLHead
from torch import nn

import mmkd  # noqa: F401
from mmkd.models.det_adapters import DetDistillStepInputs, GFLHeadAdapter, adapter_for_head
from mmkd.models.distillers.dense_detection_distiller import stat_key
from mmkd.models.losses import PFILoss, SigmoidSoftLabelKDLoss
from mmkd.registry import MODELS, TASK_UTILS
from tests.helpers.det_models import build_distill, det_data_samples, distill_model_cfg, hand_made_batch


class ToyPositiveCountLoss(nn.Module):
    """A user's loss: mean squared FPN difference on the first level, times the number of positives; logs both."""
    step_inputs = frozenset({'feats', 'positives'})

    def forward_step(self, inputs: DetDistillStepInputs) -> dict:
        diff = (inputs.student_feats[0] - inputs.teacher_feats[0].detach()).pow(2).mean()
        return dict(loss=diff * inputs.num_positives, positives=inputs.num_positives, diff=diff.detach())


class CountingGFLAdapter(GFLHeadAdapter):
    """A user's adapter: GFL's, counting its fresh assignments."""
    calls = 0

    def assign(self, *args, **kwargs):
        type(self).calls += 1
        return super().assign(*args, **kwargs)


class MyGFLHead(GFLHead):
    """A user's head subclass that keeps GFL's assignment and loss."""


class MyGFLHeadAdapter(GFLHeadAdapter):
    head_types = (MyGFLHead, )
    target_method_owner = GFLHead


@pytest.fixture(scope='module', autouse=True)
def user_registrations():
    """Register the user's classes as their project would (``custom_imports``), and remove them afterwards."""
    MODELS.register_module(module=ToyPositiveCountLoss)
    for adapter in (CountingGFLAdapter, MyGFLHeadAdapter):
        TASK_UTILS.register_module(module=adapter)
    yield
    MODELS._module_dict.pop('ToyPositiveCountLoss')
    for adapter in (CountingGFLAdapter, MyGFLHeadAdapter):
        TASK_UTILS._module_dict.pop(adapter.__name__)


def batch():
    gts, metas = hand_made_batch()
    return torch.randn(2, 3, 128, 128, generator=torch.Generator().manual_seed(0)), det_data_samples(gts, metas)


def test_a_loss_registered_outside_mmkd_trains_with_its_declared_inputs():
    model = build_distill(distill_model_cfg('gfl', dict(loss_toy=dict(type='mmkd.ToyPositiveCountLoss')), slim=True))
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    # by hand: the same features, and the positives of GFL's own assignment (ATSS) of this batch
    with torch.no_grad():
        feats_S, feats_T = model.student.extract_feat(inputs), model.teacher.extract_feat(inputs)
    diff = (feats_S[0] - feats_T[0]).pow(2).mean()
    gts, metas = [s.gt_instances for s in samples], [s.metainfo for s in samples]
    sizes = [tuple(f.shape[-2:]) for f in feats_S]
    positives = sum(a.pos_inds.numel() for a in model.distiller.assign(model.student.bbox_head, sizes, gts, metas,
                                                                       None, inputs.device))
    assert positives > 0
    assert losses['distill.toy.positives'].item() == positives
    assert losses['distill.toy.diff'].item() == pytest.approx(diff.item(), rel=1e-5)
    assert losses['distill.loss_toy'].item() == pytest.approx(positives * diff.item(), rel=1e-5)
    # mmengine sums only the keys with 'loss': the statistics are logged, not trained
    total, logs = model.parse_losses(losses)
    assert 'distill.toy.diff' in logs and 'distill.toy.positives' in logs
    trained = sum(float(v) for k, v in logs.items() if 'loss' in k and k != 'loss')
    assert total.item() == pytest.approx(trained, rel=1e-5)
    losses['distill.loss_toy'].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.student.neck.parameters())


def test_losses_without_the_protocol_are_refused_at_build():
    with pytest.raises(TypeError, match='step_inputs / forward_step'):
        build_distill(distill_model_cfg('gfl', dict(loss=dict(type='mmrazor.ChannelWiseDivergence')), slim=True))

    class Bad(ToyPositiveCountLoss):
        step_inputs = frozenset({'feats', 'anchors'})

    MODELS.register_module(module=Bad, force=True)
    try:
        with pytest.raises(ValueError, match="declares step_inputs \\['anchors'\\]"):
            build_distill(distill_model_cfg('gfl', dict(loss=dict(type='mmkd.Bad')), slim=True))
    finally:
        MODELS._module_dict.pop('Bad')


def test_adapter_override_and_the_most_specific_registered_adapter():
    cfg = distill_model_cfg('gfl', dict(loss_rm=dict(type='mmkd.RankMimickingLoss')), slim=True)
    cfg['distiller']['adapter'] = dict(type='mmkd.CountingGFLAdapter')
    model = build_distill(cfg)
    assert type(model.distiller.adapter) is CountingGFLAdapter
    inputs, samples = batch()
    before = CountingGFLAdapter.calls
    model.calculate_student_loss = False  # no recorded targets: the adapter assigns
    assert model.loss(inputs, samples)['distill.loss_rm'].item() > 0
    assert CountingGFLAdapter.calls == before + 1  # once per step, shared by the losses
    # automatic choice: the registered adapter closest to the head's class in its MRO
    gfl = model.student.bbox_head
    mine = MyGFLHead(num_classes=80, in_channels=32, feat_channels=32, stacked_convs=1,
                     anchor_generator=dict(type='AnchorGenerator', ratios=[1.0], octave_base_scale=8,
                                           scales_per_octave=1, strides=[8, 16, 32, 64, 128]))
    assert type(adapter_for_head(gfl)) is GFLHeadAdapter
    assert type(adapter_for_head(mine)) is MyGFLHeadAdapter
    cfg['distiller']['adapter'] = 'mmkd.FCOSHeadAdapter'
    with pytest.raises(TypeError, match='FCOSHeadAdapter does not support GFLHead'):
        build_distill(cfg)


def test_step_inputs_are_computed_once_and_soft_labels_divide_by_the_positives():
    model = build_distill(distill_model_cfg('retinanet', dict(loss_kd=dict(type='mmkd.SigmoidSoftLabelKDLoss')),
                                            slim=True))
    inputs, samples = batch()
    gts, metas = [s.gt_instances for s in samples], [s.metainfo for s in samples]
    with torch.no_grad():
        feats_S, feats_T = model.student.extract_feat(inputs), model.teacher.extract_feat(inputs)
        outs_S, outs_T = model.student.bbox_head(feats_S), model.teacher.bbox_head(feats_T)
    step = DetDistillStepInputs(model.distiller.adapter, model.student.bbox_head, model.teacher.bbox_head, feats_S,
                                feats_T, outs_S, outs_T, gts, metas)
    assert step.assignments is step.assignments  # cached
    positives = sum(a.pos_inds.numel() for a in step.assignments)
    assert step.num_positives.item() == positives > 0
    loss = model.distiller.distill_losses['loss_kd']
    assert loss.step_inputs == {'head_outs', 'positives'}
    mean = SigmoidSoftLabelKDLoss(reduction='mean')(outs_S[0], outs_T[0])
    elements = sum(score.numel() for score in outs_S[0])
    # sum over classes, anchors and positions, / positives = (mean over every element) x elements / positives
    assert loss.forward_step(step).item() == pytest.approx(mean.item() * elements / positives, rel=1e-5)
    with pytest.raises(ValueError, match='needs avg_factor'):
        loss(outs_S[0], outs_T[0])


def test_pfi_sum_is_ac_times_k_the_mean_form():
    torch.manual_seed(0)
    f_S, f_T = torch.randn(2, 8, 3, 4), torch.randn(2, 8, 3, 4)  # K = 8
    c_S, c_T = torch.randn(2, 9 * 4, 3, 4), torch.randn(2, 9 * 4, 3, 4)  # A = 9, C = 4
    summed, stats = PFILoss().loss_and_stats([f_S], [f_T], [c_S], [c_T])
    mean = PFILoss(pred_reduction='mean', feat_reduction='mean')([f_S], [f_T], [c_S], [c_T])
    assert summed.item() == pytest.approx(mean.item() * 36 * 8, rel=1e-5)
    assert stats['delta_f'].item() == pytest.approx((f_T - f_S).pow(2).sum(1).mean().item(), rel=1e-6)
    assert stats['delta_p'].item() == pytest.approx((c_T.sigmoid() - c_S.sigmoid()).pow(2).sum(1).mean().item(),
                                                    rel=1e-6)
    with pytest.raises(ValueError, match='feat_reduction must be one of'):
        PFILoss(feat_reduction='max')


def test_log_keys_never_contain_loss():
    assert stat_key('loss_pfi', 'delta_p') == 'pfi.delta_p'
    assert stat_key('pfi_loss', 'delta_f') == 'pfi.delta_f'
    assert stat_key('myloss_rm', 'cls') == 'myterm_rm.cls'


def test_caffe_teacher_gets_its_own_normalisation():
    caffe = dict(type='DetDataPreprocessor', mean=[102.9801, 115.9465, 122.7717], std=[1.0, 1.0, 1.0],
                 bgr_to_rgb=False, pad_size_divisor=32)
    cfg = distill_model_cfg('fcos', dict(loss_pfi=dict(type='mmkd.PFILoss')), slim=True)
    cfg['teacher']['data_preprocessor'] = caffe
    model = build_distill(cfg)
    assert isinstance(model.data_preprocessor, DetDataPreprocessor)
    generator = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, 60, 90), generator=generator, dtype=torch.uint8),
              torch.randint(0, 256, (3, 64, 64), generator=generator, dtype=torch.uint8)]
    gts, _ = hand_made_batch()
    metas = [dict(img_shape=(60, 90), ori_shape=(60, 90), scale_factor=(1., 1.)),
             dict(img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1., 1.))]

    def data():
        samples = det_data_samples(gts, metas)
        return dict(inputs=[image.clone() for image in images], data_samples=samples)

    student = model.data_preprocessor(data(), False)
    teacher = model.teacher.data_preprocessor(data(), False)
    assert student['inputs'].shape == teacher['inputs'].shape == (2, 3, 64, 96)
    assert not torch.allclose(student['inputs'], teacher['inputs'], atol=1.0)  # RGB/std vs BGR/caffe differ
    converted = model.teacher_inputs(student['inputs'], [s.metainfo for s in student['data_samples']])
    assert torch.allclose(converted, teacher['inputs'], atol=1e-3)
    # same normalisation: the batch itself
    model_same = build_distill(distill_model_cfg('fcos', dict(loss_pfi=dict(type='mmkd.PFILoss')), slim=True))
    assert model_same.teacher_inputs(student['inputs'], metas) is student['inputs']
