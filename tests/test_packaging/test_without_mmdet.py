# Copyright (c) mmkd contributors. All rights reserved.
"""mmdet is optional: a segmentation / edge user (mmseg + mmrazor, no mmdet) imports ``mmkd.models``, builds and
trains the segmentation and edge configs, and gets the install hint from a detection config.

mmdet is installed here, so a subprocess hides it: a ``sys.meta_path`` finder raises ``ModuleNotFoundError`` for
``mmdet`` and ``mmdet.*`` (what a missing package raises; mmseg's and mmrazor's optional imports catch exactly that).
The same script runs once without the finder: the same names in mmkd's registries, and the same segmentation and
edge losses.
"""
import json
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

SEG_CONFIG = 'configs/bpkd/bpkd_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py'  # the demo's BPKD row
EDGE_CONFIG = 'configs/edge/kd_rcf_so-model_mobilenetv2_1xb1-900e_bsds.py'  # RCF teacher -> MobileNetV2 student
DET_CONFIGS = {
    'configs/rm_pfi/rm-pfi_fcos-r50_fcos-r18_8xb2-1x_coco.py': 'DenseDetectorDistill',
    'configs/bpkd/bpkd_solov2-x101-dcn_solov2-light-r18_fpn_8xb2-1x_coco.py':
    'CheckedSingleTeacherDistill (model.architecture is an mmdet model)',
}

SCRIPT = r'''
import importlib.abc
import json
import sys

BLOCK = sys.argv[1] == 'block'


class HideMMDet(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == 'mmdet' or name.startswith('mmdet.'):
            raise ModuleNotFoundError(f'No module named {name!r}', name=name)
        return None


if BLOCK:
    sys.meta_path.insert(0, HideMMDet())

import copy

import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmkd.models  # noqa: F401
from mmkd import registry
from mmkd.utils import register_all_modules

register_all_modules(init_default_scope=False)  # every mmkd subpackage imports

seg_config, edge_config = sys.argv[2], sys.argv[3]
det_configs = json.loads(sys.argv[4])
torch.set_num_threads(1)


def build(path, scope):
    cfg = Config.fromfile(path)
    cfg.model.teacher_ckpt = None
    with DefaultScope.overwrite_default_scope(scope):
        return MODELS.build(copy.deepcopy(cfg.model))


def one_step(model, size, gt_key, make_gt):
    images, samples = [], []
    for _ in range(2):  # two images: BatchNorm of pooled 1x1 features needs more than one value per channel
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size))
        sample.set_data({gt_key: PixelData(data=make_gt())})
        samples.append(sample)
        images.append(torch.randint(0, 256, (3, *size), dtype=torch.uint8))
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    return {name: float(value) for name, value in losses.items() if 'loss' in name}


out = {'registered': {name: sorted(reg.module_dict) for name, reg in vars(registry).items()
                      if isinstance(reg, type(registry.MODELS)) and reg.scope == 'mmkd'}}
torch.manual_seed(0)
seg = build(seg_config, 'mmseg')
out['seg'] = one_step(seg, (32, 64), 'gt_sem_seg', lambda: torch.randint(0, 19, (1, 32, 64)))
torch.manual_seed(0)
edge = build(edge_config, 'mmseg')
out['edge'] = one_step(edge, (32, 32), 'gt_edge_map', lambda: (torch.rand(1, 32, 32) > 0.9).float())
out['mmdet_loaded'] = sorted(m for m in sys.modules if m == 'mmdet' or m.startswith('mmdet.'))
if BLOCK:
    out['det_errors'] = {}
    for path in det_configs:
        try:
            build(path, 'mmdet')
            out['det_errors'][path] = None
        except Exception as err:
            out['det_errors'][path] = f'{type(err).__name__}: {err}'
    from mmkd.models.det_adapters import FCOSHeadAdapter
    try:
        FCOSHeadAdapter.head_types
    except ImportError as err:
        out['head_types_error'] = str(err)
print('RESULT', json.dumps(out))
'''


def _run(mode: str) -> dict:
    result = subprocess.run(
        [sys.executable, '-c', SCRIPT, mode, SEG_CONFIG, EDGE_CONFIG, json.dumps(list(DET_CONFIGS))], cwd=REPO,
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    line = [line for line in result.stdout.splitlines() if line.startswith('RESULT ')][-1]
    return json.loads(line[len('RESULT '):])


@pytest.fixture(scope='module')
def without_mmdet() -> dict:
    return _run('block')


def test_seg_and_edge_configs_build_and_train_without_mmdet(without_mmdet):
    assert without_mmdet['mmdet_loaded'] == []
    assert set(without_mmdet['seg']) == {'student.decode.loss_ce', 'distill.loss_bpkd_edge', 'distill.loss_bpkd_body'}
    assert set(without_mmdet['edge']) == {f'student.loss_side{i}' for i in range(1, 6)} | {
        'student.loss_fuse', 'distill.loss_kd'}
    # with mmdet importable: the same registrations, and for the same seeds the same numbers
    with_mmdet = _run('plain')
    assert without_mmdet['registered'] == with_mmdet['registered']
    assert {'DenseDetectorDistill', 'DenseDetectionDistiller', 'SOLOv2InstanceMaskDistillLoss', 'BPKDLoss'} <= set(
        without_mmdet['registered']['MODELS'])
    assert {'AnchorHeadAdapter', 'ATSSHeadAdapter', 'FCOSHeadAdapter', 'GFLHeadAdapter'} <= set(
        without_mmdet['registered']['TASK_UTILS'])
    for task in ('seg', 'edge'):
        assert without_mmdet[task] == pytest.approx(with_mmdet[task], rel=1e-6), task
        assert all(value > 0 for value in without_mmdet[task].values()), without_mmdet[task]


def test_detection_configs_say_what_to_install(without_mmdet):
    for path, owner in DET_CONFIGS.items():
        error = without_mmdet['det_errors'][path]
        assert error is not None, f'{path} built without mmdet'
        assert error.startswith(f"ImportError: mmkd's {owner} needs mmdet (pip install mmdet==3.3.0)"), error
    assert without_mmdet['head_types_error'].startswith("mmkd's FCOSHeadAdapter needs mmdet"), without_mmdet


def test_adapter_head_classes_are_mmdet_classes_when_installed():
    from mmdet.models.dense_heads import AnchorHead, ATSSHead, FCOSHead, GFLHead

    from mmkd.models.det_adapters import AnchorHeadAdapter, ATSSHeadAdapter, FCOSHeadAdapter, GFLHeadAdapter
    from mmkd.models.utils import MMDetClassAttr
    for adapter, head in ((AnchorHeadAdapter, AnchorHead), (ATSSHeadAdapter, ATSSHead), (FCOSHeadAdapter, FCOSHead),
                          (GFLHeadAdapter, GFLHead)):
        assert adapter.head_types == (head, ) and adapter.target_method_owner is head
        assert adapter().head_types == (head, )  # on an instance too
    with pytest.raises(ValueError, match='not a dotted name inside mmdet'):
        MMDetClassAttr('torch.nn.Conv2d')
