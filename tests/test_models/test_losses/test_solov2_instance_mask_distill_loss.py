# Copyright (c) mmkd contributors. All rights reserved.
"""BPKD / CWD on SOLOv2 instance masks (BPKD supplementary Table 4): targets, mask logits, loss values, gradients, and
one distillation iteration of the BPKD and CWD row configs with tiny SOLOv2 models on the synthetic COCO (CPU)."""
import copy
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.models.dense_heads import SOLOV2Head
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config, ConfigDict
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from mmrazor.models.losses import ChannelWiseDivergence

from mmkd.models.losses import BPKDLoss, SOLOv2InstanceMaskDistillLoss
from mmkd.models.recorders import BoundMethodInputsRecorder
from mmkd.models.utils import binary_to_two_class_logits, bpkd_edge_mask, solov2_mask_logits, solov2_positive_targets
from tests.helpers.tools import REPO_ROOT

BPKD_ROW = 'configs/bpkd/bpkd_solov2-x101-dcn_solov2-light-r18_fpn_8xb2-1x_coco.py'
CWD_ROW = 'configs/cwd/cwd-masks_solov2-x101-dcn_solov2-light-r18_fpn_8xb2-1x_coco.py'


def one_level_head(num_grid: int = 4) -> SOLOV2Head:
    """A SOLOv2 head with one FPN level (stride 8), one grid, every instance size in range; mask stride 4."""
    return SOLOV2Head(
        num_classes=3, in_channels=32, feat_channels=32, stacked_convs=1, strides=[8], scale_ranges=((1, 2048), ),
        pos_scale=0.2, num_grids=[num_grid], cls_down_index=0,
        mask_feature_head=dict(feat_channels=32, start_level=0, end_level=0, out_channels=32, mask_stride=4,
                               norm_cfg=dict(type='GN', num_groups=32, requires_grad=True)))


def square_instance(image_size: int = 32, top_left: int = 8, side: int = 16, label: int = 1) -> InstanceData:
    masks = np.zeros((1, image_size, image_size), np.uint8)
    masks[0, top_left:top_left + side, top_left:top_left + side] = 1
    gt = InstanceData()
    gt.labels = torch.tensor([label])
    gt.bboxes = torch.tensor([[top_left, top_left, top_left + side, top_left + side]], dtype=torch.float32)
    gt.masks = BitmapMasks(masks, image_size, image_size)
    return gt


def test_instance_targets_and_boundary_band_equal_hand_built_case():
    # A 16x16 square at (8, 8) in a 32x32 image; mask features at stride 4 -> 8x8.
    head = one_level_head(num_grid=4)
    gt = [square_instance()]
    positives, targets = solov2_positive_targets(head, gt, (8, 8))
    # centre of mass (15.5, 15.5) -> cell (1, 1); centre region +-0.2 * 8 px -> rows/cols 1..2 of the 4x4 grid
    assert positives == [(0, 0, [5, 6, 9, 10])]
    expected_target = torch.zeros(8, 8, dtype=torch.long)
    expected_target[2:6, 2:6] = 1  # the square at stride 4
    assert targets.shape == (4, 8, 8) and targets.dtype == torch.long
    assert all(torch.equal(t, expected_target) for t in targets)

    # BPKD's band with edge_width=3: pixels whose 3x3 neighbourhood holds instance and background, i.e. the ring of
    # width 2 around the square's contour, the same for both channels (background, instance)
    expected_band = torch.zeros(8, 8)
    expected_band[1:7, 1:7] = 1
    expected_band[3:5, 3:5] = 0
    edge_mask, valid = bpkd_edge_mask(targets, 2, (8, 8), edge_width=3)
    assert edge_mask.shape == (4, 2, 8, 8) and int(expected_band.sum()) == 32
    assert torch.equal(edge_mask, expected_band.expand(4, 2, 8, 8)) and bool(valid.all())
    # no cache: a second call computes equal targets afresh (BPKDLoss's two terms run inside one wrapper call)
    again = solov2_positive_targets(head, gt, (8, 8))[1]
    assert again is not targets and torch.equal(again, targets)


