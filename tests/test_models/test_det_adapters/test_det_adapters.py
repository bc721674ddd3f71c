# Copyright (c) mmkd contributors. All rights reserved.
"""The adapters' positives are exactly the ones each head's loss trains on (its get_targets), with the right GT."""
import pytest
import torch
from mmdet.models.dense_heads import FreeAnchorRetinaHead

import mmkd  # noqa: F401
from mmkd.models.det_adapters import (
    AnchorHeadAdapter,
    ATSSHeadAdapter,
    FCOSHeadAdapter,
    GFLHeadAdapter,
    PositiveAssignment,
    adapter_for_head,
    flatten_level_outputs,
    imitation_masks,
)
from tests.helpers.det_models import PAIRS, build_detector, gt_instances, hand_made_batch

FEATMAP_SIZES = [(16, 16), (8, 8), (4, 4), (2, 2), (1, 1)]  # a 128x128 batch, strides 8..128
ADAPTER_TYPES = dict(retinanet=AnchorHeadAdapter, fcos=FCOSHeadAdapter, atss=ATSSHeadAdapter, gfl=GFLHeadAdapter)


@pytest.fixture(scope='module')
def heads():
    return {family: build_detector(student).bbox_head for family, (student, _) in PAIRS.items()}


def head_targets(family, head, gts, metas):
    """Per image: the head's own labels [P] and regression targets [P, 4] over the level-concatenated priors."""
    if family == 'fcos':
        points = head.prior_generator.grid_priors(FEATMAP_SIZES, device='cpu')
        labels, bbox_targets = head.get_targets(points, gts)  # per level, images concatenated
        per_level = [p.size(0) for p in points]
        labels = [torch.cat([lvl.split(n)[i] for lvl, n in zip(labels, per_level)]) for i in range(len(gts))]
        scale = head.strides if head.norm_on_bbox else [1] * len(points)  # get_targets divides by the stride then
        bbox_targets = [torch.cat([lvl.split(n)[i] * s for lvl, n, s in zip(bbox_targets, per_level, scale)])
                        for i in range(len(gts))]
        # FCOS trains every non-positive point as background (no ignored points)
        return labels, bbox_targets, torch.cat(points), [torch.ones_like(lbl, dtype=torch.bool) for lbl in labels]
    anchor_list, valid_flags = head.get_anchors(FEATMAP_SIZES, metas, device='cpu')
    anchors = torch.cat(anchor_list[0])
    targets = head.get_targets([list(a) for a in anchor_list], [list(v) for v in valid_flags], gts, metas)
    if family in ('atss', 'gfl'):  # these return the anchors first
        targets = targets[1:]
    labels, bbox_targets = torch.cat(targets[0], dim=1), torch.cat(targets[2], dim=1)
    trained = torch.cat(targets[1], dim=1) > 0  # label weight 0: ignored or invalid anchors
    return list(labels), list(bbox_targets), anchors, list(trained)


@pytest.mark.parametrize('family', list(PAIRS))
def test_positives_are_those_of_the_heads_loss(family, heads):
    head = heads[family]
    adapter = adapter_for_head(head)
    assert type(adapter) is ADAPTER_TYPES[family]
    gts, metas = hand_made_batch()
    assignments = adapter.assign(head, FEATMAP_SIZES, gts, metas)
    labels, bbox_targets, priors, trained = head_targets(family, head, gts, metas)
    for image, (assignment, gt) in enumerate(zip(assignments, gts)):
        expected = ((labels[image] >= 0) & (labels[image] < head.num_classes)).nonzero().squeeze(1)
        assert expected.numel() > 0
        assert torch.equal(assignment.pos_inds.sort().values, expected)
        # negatives: the background priors the loss trains on (ignored and invalid ones excluded)
        negatives = ((labels[image] == head.num_classes) & trained[image]).nonzero().squeeze(1)
        assert torch.equal(assignment.neg_inds.sort().values, negatives)
        if family != 'fcos':  # image 0 is padded: its invalid anchors are neither positive nor negative
            assert negatives.numel() + expected.numel() < priors.shape[0] or image == 1
        # the GT each positive is assigned to: its class and its regression target are the head's
        assert torch.equal(gt.labels[assignment.pos_gt_inds], labels[image][assignment.pos_inds])
        pos_priors, pos_gt_boxes = priors[assignment.pos_inds], gt.bboxes[assignment.pos_gt_inds]
        if family == 'fcos':
            encoded = torch.cat([pos_priors - pos_gt_boxes[:, :2], pos_gt_boxes[:, 2:] - pos_priors], dim=1)
        elif family == 'gfl' or head.reg_decoded_bbox:  # these targets are the GT boxes themselves
            encoded = pos_gt_boxes
        else:
            encoded = head.bbox_coder.encode(pos_priors, pos_gt_boxes)
        assert torch.allclose(encoded, bbox_targets[image][assignment.pos_inds], atol=1e-4)


