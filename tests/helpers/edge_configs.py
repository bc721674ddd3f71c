# Copyright (c) mmkd contributors. All rights reserved.
"""The edge models' trunks and input normalisation, read from the configs that define them (they exist once, in
``configs/_base_/models/``; the code carries no copy)."""
import os.path as osp

from mmengine.config import Config

from tests.helpers.tools import REPO_ROOT

EDGE_MODELS = osp.join(REPO_ROOT, 'configs', '_base_', 'models')


def _read(name: str) -> Config:
    return Config.fromfile(osp.join(EDGE_MODELS, name))


def edge_data_preprocessor() -> dict:
    """``data_preprocessor`` of ``edge_data_preprocessor.py`` (every edge model's: BGR minus the BSDS mean)."""
    return _read('edge_data_preprocessor.py').data_preprocessor.to_dict()


def rcf_backbone(**overrides) -> dict:
    """RCF's VGG16 trunk, ``model.network.backbone`` of ``edge_rcf.py``, updated with ``overrides``."""
    return dict(_read('edge_rcf.py').model.network.backbone.to_dict(), **overrides)


def hed_backbone(**overrides) -> dict:
    """HED's VGG16 trunk, ``model.network.backbone`` of ``edge_hed.py``, updated with ``overrides``."""
    return dict(_read('edge_hed.py').model.network.backbone.to_dict(), **overrides)
