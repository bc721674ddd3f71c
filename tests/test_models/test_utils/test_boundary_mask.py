# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch

from mmkd.models.utils import bpkd_edge_mask, class_boundary_mask


def two_class_labels():
    """4x4 map: columns 0-1 class 0, columns 2-3 class 1."""
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[:, :, 2:] = 1
    return labels


def test_band_of_a_vertical_boundary():
    band = class_boundary_mask(two_class_labels(), num_classes=2, edge_width=3)
    expected_columns = torch.tensor([0., 1., 1., 0.]).expand(4, 4)
    assert band.shape == (1, 2, 4, 4)
    assert torch.equal(band[0, 0], expected_columns) and torch.equal(band[0, 1], expected_columns)
    # radius 2: the band reaches two columns on each side, i.e. the whole map; the image border is no boundary
    assert torch.equal(class_boundary_mask(two_class_labels(), 2, edge_width=5)[0, 0], torch.ones(4, 4))
    single_class = torch.zeros(1, 4, 4, dtype=torch.long)
    assert class_boundary_mask(single_class, 2, edge_width=3).sum() == 0


def test_compute_iters_gives_the_same_mask():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 5, (2, 9, 11), generator=generator).repeat_interleave(3, 1).repeat_interleave(3, 2)
    labels[0, :4, :5] = 255
    one_pass = class_boundary_mask(labels, 5, edge_width=7)
    assert torch.equal(one_pass, class_boundary_mask(labels, 5, edge_width=7, compute_iters=3))  # 3 x 3x3
    assert torch.equal(one_pass, class_boundary_mask(labels, 5, edge_width=7, compute_iters=1))
    assert 0 < one_pass.mean() < 1
    with pytest.raises(ValueError, match='compute_iters=2'):
        class_boundary_mask(labels, 5, edge_width=7, compute_iters=2)  # 6/2 = 3: an even kernel of 4 would shift


def test_pooled_mask_and_ignore():
    labels = two_class_labels()
    edge_mask, valid = bpkd_edge_mask(labels, 2, (2, 2), edge_width=3)
    assert torch.allclose(edge_mask, torch.full((1, 2, 2, 2), 0.5))  # each 2x2 cell holds one band column of two
    assert torch.equal(valid, torch.ones(1, 1, 2, 2))
    labels[:, :2, :2] = 255  # the top-left cell is all ignore
    edge_mask, valid = bpkd_edge_mask(labels, 2, (2, 2), edge_width=3)
    assert valid[0, 0, 0, 0] == 0 and edge_mask[0, :, 0, 0].sum() == 0
    # at label resolution an ignored pixel is never in the mask, though it borders a class
    edge_mask, _ = bpkd_edge_mask(labels, 2, (4, 4), edge_width=3)
    assert edge_mask[0, :, :2, :2].sum() == 0


def test_labels_out_of_range():
    labels = two_class_labels()
    labels[0, 0, 0] = 7
    with pytest.raises(ValueError, match=r'\[7\].*num_classes=2'):
        class_boundary_mask(labels, 2)
    labels[0, 0, 0] = 255
    class_boundary_mask(labels, 2)  # ignore_index is fine
    with pytest.raises(ValueError, match='odd'):
        class_boundary_mask(labels, 2, edge_width=4)


def test_edge_mask_is_a_pure_function():
    # no cache (mmkd.BPKDLoss computes the mask once per step and hands it to both terms)
    labels = two_class_labels()
    first = bpkd_edge_mask(labels, 2, (2, 2), edge_width=3)
    second = bpkd_edge_mask(labels, 2, (2, 2), edge_width=3)
    assert second[0] is not first[0] and torch.equal(second[0], first[0])
    labels[:, :, :] = 0  # in-place change of the same tensor: reflected
    assert bpkd_edge_mask(labels, 2, (2, 2), edge_width=3)[0].sum() == 0


def literal_band(labels, num_classes, kernel, ignore_index=255):
    """The spec's recipe, step by step: one-hot (ignore all-zero), k x k dilation minus erosion via max pooling."""
    import torch.nn.functional as F
    valid = labels != ignore_index
    onehot = F.one_hot(torch.where(valid, labels, 0), num_classes).permute(0, 3, 1, 2).float() * valid[:, None]
    dilation = F.max_pool2d(onehot, kernel, stride=1, padding=kernel // 2)
    erosion = 1 - F.max_pool2d(1 - onehot, kernel, stride=1, padding=kernel // 2)
    return dilation - erosion


@pytest.mark.parametrize('kernel', [3, 5, 7, 11])
def test_fast_band_equals_the_literal_recipe(kernel):
    generator = torch.Generator().manual_seed(kernel)
    labels = torch.randint(0, 6, (2, 10, 14), generator=generator).repeat_interleave(4, 1).repeat_interleave(3, 2)
    labels[0, :7, :9] = 255
    labels[1, 20:, 30:] = 255
    labels[1, 5, :] = 4  # a 1-pixel-thin object
    expected = literal_band(labels, 6, kernel)
    assert torch.equal(class_boundary_mask(labels, 6, edge_width=kernel), expected)
    if kernel > 3:
        assert torch.equal(class_boundary_mask(labels, 6, edge_width=kernel, compute_iters=(kernel - 1) // 2),
                           expected)