def test_fcos_adapter_follows_the_heads_own_centre_sampling(heads):
    """The FCOS rows use mmdet's basic head (center_sampling=False, the released 36.6 AP teacher); with
    center_sampling=True the head's rule changes, and the adapter's positives follow it."""
    gts, metas = hand_made_batch()
    basic = heads['fcos']
    assert basic.center_sampling is False
    centred = build_detector(PAIRS['fcos'][0], center_sampling=True, center_sample_radius=1.5).bbox_head
    per_head = []
    for head in (basic, centred):
        labels = head_targets('fcos', head, gts, metas)[0]
        assignments = FCOSHeadAdapter().assign(head, FEATMAP_SIZES, gts, metas)
        for image, assignment in enumerate(assignments):
            expected = (labels[image] < head.num_classes).nonzero().squeeze(1)
            assert torch.equal(assignment.pos_inds.sort().values, expected)
        per_head.append(sum(a.pos_inds.numel() for a in assignments))
    assert per_head[1] < per_head[0]  # centre regions are smaller than the boxes


def test_padding_invalid_priors_are_mapped_back(heads):
    """Image 0 is padded to 96 px in a 128 px batch: anchors beyond its pad width are invalid, so the sampler's
    indices (into valid anchors) differ from the full-list indices the predictions use."""
    head = heads['retinanet']
    gts, metas = hand_made_batch()
    assignment = AnchorHeadAdapter().assign(head, FEATMAP_SIZES, gts, metas)[0]
    _, valid_flags = head.get_anchors(FEATMAP_SIZES, metas, device='cpu')
    valid = torch.cat(valid_flags[0])
    assert not valid.all() and valid[assignment.pos_inds].all()
    head.get_targets(*head.get_anchors(FEATMAP_SIZES, metas, device='cpu'), gts, metas, return_sampling_results=True)
    raw = head._raw_positive_infos['sampling_results'][0].pos_inds
    assert not torch.equal(raw.sort().values, assignment.pos_inds.sort().values)  # the mapping mattered
    assert torch.equal(valid.nonzero().squeeze(1)[raw].sort().values, assignment.pos_inds.sort().values)


def test_fcos_identical_boxes_of_different_classes_get_their_own_gt(heads):
    head = heads['fcos']
    gts, metas = hand_made_batch()
    assignment = FCOSHeadAdapter().assign(head, FEATMAP_SIZES, gts, metas)[0]
    assigned = set(assignment.pos_gt_inds.tolist())
    # GTs 2 and 3 are the same box (classes 5 and 2): FCOS gives the points to one of them; its label decides which
    assert len(assigned & {2, 3}) == 1


def test_no_gt_gives_no_positives(heads):
    metas = [dict(img_shape=(128, 128), pad_shape=(128, 128))]
    for family, head in heads.items():
        assignment = adapter_for_head(head).assign(head, FEATMAP_SIZES, [gt_instances([], [])], metas)[0]
        assert assignment.pos_inds.numel() == 0 and assignment.pos_gt_inds.numel() == 0, family


def test_unsupported_head_is_refused():
    head = FreeAnchorRetinaHead(num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1,
                                anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                                      scales_per_octave=3, ratios=[0.5, 1.0, 2.0],
                                                      strides=[8, 16, 32, 64, 128]))
    with pytest.raises(TypeError, match='FreeAnchorRetinaHead'):
        adapter_for_head(head)


def test_flatten_order_matches_priors():
    # channel a*C + c at (h, w) → row (h*W + w)*A + a, column c
    scores = torch.arange(2 * 6 * 2 * 3, dtype=torch.float).reshape(2, 6, 2, 3)  # A=3, C=2
    flat = flatten_level_outputs([scores], 2)
    assert flat.shape == (2, 18, 2)
    h, w, a, c = 1, 2, 2, 1
    assert flat[1, (h * 3 + w) * 3 + a, c] == scores[1, a * 2 + c, h, w]


