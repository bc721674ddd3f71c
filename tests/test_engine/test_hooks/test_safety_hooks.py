# Copyright (c) mmkd contributors. All rights reserved.
"""Nothing fails silently: bad label values, all-ignore batches, non-finite losses and corrupt label files."""
import glob
import logging
import math
import os.path as osp
import shutil
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmkd.engine.hooks import NonFiniteLossError, NonFiniteLossHook, SegLabelCheckHook


def fake_runner(iteration=0, num_classes=19, ignore_index=255):
    head = SimpleNamespace(num_classes=num_classes, out_channels=num_classes, ignore_index=ignore_index)
    return SimpleNamespace(model=SimpleNamespace(decode_head=head), iter=iteration, epoch=0)


def seg_batch(*label_maps):
    samples = []
    for index, labels in enumerate(label_maps):
        sample = SegDataSample(metainfo=dict(seg_map_path=f'gtFine/train/city/img{index}_gtFine_labelTrainIds.png'))
        sample.gt_sem_seg = PixelData(data=torch.as_tensor(labels).reshape(1, 2, -1))
        samples.append(sample)
    return dict(inputs=[torch.zeros(3, 2, 2)] * len(samples), data_samples=samples)


@pytest.fixture
def log_lines(tmp_path):
    logger = MMLogger.get_current_instance()
    handler = logging.FileHandler(tmp_path / 'hooks.log')
    logger.addHandler(handler)

    def read():
        handler.flush()
        return (tmp_path / 'hooks.log').read_text()
    yield read
    logger.removeHandler(handler)


def test_labels_outside_the_classes_name_the_file_and_values():
    hook = SegLabelCheckHook()
    runner = fake_runner(iteration=6)
    hook.before_train(runner)
    assert (hook.num_classes, hook.ignore_index) == (19, 255)
    hook.before_train_iter(runner, 6, seg_batch([0, 18, 255, 3]))  # valid: nothing happens
    with pytest.raises(ValueError) as error:
        hook.before_train_iter(runner, 6, seg_batch([0, 1, 2, 3], [30, 19, 255, 0]))
    message = str(error.value)
    assert 'img1_gtFine_labelTrainIds.png (values [19, 30])' in message
    assert 'img0' not in message and 'outside [0, 19)' in message and 'iteration 7' in message


def test_all_ignore_batches_warn_once_per_interval(log_lines):
    hook = SegLabelCheckHook(warn_interval=10)
    ignored = seg_batch([255] * 4, [255] * 4)
    hook.before_train(fake_runner())
    for iteration in range(25):
        hook.before_train_iter(fake_runner(iteration), iteration, ignored)
    log = log_lines()
    warnings = [line for line in log.splitlines() if 'every label of the batch is ignore_index 255' in line]
    assert len(warnings) == 3, log  # iterations 1, 11, 21
    assert '(10 such batch(es) since the last warning)' in warnings[1]


def test_non_finite_loss_names_the_term_and_the_iteration():
    hook = NonFiniteLossHook()
    hook.after_train_iter(fake_runner(4), 4, outputs={'loss': 1.5, 'distill.loss_cwd': 0.2})
    with pytest.raises(NonFiniteLossError, match=r'iteration 5 .*distill\.loss_cwd = nan'):
        hook.after_train_iter(fake_runner(4), 4, outputs={'loss': math.nan, 'distill.loss_cwd': math.nan,
                                                          'student.decode.loss_ce': 2.0})
    with pytest.raises(NonFiniteLossError, match=r'student\.decode\.loss_ce = inf'):
        hook.after_train_iter(fake_runner(9), 9, outputs={'student.decode.loss_ce': torch.tensor(math.inf)})


def test_corrupt_label_png_error_names_the_file(tmp_path, synthetic_city):
    from mmseg.datasets import CityscapesDataset
    root = tmp_path / 'city'
    shutil.copytree(synthetic_city, root)
    label = sorted(glob.glob(str(root / 'gtFine' / 'train' / '*' / '*_labelTrainIds.png')))[0]
    with open(label, 'wb') as f:
        f.write(b'not a png at all')
    # Built in mmseg's scope as an mmseg config is, whatever scope an earlier test left (an explicit
    # 'mmseg.LoadImageFromFile' is not found when the current scope already is mmseg: mmengine then skips the parents).
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = CityscapesDataset(
            data_root=str(root), data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
            pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')])
        index = [i for i in range(len(dataset)) if dataset.get_data_info(i)['seg_map_path'] == label][0]
        with pytest.raises(Exception) as error:
            dataset[index]
    notes = ' '.join(getattr(error.value, '__notes__', []))
    assert f"seg_map_path='{label}'" in notes and 'LoadAnnotations' in notes, notes
    assert osp.basename(label) in ''.join(__import__('traceback').format_exception(error.value))
