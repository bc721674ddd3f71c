# Copyright (c) mmkd contributors. All rights reserved.
"""tools/train.py and tools/test.py end to end on the synthetic city: train, distill, resume, test, errors."""
import glob
import os.path as osp
import shutil
import sys

import pytest
import torch

from mmkd.utils import safe_torch_load
from tests.helpers.tools import REPO_ROOT, city_cfg_options, run_tool

TEACHER = 'configs/demo/pspnet_r18-w32-d8_1xb4-600i_synthcity-128x256.py'
STUDENT = 'configs/demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py'
DISTILL = 'configs/cwd/cwd-logits_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py'

pytestmark = pytest.mark.slow


def train(config, work_dir, data_root, max_iters, *extra, extra_options=()):
    return run_tool([sys.executable, 'tools/train.py', config, '--work-dir', str(work_dir), *extra, '--cfg-options',
                     *city_cfg_options(data_root, max_iters), *extra_options])


def assert_ok(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]


@pytest.fixture(scope='module')
def teacher_ckpt(tmp_path_factory, synthetic_city):
    work_dir = tmp_path_factory.mktemp('teacher')
    assert_ok(train(TEACHER, work_dir, synthetic_city, 2))
    return str(work_dir / 'iter_2.pth')


def test_distill_train_and_test(tmp_path, synthetic_city, teacher_ckpt):
    result = train(DISTILL, tmp_path / 'distill', synthetic_city, 2,
                   extra_options=[f'model.teacher_ckpt={teacher_ckpt}'])
    assert_ok(result)
    log = result.stdout + result.stderr
    assert 'distill.loss_cwd' in log and 'student.decode.loss_ce' in log
    ckpt = tmp_path / 'distill' / 'iter_2.pth'
    state = safe_torch_load(str(ckpt))['state_dict']
    assert any(k.startswith('architecture.') for k in state) and any(k.startswith('teacher.') for k in state)

    # mmseg-0.x habit (--eval mIoU), painted predictions (--show-dir), label-id PNGs (--out); the teacher's own file
    # is gone: the distillation checkpoint holds the teacher, testing must not need it
    show_dir, out_dir = tmp_path / 'show', tmp_path / 'out'
    result = run_tool([sys.executable, 'tools/test.py', DISTILL, str(ckpt), '--work-dir', str(tmp_path / 'test'),
                       '--eval', 'mIoU', '--show-dir', str(show_dir), '--out', str(out_dir), '--cfg-options',
                       f'model.teacher_ckpt={tmp_path / "deleted_teacher.pth"}', *city_cfg_options(synthetic_city, 2)])
    assert_ok(result)
    assert 'mIoU' in result.stdout + result.stderr
    painted = glob.glob(str(show_dir / '**' / '*.png'), recursive=True)
    assert len(painted) == 4, painted  # one per validation image
    written = sorted(glob.glob(str(out_dir / '*.png')))
    assert len(written) == 4, written
    import numpy as np
    from PIL import Image

    from mmkd.engine.hooks.seg_prediction_writer_hook import CITYSCAPES_TRAIN_TO_LABEL_ID
    values = set(np.unique(np.array(Image.open(written[0]))).tolist())
    assert values <= set(CITYSCAPES_TRAIN_TO_LABEL_ID) | {0}, values  # label ids, not train ids


def test_resume_continues_from_the_checkpoint(tmp_path, synthetic_city):
    work_dir = tmp_path / 'student'
    assert_ok(train(STUDENT, work_dir, synthetic_city, 2))
    first = safe_torch_load(str(work_dir / 'iter_2.pth'))
    kept = shutil.copy(work_dir / 'iter_2.pth', tmp_path / 'kept_iter_2.pth')  # max_keep_ckpts=1 removes it later
    # the "interrupted" run had a budget of 2 iterations; resuming with 4 must continue at iteration 3
    result = train(STUDENT, work_dir, synthetic_city, 4, '--resume')
    assert_ok(result)
    log = result.stdout + result.stderr
    assert 'resumed' in log.lower(), log[-3000:]
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    resumed = safe_torch_load(str(work_dir / 'iter_4.pth'))
    assert resumed['meta']['iter'] == 4
    # the message hub (HistoryBuffer objects) survived the weights_only round trip and kept the first run's history
    loss_history = resumed['message_hub']['log_scalars']['train/loss']
    assert loss_history.data[0].shape[0] == 4
    assert first['message_hub']['log_scalars']['train/loss'].data[0].shape[0] == 2
    # an explicit checkpoint path works too
    result = train(STUDENT, tmp_path / 'other', synthetic_city, 3, '--resume', str(kept))
    assert_ok(result)
    assert 'Iter(train) [3/3]' in result.stdout + result.stderr


def test_missing_teacher_checkpoint_fails_before_training(tmp_path, synthetic_city):
    missing = tmp_path / 'no_teacher' / 'iter_600.pth'
    result = train(DISTILL, tmp_path / 'distill', synthetic_city, 2, extra_options=[f'model.teacher_ckpt={missing}'])
    assert result.returncode != 0
    assert str(missing) in result.stderr
    assert 'Iter(train)' not in result.stdout + result.stderr


def test_unknown_type_in_config_is_the_registry_error(tmp_path, synthetic_city):
    result = train(STUDENT, tmp_path / 'bad', synthetic_city, 2, extra_options=['model.decode_head.type=NoSuchHead'])
    assert result.returncode != 0
    assert 'NoSuchHead is not in the' in result.stderr


def test_distributed_two_cpu_processes(tmp_path, synthetic_city, teacher_ckpt):
    """tools/dist_train.sh: 2 processes (gloo on CPU), 2 iterations of the demo distillation; ranks agree."""
    work_dir = tmp_path / 'ddp'
    config = tmp_path / 'ddp_config.py'
    config.write_text(f"_base_ = ['{osp.join(REPO_ROOT, DISTILL)}']\n"
                      "custom_imports = dict(imports=['mmkd', 'tests.helpers.rank_params_hook'])\n"
                      "custom_hooks = [dict(type='RankParamsDumpHook')]\n")
    result = run_tool(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir', str(work_dir), '--cfg-options',
         *city_cfg_options(synthetic_city, 2), f'model.teacher_ckpt={teacher_ckpt}', 'train_dataloader.batch_size=2'],
        env_extra=dict(PORT='29731', OMP_NUM_THREADS='1'))
    assert_ok(result)

    def dumped(stage, rank):
        return torch.load(work_dir / f'params_{stage}_rank{rank}.pth', weights_only=True)

    after = [dumped('after', rank) for rank in (0, 1)]
    before = dumped('before', 0)
    assert after[0]['iter'] == after[1]['iter'] == 2
    assert after[0]['params'].keys() == after[1]['params'].keys() == before['params'].keys()
    assert all(not name.startswith('teacher.') for name in before['params'])  # the frozen teacher is not trained
    for name in before['params']:
        assert torch.equal(after[0]['params'][name], after[1]['params'][name]), name
    # training changed the student (the ranks agree on real updates, not on two untouched copies)
    changed = [name for name in before['params'] if not torch.equal(before['params'][name], after[0]['params'][name])]
    assert len(changed) > len(before['params']) // 2
    assert osp.isfile(work_dir / 'iter_2.pth')