def test_imitation_masks_on_a_hand_made_case(heads):
    head = heads['retinanet']  # A = 9 anchors per position
    sizes = [(2, 2), (1, 1), (1, 1), (1, 1), (1, 1)]  # the head has 5 levels: 4 + 4 positions, 72 anchors
    everything = torch.arange(72)
    # image 0: positives at prior 9*3 + 4 (level 0, position (1, 1)) and 9*4 + 0 (level 1, position (0, 0)); prior 5
    # (level 0, position (0, 0)) ignored by the assigner. Image 1: positive prior 2 (level 0, position (0, 0)).
    negatives_0 = everything[~torch.isin(everything, torch.tensor([31, 36, 5]))]
    negatives_1 = everything[everything != 2]
    assignments = [PositiveAssignment(torch.tensor([31, 36]), torch.tensor([0, 0]), negatives_0),
                   PositiveAssignment(torch.tensor([2]), torch.tensor([0]), negatives_1)]
    positive = imitation_masks(AnchorHeadAdapter(), head, 'positive', assignments, None, sizes, 'cpu')
    assert positive[0].tolist() == [[[False, False], [False, True]], [[True, False], [False, False]]]
    assert positive[1].tolist() == [[[True]], [[False]]]
    assert not any(mask.any() for mask in positive[2:])
    # image 1 is 16 px wide and 8 px high: level-0 centres (0 or 8 px, RetinaNet's center_offset 0) with y = 8 lie in
    # the padding
    metas = [dict(img_shape=(128, 128)), dict(img_shape=(8, 16))]
    negative = imitation_masks(AnchorHeadAdapter(), head, 'negative', assignments, None, sizes, 'cpu',
                               batch_img_metas=metas)
    assert negative[0].tolist() == [[[False, True], [True, False]], [[False, True], [False, False]]]
    assert negative[1].tolist() == [[[False]], [[True]]]
    assert all(mask.tolist() == [[[True]], [[True]]] for mask in negative[2:])
    with pytest.raises(ValueError, match='needs batch_img_metas'):
        imitation_masks(AnchorHeadAdapter(), head, 'negative', assignments, None, sizes, 'cpu')
    unknown = [PositiveAssignment(torch.tensor([2]), torch.tensor([0]))]
    with pytest.raises(ValueError, match='neg_inds'):
        imitation_masks(AnchorHeadAdapter(), head, 'negative', unknown, None, sizes, 'cpu', batch_img_metas=metas[:1])
    # level-0 centres (stride 8, RetinaNet's center_offset 0) at 0 and 8 px; coarser levels: one centre at 0
    gts = [gt_instances([[6, -2, 10, 3]], [0]), gt_instances([[-1, -1, 1, 1]], [0])]
    gt_box = imitation_masks(AnchorHeadAdapter(), head, 'gt_box', None, gts, sizes, 'cpu')
    assert gt_box[0].tolist() == [[[False, True], [False, False]], [[True, False], [False, False]]]
    assert all(mask.tolist() == [[[False]], [[True]]] for mask in gt_box[1:])


def random_head_outputs(family, head, num_images=2):
    """Random tensors shaped like the head's outputs on a 128x128 batch."""
    generator = torch.Generator().manual_seed(0)
    per_prior = head.prior_generator.num_base_priors[0]
    box_channels = 4 * (head.reg_max + 1) if family == 'gfl' else 4
    channels = [per_prior * head.cls_out_channels, per_prior * box_channels]
    if family in ('fcos', 'atss'):
        channels.append(per_prior)  # centerness
    return tuple([torch.randn(num_images, c, h, w, generator=generator) for h, w in FEATMAP_SIZES] for c in channels)


@pytest.mark.parametrize('family', list(PAIRS))
def test_recorded_assignment_of_the_loss_equals_a_fresh_one(family, heads):
    head = heads[family]
    adapter = adapter_for_head(head)
    gts, metas = hand_made_batch()
    with adapter.recording(head) as records:
        head.loss_by_feat(*random_head_outputs(family, head), gts, metas)
    assert '_get_targets_single' not in vars(head)  # the class method is back
    assert len(records) == 2  # one target computation per image
    for recorded, fresh in zip(adapter.assign_from_records(head, records),
                               adapter.assign(head, FEATMAP_SIZES, gts, metas)):
        assert torch.equal(recorded.pos_inds, fresh.pos_inds)
        assert torch.equal(recorded.pos_gt_inds, fresh.pos_gt_inds)
        assert torch.equal(recorded.neg_inds, fresh.neg_inds)