def uniform_kernel_case(student_value: float, teacher_value: float):
    """One-level head and GT above; kernels and mask features that give constant mask logits everywhere."""
    head = one_level_head(num_grid=4)
    gt = [square_instance()]
    mask_feats_S = torch.zeros(1, 32, 8, 8)
    mask_feats_S[:, 0] = 1
    mask_feats_T = torch.zeros(1, 64, 8, 8)  # a wider teacher: its own kernels, same logits shape
    mask_feats_T[:, 5] = 1
    kernels_S = torch.zeros(1, 32, 4, 4)
    kernels_S[:, 0] = student_value
    kernels_T = torch.zeros(1, 64, 4, 4)
    kernels_T[:, 5] = teacher_value
    return head, gt, [kernels_S.requires_grad_()], mask_feats_S.requires_grad_(), [kernels_T.requires_grad_()], \
        mask_feats_T.requires_grad_()


def bernoulli_kl(p: float, q: float) -> float:
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize('reduction', ['mean', 'class_sum'])
def test_edge_loss_on_instance_masks_hand_computed(reduction):
    head, gt, kernels_S, feats_S, kernels_T, feats_T = uniform_kernel_case(student_value=1.0, teacher_value=3.0)
    loss = SOLOv2InstanceMaskDistillLoss(loss=dict(
        type='mmkd.BPKDLoss', edge_tau=2.0, edge_width=3, class_weights=1.5, edge_weight=1.0,
        edge_reduction=reduction))
    value = loss(head, kernels_S, feats_S, gt, kernels_T, feats_T)['edge']
    # every positive cell: z_s = 1, z_t = 3 everywhere; the binary band (32 of the 64 cells of each of the 2 class
    # channels; pooling is the identity here) leaves the logits unchanged inside it; per pixel
    # phi = KL(Bern(sigmoid(3/2)) || Bern(sigmoid(1/2))) on the band, x alpha, x T^2.
    # mean: 2 * 32 * alpha * phi / (2 * 64) per cell; class_sum: per class 32 * alpha * phi / 32, summed over 2
    phi = bernoulli_kl(sigmoid(1.5), sigmoid(0.5))
    assert phi == pytest.approx(0.090238, rel=1e-4)
    expected = 4.0 * 1.5 * phi * {'mean': 0.5, 'class_sum': 2}[reduction]
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_zero_when_student_equals_teacher_and_gradients_only_into_student():
    head, gt, kernels_S, feats_S, kernels_T, feats_T = uniform_kernel_case(student_value=1.0, teacher_value=1.0)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():  # non-uniform logits: the same function of the input for teacher and student
        feats_S.copy_(torch.randn(feats_S.shape, generator=generator))
        feats_T.zero_()
        feats_T[:, 5] = feats_S[:, 0]
    losses = dict(
        bpkd=dict(type='mmkd.BPKDLoss', edge_width=3),
        bpkd_masked=dict(type='mmkd.BPKDLoss', edge_width=3, body_softmax='masked'),
        cwd=dict(type='mmrazor.ChannelWiseDivergence', tau=1, loss_weight=5))

    def terms(value):
        return value if isinstance(value, dict) else dict(value=value)

    for name, cfg in losses.items():
        value = SOLOv2InstanceMaskDistillLoss(loss=cfg)(head, kernels_S, feats_S, gt, kernels_T, feats_T)
        for term, tensor in terms(value).items():
            assert tensor.item() == pytest.approx(0, abs=1e-5), (name, term)

    with torch.no_grad():
        kernels_S[0].mul_(-2.0)  # the student now differs from the teacher
    for name, cfg in losses.items():
        for tensor in (*kernels_S, feats_S, *kernels_T, feats_T):
            tensor.grad = None
        value = terms(SOLOv2InstanceMaskDistillLoss(loss=cfg)(head, kernels_S, feats_S, gt, kernels_T, feats_T))
        sum(value.values()).backward()
        assert all(tensor.item() > 1e-3 for tensor in value.values()), (name, value)
        assert kernels_S[0].grad.abs().sum() > 0 and feats_S.grad.abs().sum() > 0, name
        assert kernels_T[0].grad is None and feats_T.grad is None, name


