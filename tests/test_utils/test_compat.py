# Copyright (c) mmkd contributors. All rights reserved.
"""The compat layer (mmkd.utils.compat): each fix is applied by ``import mmkd`` and does what it says."""
import sys

import mmkd  # noqa: F401
from mmkd.utils import compat


def test_mmrazor_models_import_and_registry():
    import mmrazor.models  # noqa: F401
    from mmrazor.registry import MODELS
    for name in ('SingleTeacherDistill', 'ConfigurableDistiller', 'ChannelWiseDivergence'):
        assert name in MODELS.module_dict, name


def test_mmrazor_quantization_stub_is_the_only_replacement():
    stub = sys.modules[compat.MMRAZOR_BACKEND_CONFIG]
    assert stub.BackendConfigs == {}
    assert 'Stand-in installed by mmkd.utils.compat' in stub.__doc__
    # The rest of mmrazor's quantization package is the real one.
    import mmrazor.structures.quantization as quantization
    assert quantization.__file__.endswith('mmrazor/structures/quantization/__init__.py')


def test_whole_stack_imports():
    import mmdet.models  # noqa: F401
    import mmseg.models  # noqa: F401
    import torch
    from mmcv.ops import nms  # noqa: F401  (compiled ops)
    assert torch.__version__.startswith('2.13')


def test_apply_compat_is_idempotent():
    from mmengine.runner import CheckpointLoader
    before = dict(CheckpointLoader._schemes)
    compat.apply_compat()
    compat._applied = False
    compat.apply_compat()
    assert dict(CheckpointLoader._schemes).keys() == before.keys()
    assert CheckpointLoader._get_checkpoint_loader('/some/file.pth').__module__ == 'mmkd.utils.checkpoint'


def test_mmkd_config_paths_resolve():
    from mmengine.config import Config
    from mmengine.hub import get_config
    cfg = get_config('mmkd::demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py')
    assert cfg.model.backbone.base_channels == 16
    # and as a _base_ of a user's config, the way a downstream project would inherit one
    cfg = Config.fromstring(
        "_base_ = ['mmkd::demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py']\n"
        "model = dict(decode_head=dict(num_classes=7))\n", '.py')
    assert cfg.model.decode_head.num_classes == 7 and cfg.model.backbone.base_channels == 16


def test_registries_are_children_of_mmengine_roots():
    from mmengine.registry import MODELS as ROOT_MODELS
    from mmrazor.registry import MODELS as RAZOR_MODELS

    from mmkd.registry import MODELS
    assert MODELS.parent is ROOT_MODELS and MODELS.scope == 'mmkd'
    # a config in another scope names mmkd modules as 'mmkd.Name'
    assert RAZOR_MODELS.get('mmkd.CheckedSingleTeacherDistill') is MODELS.get('CheckedSingleTeacherDistill')


def test_mmkd_bases_are_built_in_their_default_scope():
    """Fix 4: what a config inherits through ``mmkd::`` keeps the scope the base was written for (its
    default_scope), not a blanket ``_scope_='mmkd'`` that mmkd's registries cannot resolve."""
    from mmengine.config import Config
    cfg = Config.fromstring("_base_ = ['mmkd::demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py']\n", '.py')
    assert cfg.default_hooks.visualization.get('_scope_') in (None, 'mmseg')
    assert cfg.train_dataloader.dataset.get('_scope_') in (None, 'mmseg')
    assert compat.mmkd_base_scope(compat.osp.join(
        compat.osp.dirname(mmkd.__file__), '..', 'configs', 'rm_pfi', 'detectors',
        'retinanet_r18_fpn_8xb2-1x_coco.py')) == 'mmdet'


def test_pipeline_errors_name_the_files():
    """Fix 6: an exception leaving a dataset pipeline carries a note with the sample's files; type and message kept."""
    import pytest
    from mmengine.dataset import Compose

    def broken(results):
        raise OSError('cannot identify image file <_io.BytesIO object>')

    pipeline = Compose([broken])
    with pytest.raises(OSError, match='cannot identify image file') as error:
        pipeline(dict(img_path='a/leftImg8bit.png', seg_map_path='a/gtFine_labelTrainIds.png'))
    assert any("seg_map_path='a/gtFine_labelTrainIds.png'" in note for note in error.value.__notes__)
