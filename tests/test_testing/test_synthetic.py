# Copyright (c) mmkd contributors. All rights reserved.
"""Synthetic datasets: layouts, determinism, overwrite protection and loading with the real dataset classes."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import scipy.io as sio

from mmkd.testing.synthetic import (
    COCO_CATEGORIES,
    LABEL_ID_TO_TRAIN_ID,
    generate_synthetic_bsds,
    generate_synthetic_cityscapes,
    generate_synthetic_coco,
)
from mmkd.testing.synthetic.cityscapes import LABEL_ID_TO_COLOUR
from mmkd.testing.synthetic.common import near_boundary_mask

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
REAL_BSDS_GT = osp.join(REPO_ROOT, 'tests', 'data', 'bsds500_bench', 'groundTruth')

# Small settings that still exercise everything: 10 images guarantee all 19 Cityscapes classes in a split.
CITY_KW = dict(num_train=10, num_val=2)
COCO_KW = dict(num_train=6, num_val=3)
BSDS_KW = dict(num_train=4, num_test=2)
TINY = {
    generate_synthetic_cityscapes: dict(num_train=2, num_val=1, height=64, width=128),
    generate_synthetic_coco: dict(num_train=2, num_val=1, height=64, width=96),
    generate_synthetic_bsds: dict(num_train=2, num_test=1, height=48, width=64),
}


def _read(path: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert img is not None, path
    return img


def _files(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


@pytest.fixture(scope='module')
def city(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp('city') / 'cityscapes'
    return root, generate_synthetic_cityscapes(root, seed=0, **CITY_KW)


@pytest.fixture(scope='module')
def coco(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp('coco') / 'coco'
    return root, generate_synthetic_coco(root, seed=0, **COCO_KW)


@pytest.fixture(scope='module')
def bsds(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp('bsds') / 'bsds'
    return root, generate_synthetic_bsds(root, seed=0, **BSDS_KW)


# ----------------------------------------------------------------------------------------------------------------------
# Shared behaviour: determinism and overwrite protection
# ----------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('generator', list(TINY), ids=lambda g: g.__name__)
def test_same_seed_same_bytes_other_seed_differs(generator, tmp_path):
    kw = TINY[generator]
    generator(tmp_path / 'a', seed=3, **kw)
    generator(tmp_path / 'b', seed=3, **kw)
    generator(tmp_path / 'c', seed=4, **kw)
    a, b, c = (_files(tmp_path / n) for n in 'abc')
    assert len(a) >= 5 and a == b
    assert set(a) == set(c)  # same layout ...
    images = [k for k in a if k.endswith(('.jpg', 'leftImg8bit.png'))]
    assert images and all(a[k] != c[k] for k in images)  # ... different content


@pytest.mark.parametrize('generator', list(TINY), ids=lambda g: g.__name__)
def test_refuses_non_empty_folder_unless_forced(generator, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keep.txt').write_text('not ours')
    with pytest.raises(FileExistsError) as e:
        generator(out, **TINY[generator])
    assert str(out) in str(e.value) and '--force' in str(e.value)
    assert sorted(p.name for p in out.iterdir()) == ['keep.txt']  # nothing written
    generator(out, force=True, **TINY[generator])
    first = _files(out)
    # A smaller forced re-generation must not leave stale images of the previous run behind.
    kw = dict(TINY[generator])
    kw['num_train'] = 1
    generator(out, force=True, **kw)
    second = _files(out)
    assert (out / 'keep.txt').read_text() == 'not ours'
    assert len(second) < len(first)


# ----------------------------------------------------------------------------------------------------------------------
# Cityscapes
# ----------------------------------------------------------------------------------------------------------------------
def test_city_layout_and_labels(city):
    root, summary = city
    for split, num, cities in (('train', 10, {'aachen', 'bochum'}), ('val', 2, {'frankfurt'})):
        imgs = sorted(glob.glob(str(root / 'leftImg8bit' / split / '*' / '*_leftImg8bit.png')))
        assert len(imgs) == num == summary['splits'][split]['num_images']
        assert {osp.basename(osp.dirname(p)) for p in imgs} == cities
        for img_path in imgs:
            city_name = osp.basename(osp.dirname(img_path))
            stem = osp.basename(img_path)[:-len('_leftImg8bit.png')]
            parts = stem.split('_')
            assert parts[0] == city_name and len(parts[1]) == 6 and parts[2] == '000019'
            gt = root / 'gtFine' / split / city_name
            img = _read(img_path)
            train_ids = _read(str(gt / f'{stem}_gtFine_labelTrainIds.png'))
            label_ids = _read(str(gt / f'{stem}_gtFine_labelIds.png'))
            colour = _read(str(gt / f'{stem}_gtFine_color.png'))
            instance_ids = _read(str(gt / f'{stem}_gtFine_instanceIds.png'))
            assert img.shape == (128, 256, 3) and img.dtype == np.uint8
            assert train_ids.shape == label_ids.shape == (128, 256) and train_ids.dtype == label_ids.dtype == np.uint8
            assert set(np.unique(train_ids)) <= set(range(19)) | {255}
            # labelIds are the official ids: the official mapping gives the trainIds (ego vehicle 1, border 2 -> 255).
            np.testing.assert_array_equal(LABEL_ID_TO_TRAIN_ID[label_ids], train_ids)
            assert {7, 11, 23} <= set(np.unique(label_ids))  # road, building, sky
            assert 1 in label_ids  # the ego-vehicle hood is ignore (255) in train ids
            np.testing.assert_array_equal(colour[..., :3][..., ::-1], LABEL_ID_TO_COLOUR[label_ids])  # BGRA on disk
            assert instance_ids.dtype == np.uint16
            np.testing.assert_array_equal(np.where(instance_ids >= 1000, instance_ids // 1000, instance_ids),
                                          label_ids)
    train = summary['splits']['train']
    assert len(train['classes_present']) == 19
    assert all(c > 0 for c in train['pixel_counts'][:19])
    assert 0.005 < train['ignore_fraction'] < 0.12


def test_city_all_classes_and_boundaries_from_files(city):
    root, _ = city
    counts = np.zeros(256, np.int64)
    near, total = 0, 0
    for path in glob.glob(str(root / 'gtFine' / 'train' / '*' / '*_labelTrainIds.png')):
        lab = _read(path)
        counts += np.bincount(lab.ravel(), minlength=256)
        near += int(near_boundary_mask(lab, 2).sum())
        total += lab.size
    assert np.all(counts[:19] > 0), f'missing train ids {np.nonzero(counts[:19] == 0)[0].tolist()}'
    assert counts[19:255].sum() == 0
    # Boundaries matter: measured ~0.27 of the pixels are within 2 px of another class at 128x256.
    assert near / total >= 0.15


def test_city_colour_alone_is_not_enough(city):
    """An in-sample colour lookup (16 levels per channel, fit on the very images it is scored on) stays far from
    solving the task (measured mIoU ~0.32), so a model needs texture/shape/context."""
    root, _ = city
    imgs = sorted(glob.glob(str(root / 'leftImg8bit' / 'train' / '*' / '*.png')))
    x = np.stack([_read(p) for p in imgs]) // 16
    y = np.stack([
        _read(p.replace('leftImg8bit/', 'gtFine/').replace('_leftImg8bit.png', '_gtFine_labelTrainIds.png'))
        for p in imgs
    ])
    q = (x.astype(np.int64) @ np.array([256, 16, 1])).ravel()
    y = np.where(y == 255, 19, y).ravel()
    table = np.zeros((4096, 20), np.int64)
    np.add.at(table, (q, y), 1)
    pred = table[:, :19].argmax(1)[q]
    valid = y != 19
    ious = [((pred == c) & (y == c)).sum() / (((pred == c) & valid) | (y == c)).sum() for c in range(19)]
    assert np.mean(ious) < 0.45


def test_city_loads_with_mmseg(city):
    from mmseg.datasets import CityscapesDataset
    from mmseg.utils import register_all_modules
    register_all_modules()
    root, _ = city
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'), dict(type='PackSegInputs')]
    for split, num in (('train', 10), ('val', 2)):
        ds = CityscapesDataset(
            data_root=str(root),
            data_prefix=dict(img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}'),
            pipeline=pipeline)
        assert len(ds) == num
        assert len(ds.metainfo['classes']) == 19
        # Our colour table agrees with mmseg's palette for the 19 train ids.
        palette = np.array(ds.metainfo['palette'])
        lids = [int(np.nonzero(LABEL_ID_TO_TRAIN_ID == t)[0][0]) for t in range(19)]
        np.testing.assert_array_equal(LABEL_ID_TO_COLOUR[lids], palette)
        sample = ds[0]
        seg = sample['data_samples'].gt_sem_seg.data
        assert tuple(sample['inputs'].shape) == (3, 128, 256)
        assert tuple(seg.shape) == (1, 128, 256)
        assert set(seg.unique().tolist()) <= set(range(19)) | {255}


# ----------------------------------------------------------------------------------------------------------------------
# COCO
# ----------------------------------------------------------------------------------------------------------------------
def test_coco_format(coco):
    root, summary = coco
    for split, num in (('train', 6), ('val', 3)):
        data = json.loads((root / 'annotations' / f'instances_{split}2017.json').read_text())
        assert set(data) >= {'images', 'annotations', 'categories'}
        assert [(c['id'], c['name']) for c in data['categories']] == [(i, n) for i, n, _ in COCO_CATEGORIES]
        assert len(data['categories']) == 80 and data['categories'][-1]['id'] == 90
        assert len(data['images']) == num
        for im in data['images']:
            assert len(im['file_name']) == 16 and im['file_name'] == f'{im["id"]:012d}.jpg'
            assert _read(str(root / f'{split}2017' / im['file_name'])).shape == (im['height'], im['width'], 3)
        ids = {im['id'] for im in data['images']}
        assert len({a['id'] for a in data['annotations']}) == len(data['annotations'])
        for ann in data['annotations']:
            assert ann['image_id'] in ids and ann['iscrowd'] == 0 and ann['area'] > 0
            x, y, w, h = ann['bbox']
            assert w > 0 and h > 0 and x >= 0 and y >= 0 and x + w <= 224 and y + h <= 160
            assert ann['segmentation'] and all(len(p) >= 6 and len(p) % 2 == 0 for p in ann['segmentation'])
        empty = ids - {a['image_id'] for a in data['annotations']}
        assert empty and sorted(empty) == sorted(summary['splits'][split]['empty_image_ids'])
    assert summary['splits']['train']['num_annotations'] > 0


def test_coco_loads_with_mmdet(coco):
    from mmdet.datasets import CocoDataset
    from mmdet.utils import register_all_modules
    register_all_modules()
    root, summary = coco
    ds = CocoDataset(
        data_root=str(root),
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='PackDetInputs')
        ])
    assert len(ds) == 6
    assert list(ds.metainfo['classes']) == [n for _, n, _ in COCO_CATEGORIES]
    num_instances = []
    for i in range(len(ds)):
        gt = ds[i]['data_samples'].gt_instances
        assert len(gt.bboxes) == len(gt.labels) == len(gt.masks)
        num_instances.append(len(gt.labels))
    assert 0 in num_instances and sum(num_instances) == summary['splits']['train']['num_annotations']


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
def test_coco_gt_as_detections_gives_ap_1(coco, iou_type, capsys):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    root, _ = coco
    gt = COCO(str(root / 'annotations' / 'instances_train2017.json'))
    dets = [dict(image_id=a['image_id'], category_id=a['category_id'], bbox=a['bbox'], segmentation=a['segmentation'],
                 score=1.0) for a in gt.dataset['annotations']]
    ev = COCOeval(gt, gt.loadRes(dets), iou_type)
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert ev.stats[0] == pytest.approx(1.0)  # AP@[.5:.95]
    assert ev.stats[1] == pytest.approx(1.0)  # AP@.5


# ----------------------------------------------------------------------------------------------------------------------
# BSDS
# ----------------------------------------------------------------------------------------------------------------------
def _mat_structure(path: str) -> list:
    """What scipy reads from a BSDS groundTruth file, reduced to its structure and dtypes."""
    assert sio.whosmat(path) == [('groundTruth', sio.whosmat(path)[0][1], 'cell')]
    out = []
    for mat_dtype in (False, True):  # mat_dtype=True reveals MATLAB's logical class (bool)
        g = sio.loadmat(path, mat_dtype=mat_dtype)['groundTruth']
        assert g.dtype == object and g.ndim == 2 and g.shape[0] == 1
        for k in range(g.shape[1]):
            e = g[0, k]
            assert e.shape == (1, 1)
            out.append((mat_dtype, e.dtype.names, e['Segmentation'].dtype, e['Segmentation'].shape,
                        e['Segmentation'][0, 0].dtype, e['Boundaries'][0, 0].dtype))
    return sorted(set(out), key=str)


def test_bsds_mat_matches_real_structure(bsds):
    root, _ = bsds
    real = _mat_structure(sorted(glob.glob(osp.join(REAL_BSDS_GT, '*.mat')))[0])
    for path in glob.glob(str(root / 'BSDS500' / 'data' / 'groundTruth' / '*' / '*.mat')):
        assert _mat_structure(path) == real
        g = sio.loadmat(path)['groundTruth']
        assert g.shape == (1, 5)
        for k in range(5):
            seg, bdry = g[0, k]['Segmentation'][0, 0], g[0, k]['Boundaries'][0, 0]
            assert seg.min() == 1 and seg.shape == bdry.shape
            assert set(np.unique(bdry)) <= {0, 1} and bdry.any()


def test_bsds_layout_lists_and_probability_maps(bsds):
    root, summary = bsds
    hed = root / 'HED-BSDS'
    train_lines = (hed / 'train_pair.lst').read_text().splitlines()
    test_lines = (hed / 'test.lst').read_text().splitlines()
    assert len(train_lines) == 4 and len(test_lines) == 2
    assert (root / 'bsds_pascal_train_pair.lst').read_text().splitlines() == [
        ' '.join(f'HED-BSDS/{p}' for p in line.split()) for line in train_lines
    ]
    for line in train_lines:
        img_rel, gt_rel = line.split()
        assert img_rel.startswith('train/aug_data/0.0_1_0/') and gt_rel.startswith('train/aug_gt/0.0_1_0/')
        name = osp.splitext(osp.basename(img_rel))[0]
        img, prob = _read(str(hed / img_rel)), _read(str(hed / gt_rel))
        assert img.shape == (160, 240, 3) and prob.shape == (160, 240) and prob.dtype == np.uint8
        # The probability map is the mean of the annotators' boundaries in the .mat file: multiples of 255/5.
        g = sio.loadmat(str(root / 'BSDS500' / 'data' / 'groundTruth' / 'train' / f'{name}.mat'))['groundTruth']
        mean = np.mean([g[0, k]['Boundaries'][0, 0] for k in range(g.shape[1])], axis=0)
        np.testing.assert_array_equal(prob, np.rint(mean * 255).astype(np.uint8))
        assert set(np.unique(prob)) <= {0, 51, 102, 153, 204, 255} and len(np.unique(prob)) >= 4
        bsds_img = root / 'BSDS500' / 'data' / 'images' / 'train' / f'{name}.jpg'
        assert bsds_img.read_bytes() == (hed / img_rel).read_bytes()
    for line in test_lines:
        assert line.startswith('test/') and line.endswith('.jpg')
        name = osp.splitext(osp.basename(line))[0]
        assert (hed / line).read_bytes() == (root / 'BSDS500' / 'data' / 'images' / 'test' / f'{name}.jpg').read_bytes()
        assert (root / 'BSDS500' / 'data' / 'groundTruth' / 'test' / f'{name}.mat').is_file()
    assert summary['splits']['test']['names'] == [osp.splitext(osp.basename(ln))[0] for ln in test_lines]


def test_bsds_portrait_images(tmp_path):
    summary = generate_synthetic_bsds(tmp_path / 'b', num_train=6, num_test=1, height=48, width=72,
                                      portrait_fraction=0.5, seed=1)
    sizes = {tuple(s) for s in summary['splits']['train']['sizes']}
    assert sizes == {(48, 72), (72, 48)}
    for name, size in zip(summary['splits']['train']['names'], summary['splits']['train']['sizes']):
        g = sio.loadmat(str(tmp_path / 'b' / 'BSDS500' / 'data' / 'groundTruth' / 'train' / f'{name}.mat'))
        assert g['groundTruth'][0, 0]['Segmentation'][0, 0].shape == tuple(size)


# ----------------------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------------------
def test_cityscapes_cli(tmp_path):
    script = osp.join(REPO_ROOT, 'tools', 'dataset_generators', 'synthetic_cityscapes.py')
    out = tmp_path / 'city'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    cmd = [sys.executable, script, str(out), '--num-train', '2', '--num-val', '1', '--height', '64', '--width', '128']
    ok = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)['splits']['train']['num_images'] == 2
    assert len(list(out.glob('leftImg8bit/train/*/*_leftImg8bit.png'))) == 2
    assert len(list(out.glob('gtFine/val/frankfurt/*_gtFine_labelTrainIds.png'))) == 1
    refused = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode != 0
    assert str(out) in refused.stderr and '--force' in refused.stderr
    assert 'Traceback' not in refused.stderr
    forced = subprocess.run(cmd + ['--force'], capture_output=True, text=True, env=env, timeout=300)
    assert forced.returncode == 0, forced.stderr