def test_inner_losses_see_two_class_maps_of_the_sigmoid_logits():
    logits = torch.tensor([[[-2.0, 0.0, 3.0]]])
    two_class = binary_to_two_class_logits(logits)
    assert two_class.shape == (1, 2, 1, 3)
    assert torch.allclose(two_class.softmax(dim=1)[:, 1], logits.sigmoid())
    # CWD through the wrapper equals mmrazor's CWD on the same 2-class maps
    head, gt, kernels_S, feats_S, kernels_T, feats_T = uniform_kernel_case(student_value=1.0, teacher_value=3.0)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        feats_S.copy_(torch.randn(feats_S.shape, generator=generator))
        feats_T.copy_(torch.randn(feats_T.shape, generator=generator))
    wrapped = SOLOv2InstanceMaskDistillLoss(loss=dict(type='mmrazor.ChannelWiseDivergence', tau=2, loss_weight=3))
    positives, targets = solov2_positive_targets(head, gt, (8, 8))
    preds_S = binary_to_two_class_logits(solov2_mask_logits(kernels_S, feats_S, positives))
    preds_T = binary_to_two_class_logits(solov2_mask_logits(kernels_T, feats_T, positives))
    expected = ChannelWiseDivergence(tau=2, loss_weight=3)(preds_S, preds_T)
    assert wrapped(head, kernels_S, feats_S, gt, kernels_T, feats_T).item() == pytest.approx(expected.item(), rel=1e-6)
    bpkd = SOLOv2InstanceMaskDistillLoss(loss=dict(type='mmkd.BPKDLoss', edge_width=3))
    wrapped_terms = bpkd(head, kernels_S, feats_S, gt, kernels_T, feats_T)
    direct_terms = BPKDLoss(edge_width=3)(preds_S, preds_T, targets)
    assert set(wrapped_terms) == {'edge', 'body'}
    for term in ('edge', 'body'):
        assert wrapped_terms[term].item() == pytest.approx(direct_terms[term].item(), rel=1e-6)


def test_no_positive_cells_gives_zero_and_bad_inputs_raise():
    head, _, kernels_S, feats_S, kernels_T, feats_T = uniform_kernel_case(1.0, 3.0)
    empty = InstanceData()
    empty.labels = torch.zeros(0, dtype=torch.long)
    empty.bboxes = torch.zeros(0, 4)
    empty.masks = BitmapMasks(np.zeros((0, 32, 32), np.uint8), 32, 32)
    loss = SOLOv2InstanceMaskDistillLoss(loss=dict(type='mmkd.BPKDLoss', edge_width=3))
    value = loss(head, kernels_S, feats_S, [empty], kernels_T, feats_T)
    assert set(value) == {'edge', 'body'}  # the same log entries as a step with positives
    assert all(v.item() == 0 and not torch.isnan(v) and v.requires_grad for v in value.values())
    cwd = SOLOv2InstanceMaskDistillLoss(loss=dict(type='mmrazor.ChannelWiseDivergence', tau=1, loss_weight=5))
    value = cwd(head, kernels_S, feats_S, [empty], kernels_T, feats_T)
    assert torch.is_tensor(value) and value.item() == 0 and value.requires_grad
    with pytest.raises(ValueError, match='different grids'):
        loss(head, kernels_S, feats_S, [square_instance()], [torch.zeros(1, 64, 5, 5)], feats_T)
    with pytest.raises(ValueError, match='not mask_feats width'):
        loss(head, [torch.zeros(1, 48, 4, 4)], feats_S, [square_instance()], kernels_T, feats_T)
    with pytest.raises(TypeError, match='SOLOV2Head'):
        loss(torch.nn.Identity(), kernels_S, feats_S, [square_instance()], kernels_T, feats_T)
    with pytest.raises(TypeError, match='loss config dict'):
        SOLOv2InstanceMaskDistillLoss(loss='BPKDLoss')


# ---- the row configs with tiny SOLOv2 models on the synthetic COCO ------------------------------------------------

def tiny_solov2(row_config: str, mask_channels: int) -> ConfigDict:
    """The model of a teacher/student row config at narrow widths (ResNet base width 8, 4 ResNeXt groups), random
    init. The structure stays: the teacher keeps a ResNeXt (50 layers here) with DCNv2 in stages 2-4 and its DCNv2
    head, the student R18 and the light head's scale ranges; both keep their grids."""
    model = Config.fromfile(osp.join(REPO_ROOT, row_config)).model
    expansion = 4 if model.backbone.depth >= 50 else 1
    model.backbone.update(base_channels=8, init_cfg=None)
    if 'groups' in model.backbone:  # ResNeXt 64x4d: 64 groups of 4 would be 256 channels even at base width 8;
        # 50 layers instead of 101: mmcv's CPU DCNv2 is slow, and depth changes nothing KD sees
        model.backbone.update(groups=4, depth=50)
    model.neck.update(in_channels=[8 * expansion * 2**i for i in range(4)], out_channels=32)
    # one stacked conv per branch: the teacher's head applies DCNv2 to every one of them at all 5 levels
    model.mask_head.update(in_channels=32, feat_channels=mask_channels, stacked_convs=1)
    model.mask_head.mask_feature_head.update(feat_channels=32, out_channels=mask_channels)
    model._scope_ = 'mmdet'
    return model


