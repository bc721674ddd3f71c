# Copyright (c) mmkd contributors. All rights reserved.
"""Test-only hook: every rank saves its trainable parameters before and after training, for tests to compare."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankParamsDumpHook(Hook):

    def _dump(self, runner, stage: str) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        params = {name: p.detach().cpu().clone() for name, p in model.named_parameters() if p.requires_grad}
        torch.save({'params': params, 'iter': runner.iter},
                   osp.join(runner.work_dir, f'params_{stage}_rank{get_rank()}.pth'))

    def before_train(self, runner) -> None:
        self._dump(runner, 'before')

    def after_train(self, runner) -> None:
        self._dump(runner, 'after')
