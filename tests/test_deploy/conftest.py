# Copyright (c) mmkd contributors. All rights reserved.
"""Shared builders for the deploy tests: edge models with non-trivial BatchNorm statistics, tiny seg students."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmkd.registry import MODELS
from tests.helpers.tools import REPO_ROOT

EDGE_CONFIGS = {
    'RCF': 'configs/edge/rcf_vgg16_1xb1-900e_bsds.py',
    'HED': 'configs/edge/hed_vgg16_1xb1-900e_bsds.py',
    'Model': 'configs/edge/model_mobilenetv2_1xb1-900e_bsds.py',
    'SO Model': 'configs/edge/so-model_mobilenetv2_1xb1-900e_bsds.py',
}
SEG_CONFIGS = {
    'PSPNet-R18': 'configs/seg_baselines/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
    'DeepLabV3+-MobileNetV2': 'configs/seg_baselines/mobilenet-v2-d8_deeplabv3plus_4xb2-80k_cityscapes-512x1024.py',
}


def randomise(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """BN statistics and affine parameters far from (0, 1), so that folding BN is actually exercised, and
    zero-initialised convs (HED's side convs start at 0) drawn from N(0, 0.01) as RCF initialises its side convs,
    zero biases from N(0, 0.1); other weights keep PyTorch's default init (realistic logit magnitudes)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.copy_(torch.rand(module.num_features, generator=generator) - 0.5)
                module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
                module.bias.copy_(torch.rand(module.num_features, generator=generator) - 0.5)
            elif isinstance(module, torch.nn.Conv2d):
                if not module.weight.any():
                    module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * 0.01)
                if module.bias is not None and not module.bias.any():  # zero biases would hide a lost bias
                    module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
    return model.eval()


def build_from_config(config: str, **model_overrides):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    cfg.model.update(model_overrides)
    if 'pretrained' in cfg.model:
        cfg.model.pretrained = None
    if 'backbone' in cfg.model and 'init_cfg' in cfg.model.backbone:
        cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmseg')):
        model = MODELS.build(cfg.model)
    return randomise(model)


@pytest.fixture
def edge_model():
    return lambda name, **overrides: build_from_config(EDGE_CONFIGS[name], **overrides)


@pytest.fixture
def seg_model():
    return lambda name: build_from_config(SEG_CONFIGS[name])
