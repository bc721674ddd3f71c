# Copyright (c) mmkd contributors. All rights reserved.
import os.path as osp

import cv2
import numpy as np
import pytest
import scipy.io as sio
from mmengine.registry import init_default_scope

from mmkd.datasets import BSDSDataset
from mmkd.datasets.transforms import LoadEdgeAnnotations, PackEdgeInputs
from mmkd.evaluation.functional import load_bsds_boundaries
from mmkd.testing.synthetic.bsds import generate_synthetic_bsds

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='mmkd.LoadEdgeAnnotations'), dict(type='mmkd.PackEdgeInputs')]


@pytest.fixture(scope='module')
def bsds_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('data') / 'synthetic_bsds')
    generate_synthetic_bsds(root, num_train=3, num_test=2, height=48, width=64, seed=0)
    init_default_scope('mmseg')
    return root


def test_hed_train_list(bsds_root):
    dataset = BSDSDataset(ann_file='HED-BSDS/train_pair.lst', data_root=bsds_root, pipeline=PIPELINE)
    assert len(dataset) == 3
    info = dataset.get_data_info(0)
    assert info['img_path'] == osp.join(bsds_root, 'HED-BSDS', 'train/aug_data/0.0_1_0/100001.jpg')
    assert info['edge_map_path'] == osp.join(bsds_root, 'HED-BSDS', 'train/aug_gt/0.0_1_0/100001.png')
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 48, 64)
    gt = sample['data_samples'].gt_edge_map.data
    png = cv2.imread(info['edge_map_path'], cv2.IMREAD_UNCHANGED)
    assert tuple(gt.shape) == (1, 48, 64)
    np.testing.assert_allclose(gt[0].numpy(), png / 255.0, atol=1e-6)
    # 5 annotators: averages are multiples of 1/5
    np.testing.assert_allclose(np.unique(gt.numpy() * 5), np.round(np.unique(gt.numpy() * 5)), atol=1e-4)


def test_rcf_combined_list_is_relative_to_the_root(bsds_root):
    dataset = BSDSDataset(ann_file='bsds_pascal_train_pair.lst', data_root=bsds_root, pipeline=PIPELINE)
    assert dataset.get_data_info(0)['img_path'] == osp.join(bsds_root, 'HED-BSDS/train/aug_data/0.0_1_0/100001.jpg')
    assert dataset[2]['data_samples'].gt_edge_map.data.shape == (1, 48, 64)


def test_test_list_with_mat_ground_truth(bsds_root):
    dataset = BSDSDataset(ann_file='HED-BSDS/test.lst', data_root=bsds_root, gt_mat_dir='BSDS500/data/groundTruth/test',
                          pipeline=PIPELINE, test_mode=True)
    sample = dataset[0]['data_samples']
    boundaries = sample.metainfo['gt_boundaries']
    mat = sio.loadmat(osp.join(bsds_root, 'BSDS500/data/groundTruth/test/200001.mat'))['groundTruth']
    assert len(boundaries) == mat.shape[1] == 5
    for k, bmap in enumerate(boundaries):
        np.testing.assert_array_equal(bmap, mat[0, k]['Boundaries'][0, 0])
    np.testing.assert_allclose(sample.gt_edge_map.data[0].numpy(), np.mean(boundaries, axis=0), atol=1e-6)


def test_unlabelled_test_list(bsds_root):
    dataset = BSDSDataset(ann_file='HED-BSDS/test.lst', data_root=bsds_root, pipeline=PIPELINE, test_mode=True)
    assert 'gt_edge_map' not in dataset[0]['data_samples']


def test_grayscale_images_become_three_channels(tmp_path):
    gray = (np.arange(20 * 30) % 256).astype(np.uint8).reshape(20, 30)
    packed = PackEdgeInputs().transform(dict(img=gray, img_path='g.png'))
    assert tuple(packed['inputs'].shape) == (3, 20, 30)
    assert (packed['inputs'][0] == packed['inputs'][2]).all()
    # a grey file read with LoadImageFromFile's default colour mode is 3-channel too
    path = str(tmp_path / 'gray.png')
    cv2.imwrite(path, gray)
    (tmp_path / 'list.lst').write_text('gray.png\n')
    dataset = BSDSDataset(ann_file=str(tmp_path / 'list.lst'), pipeline=PIPELINE)
    assert tuple(dataset[0]['inputs'].shape) == (3, 20, 30)


def test_mat_with_zero_annotators_names_the_file(tmp_path):
    path = str(tmp_path / 'empty.mat')
    sio.savemat(path, {'groundTruth': np.empty((1, 0), dtype=object)})
    with pytest.raises(ValueError, match=r'empty\.mat has zero annotators'):
        load_bsds_boundaries(path)
    with pytest.raises(ValueError, match='empty.mat'):
        LoadEdgeAnnotations().transform(dict(gt_mat_path=path))
    other = str(tmp_path / 'other.mat')
    sio.savemat(other, {'something': np.zeros(3)})
    with pytest.raises(ValueError, match=r'other\.mat has no "groundTruth"'):
        load_bsds_boundaries(other)


def test_size_mismatch_and_bad_lists(tmp_path, bsds_root):
    label = str(tmp_path / 'label.png')
    cv2.imwrite(label, np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match='label.png is 10x10'):
        LoadEdgeAnnotations().transform(dict(edge_map_path=label, img=np.zeros((12, 10, 3), np.uint8)))
    bad = tmp_path / 'bad.lst'
    bad.write_text('a.jpg b.png c.png\n')
    with pytest.raises(ValueError, match='bad.lst:1'):
        BSDSDataset(ann_file=str(bad))
    with pytest.raises(FileNotFoundError, match='missing.lst'):
        BSDSDataset(ann_file='missing.lst', data_root=bsds_root)
