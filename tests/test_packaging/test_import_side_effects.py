# Copyright (c) mmkd contributors. All rights reserved.
"""What ``import mmkd`` (= ``custom_imports=['mmkd']``) does to a user's process: no mmdet, lazy mmkd modules, and
detection / segmentation / edge configs still build through the registries' ``locations``."""
import os.path as osp
import subprocess
import sys
import textwrap

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=REPO, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_import_mmkd_leaves_mmdet_out_and_detection_config_still_builds():
    out = _run("""
        import sys
        import mmkd
        loaded = [m for m in ('mmdet', 'mmrazor.models', 'mmseg.models', 'mmkd.models') if m in sys.modules]
        print('LOADED', loaded)

        import copy
        import torch
        from mmengine.config import Config
        from mmengine.registry import MODELS, init_default_scope
        cfg = Config.fromfile('configs/rm_pfi/rm-pfi_fcos-r50_fcos-r18_8xb2-1x_coco.py')
        assert cfg.custom_imports['imports'] == ['mmkd'] and cfg.model.type == 'mmkd.DenseDetectorDistill'
        cfg.model.teacher_ckpt = None  # no download
        init_default_scope(cfg.default_scope)
        with torch.device('meta'):
            model = MODELS.build(copy.deepcopy(cfg.model))
        print('BUILT', type(model).__module__, type(model.distiller).__name__)
        from mmengine.registry import HOOKS
        print('HOOK', HOOKS.get('mmkd.DeployHook').__module__)
        """)
    assert 'LOADED []' in out, out
    assert 'BUILT mmkd.models.algorithms.dense_detector_distill DenseDetectionDistiller' in out, out
    # mmkd.deploy is a registry location too: its hook resolves without importing mmkd.deploy by hand.
    assert 'HOOK mmkd.deploy.deploy_mode' in out, out


def test_subpackages_are_attributes_on_first_access():
    out = _run("""
        import sys
        import mmkd
        assert 'mmkd.models' not in sys.modules
        print(mmkd.models.__name__, mmkd.evaluation.EdgeMetric.__name__)
        try:
            mmkd.no_such_thing
        except AttributeError as err:
            print('ERR', err)
        """)
    assert 'mmkd.models EdgeMetric' in out, out
    assert "ERR module 'mmkd' has no attribute 'no_such_thing'" in out, out
