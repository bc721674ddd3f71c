# Copyright (c) mmkd contributors. All rights reserved.
"""tools/misc/gen_seg_kd_configs.py: the committed rows, pair bases, metafiles and README tables are what the
generator writes (drift test), a drifted file is reported, and "ours" results survive a regeneration."""
import importlib.util
import os.path as osp
import shutil

import pytest
import yaml

from tests.helpers.tools import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'gen_seg_kd_configs.py')
ROW = 'configs/bpkd/bpkd_pspnet-r101-d8_pspnet-r18-d8_4xb2-80k_cityscapes-512x1024.py'


def _load_generator(root: str):
    """A fresh instance of the generator module working on the tree at ``root``."""
    spec = importlib.util.spec_from_file_location('gen_seg_kd_configs_under_test', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.REPO_ROOT = root
    module.TABLES = osp.join(root, 'docs', 'paper_tables')
    return module


@pytest.fixture()
def tree(tmp_path):
    """A copy of the generator's inputs and outputs (configs/, docs/paper_tables/)."""
    shutil.copytree(osp.join(REPO_ROOT, 'configs'), tmp_path / 'configs')
    shutil.copytree(osp.join(REPO_ROOT, 'docs', 'paper_tables'), tmp_path / 'docs' / 'paper_tables')
    return str(tmp_path)


def test_committed_files_are_generated():
    changed, stale = _load_generator(REPO_ROOT).differences()
    assert not changed and not stale, (
        f'files differ from tools/misc/gen_seg_kd_configs.py: {changed}; stale: {stale}. Edit the generator\'s table '
        'and run it, do not edit generated files.')


def test_matrix_size_and_row_bodies():
    gen = _load_generator(REPO_ROOT)
    files = gen.config_files()
    rows = [p for p in files if p.split('/')[1] in gen.METHODS]
    assert len(rows) == 125 and len([p for p in files if '/pairs/' in p]) == 25
    assert len([p for p in files if 'seg_baselines' in p]) == 12 + 25  # teachers + students
    # the row bodies of the row contract, exactly (after the header and the two bases)
    with open(osp.join(REPO_ROOT, ROW)) as f:
        assert f.read().endswith("/methods/bpkd.py'\n]\nmodel = dict(distiller=_base_.distiller)\n")
    with open(osp.join(REPO_ROOT, ROW.replace('bpkd', 'skds'))) as f:
        assert f.read().endswith(
            "/methods/skds.py'\n]\n"
            'model = dict(_base_.adversarial_algorithm, distiller=_base_.distiller)\n'
            'optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)\n'
            'param_scheduler = dict(\n    _delete_=True,\n    architecture=_base_.param_scheduler,\n'
            '    discriminator=[dict(_base_.discriminator_scheduler, end=_base_.train_cfg.max_iters)])\n')


def test_drift_is_reported(tree):
    gen = _load_generator(tree)
    assert gen.differences() == ([], [])
    with open(osp.join(tree, ROW), 'a') as f:  # a hand edit of a generated row
        f.write('model = dict(distiller=dict(distill_losses=dict()))\n')
    meta_path = osp.join(tree, 'configs', 'cwd', 'metafile.yml')
    with open(meta_path) as f:
        text = f.read()
    with open(meta_path, 'w') as f:  # a retyped number
        f.write(text.replace('mIoU: 76.26', 'mIoU: 76.62', 1))
    stale = osp.join(tree, 'configs', 'seg_baselines', 'pspnet_r101-d8_4xb4-80k_ade20k-512x512.py')
    with open(stale, 'w') as f:  # a row the table no longer has (the 80k ADE20K teacher is not the released one)
        f.write("_base_ = 'mmseg::pspnet/pspnet_r101-d8_4xb4-80k_ade20k-512x512.py'\n")
    changed, stale_found = gen.differences()
    assert changed == [ROW, 'configs/cwd/metafile.yml']
    assert stale_found == ['configs/seg_baselines/pspnet_r101-d8_4xb4-80k_ade20k-512x512.py']
    assert gen.main(['--check']) == 1
    assert gen.main([]) == 0  # rewrites and removes
    assert gen.differences() == ([], []) and not osp.exists(stale)


def test_ours_results_survive_and_fill_the_readme(tree):
    gen = _load_generator(tree)
    meta_path = osp.join(tree, 'configs', 'bpkd', 'metafile.yml')
    with open(meta_path) as f:
        meta = yaml.safe_load(f)
    name = osp.basename(ROW)[:-3]
    entry = [e for e in meta['Models'] if e['Name'] == name][0]
    entry['Results'].append(dict(Task='Semantic Segmentation', Dataset='Cityscapes',
                                 Metrics={'mIoU': 77.1, 'mAcc': 84.0}, Source=gen.OURS))
    with open(meta_path, 'w') as f:
        yaml.safe_dump(meta, f, sort_keys=False)
    gen.main([])
    with open(meta_path) as f:
        entry = [e for e in yaml.safe_load(f)['Models'] if e['Name'] == name][0]
    assert entry['Results'][-1] == dict(Task='Semantic Segmentation', Dataset='Cityscapes',
                                        Metrics={'mIoU': 77.1, 'mAcc': 84.0}, Source=gen.OURS)
    with open(osp.join(tree, 'configs', 'bpkd', 'README.md')) as f:
        line = [ln for ln in f if ln.startswith(f'| [{name}]') and '| 77.57 |' in ln][0]
    assert line.rstrip().endswith('| 77.57 | 84.47 | 77.10 | -0.47 |')  # paper 77.57, ours 77.10


def test_missing_markers_are_an_error(tree):
    gen = _load_generator(tree)
    readme = osp.join(tree, 'configs', 'ifvd', 'README.md')
    with open(readme) as f:
        text = f.read()
    with open(readme, 'w') as f:
        f.write(text.replace(gen.BEGIN, ''))
    with pytest.raises(ValueError, match='configs/ifvd/README.md: no <!-- seg-kd-table:begin -->'):
        gen.all_files()