@pytest.fixture(scope='module')
def coco_batch(tmp_path_factory):
    """Two synthetic COCO images with instances, loaded by mmdet's CocoDataset at 128x128 with masks."""
    from mmdet.registry import DATASETS

    from mmkd.testing.synthetic import generate_synthetic_coco
    root = tmp_path_factory.mktemp('data') / 'coco'
    generate_synthetic_coco(str(root), num_train=4, num_val=1, height=128, width=128, seed=0)
    init_default_scope('mmdet')
    dataset = DATASETS.build(dict(
        type='CocoDataset', data_root=f'{root}/', ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'), filter_cfg=dict(filter_empty_gt=True),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
                  dict(type='Resize', scale=(128, 128), keep_ratio=True), dict(type='PackDetInputs')]))
    batch = pseudo_collate([dataset[0], dataset[1]])
    assert all(len(sample.gt_instances) > 0 for sample in batch['data_samples'])
    return batch


def build_row_with_tiny_models(row_config: str) -> torch.nn.Module:
    cfg = Config.fromfile(osp.join(REPO_ROOT, row_config))
    cfg.model.teacher_ckpt = None
    cfg.model.architecture = tiny_solov2('configs/seg_baselines/solov2-light_r18_fpn_8xb2-1x_coco.py', 32)
    cfg.model.teacher = tiny_solov2('configs/seg_baselines/solov2_x101-dcn_fpn_8xb2-ms-3x_coco.py', 64)
    init_default_scope('mmrazor')
    torch.manual_seed(0)
    return ROOT_MODELS.build(cfg.model)


def test_student_mask_logits_equal_those_of_its_dice_loss(coco_batch):
    """The recorder hands over the head and its loss inputs; our cells, targets and logits from them are exactly what
    the student's own SOLOv2 loss computes."""
    init_default_scope('mmdet')
    torch.manual_seed(0)
    student = ROOT_MODELS.build(tiny_solov2('configs/seg_baselines/solov2-light_r18_fpn_8xb2-1x_coco.py', 32))
    dice_inputs = []
    handle = student.mask_head.loss_mask.register_forward_hook(
        lambda module, args, output: dice_inputs.append((args[0].detach(), args[1])))
    recorder = BoundMethodInputsRecorder('mmdet.models.dense_heads.SOLOV2Head.loss_by_feat')
    recorder.initialize(student)
    with recorder:
        student(**student.data_preprocessor(copy.deepcopy(coco_batch), True), mode='loss')
    handle.remove()
    assert len(recorder.data_buffer) == 1
    head, kernel_preds, cls_preds, mask_feats, gt_instances, img_metas = recorder.get_record_data()
    assert head is student.mask_head and len(kernel_preds) == len(cls_preds) == 5 and len(img_metas) == 2
    positives, targets = solov2_positive_targets(head, gt_instances, mask_feats.shape[2:])
    logits = solov2_mask_logits(kernel_preds, mask_feats, positives)
    assert len(positives) >= 2 and logits.shape[0] == targets.shape[0] > 0
    assert torch.allclose(logits.detach(), torch.cat([preds for preds, _ in dice_inputs]), atol=1e-6)
    assert torch.equal(targets, torch.cat([target for _, target in dice_inputs]).long())


@pytest.mark.slow  # ~10 s per row on an idle 2-core CPU (mmcv's CPU DCNv2 in the teacher), more under load
@pytest.mark.parametrize('row, distill_losses', [(BPKD_ROW, ['loss_bpkd_edge', 'loss_bpkd_body']),
                                                     (CWD_ROW, ['loss_cwd'])])
def test_one_distillation_iteration_of_the_row(row, distill_losses, coco_batch):
    model = build_row_with_tiny_models(row)
    model.train()
    optim_wrapper = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01))
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    kernel_before = model.student.mask_head.conv_kernel.weight.detach().clone()

    log_vars = model.train_step(copy.deepcopy(coco_batch), optim_wrapper)

    # one record per model, each of its own head (the method is patched on the shared class only inside each
    # model's recorder context)
    for recorders, head in ((model.distiller.student_recorders, model.student.mask_head),
                            (model.distiller.teacher_recorders, model.teacher.mask_head)):
        buffer = recorders.get_recorder('head_loss_inputs').data_buffer
        assert len(buffer) == 1 and buffer[0][0] is head
    for name in [f'distill.{loss}' for loss in distill_losses] + ['student.loss_mask', 'student.loss_cls']:
        assert name in log_vars and math.isfinite(float(log_vars[name])), (name, log_vars)
    for loss in distill_losses:
        assert float(log_vars[f'distill.{loss}']) > 0, (loss, log_vars)
    assert all(torch.equal(teacher_before[k], v) for k, v in model.teacher.state_dict().items())
    assert all(p.grad is None for p in model.teacher.parameters())
    assert not torch.equal(kernel_before, model.student.mask_head.conv_kernel.weight)


@pytest.mark.slow
def test_bpkd_row_trains_through_tools_train(tmp_path):
    """tools/train.py on the BPKD row with only the models narrowed and the data pointed at a synthetic COCO: the
    row's own optimiser (SGD, grad clipping), schedulers, hooks and checkpointing run for one iteration; the
    checkpoint converts to a plain mmdet SOLOv2 student (tools/model_converters/distill_to_student.py)."""
    import sys

    from mmkd.testing.synthetic import generate_synthetic_coco
    from mmkd.utils import safe_torch_load
    from tests.helpers.tools import run_tool
    data_root = tmp_path / 'coco'
    generate_synthetic_coco(str(data_root), num_train=3, num_val=1, height=128, width=128, seed=1)
    student = tiny_solov2('configs/seg_baselines/solov2-light_r18_fpn_8xb2-1x_coco.py', 32).to_dict()
    teacher = tiny_solov2('configs/seg_baselines/solov2_x101-dcn_fpn_8xb2-ms-3x_coco.py', 64).to_dict()
    config = tmp_path / 'bpkd_tiny_solov2_synthcoco.py'
    config.write_text(f'''
_base_ = ['{osp.join(REPO_ROOT, BPKD_ROW)}']
model = dict(architecture=dict(_delete_=True, **{student!r}), teacher=dict(_delete_=True, **{teacher!r}),
             teacher_ckpt=None)
train_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(128, 128), keep_ratio=True), dict(type='PackDetInputs')]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{data_root}/', pipeline=train_pipeline))
train_cfg = dict(max_epochs=1)
val_cfg = None
val_dataloader = None
val_evaluator = None
default_hooks = dict(logger=dict(interval=1))
''')
    work_dir = tmp_path / 'work'
    result = run_tool([sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir)])
    assert result.returncode == 0, result.stderr[-5000:]
    log = result.stdout + result.stderr
    train_line = log.split('Epoch(train)')[-1].split('\n')[0]
    for name in ('distill.loss_bpkd_edge', 'distill.loss_bpkd_body', 'student.loss_mask', 'student.loss_cls'):
        assert f'{name}: ' in train_line, (name, log[-2000:])
    assert 'nan' not in train_line.lower()
    checkpoint = safe_torch_load(str(work_dir / 'epoch_1.pth'))
    assert checkpoint['meta']['epoch'] == 1
    assert any(key.startswith('architecture.mask_head.') for key in checkpoint['state_dict'])

    # the distilled student converts to a plain mmdet SOLOv2 checkpoint that loads strictly into the student model
    student_ckpt = tmp_path / 'student.pth'
    result = run_tool([sys.executable, 'tools/model_converters/distill_to_student.py', str(work_dir / 'epoch_1.pth'),
                       str(student_ckpt)])
    assert result.returncode == 0, result.stderr[-3000:]
    from mmengine.runner import load_checkpoint
    init_default_scope('mmdet')
    plain_student = ROOT_MODELS.build(ConfigDict(student))
    load_checkpoint(plain_student, str(student_ckpt), strict=True)
    assert torch.equal(plain_student.mask_head.conv_kernel.weight,
                       checkpoint['state_dict']['architecture.mask_head.conv_kernel.weight'])
