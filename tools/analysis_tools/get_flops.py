# Copyright (c) mmkd contributors. All rights reserved.
"""FLOPs and parameters of a config's model; for a distillation config, of its student (and teacher).

    python tools/analysis_tools/get_flops.py CONFIG [--shape 512 1024] [--teacher]

Uses mmengine's ``get_model_complexity_info`` on the model's ``forward(mode='tensor')``.
"""
import argparse

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction
from mmengine.registry import MODELS, init_default_scope

import mmkd  # noqa: F401


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs='+', default=[512, 1024], help='input H W (or one side)')
    parser.add_argument('--teacher', action='store_true', help='also report the teacher of a distillation config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def complexity(model: torch.nn.Module, shape: tuple) -> dict:
    """FLOPs/params of ``model`` on one [1, 3, H, W] input, in mmengine's formatted strings."""
    model.eval()
    inputs = (torch.zeros(1, 3, *shape), )
    return get_model_complexity_info(model, inputs=inputs, show_table=False, show_arch=False)


def main() -> None:
    args = parse_args()
    shape = tuple(args.shape) * 2 if len(args.shape) == 1 else tuple(args.shape)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None  # the architecture is what is measured, not the weights
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    models = {'model': model}
    if hasattr(model, 'student') and hasattr(model, 'teacher'):
        models = {'student': model.student}
        if args.teacher:
            models['teacher'] = model.teacher
    for name, module in models.items():
        info = complexity(module, shape)
        print(f'{name}: input {shape[0]}x{shape[1]}, FLOPs {info["flops_str"]}, params {info["params_str"]}')


if __name__ == '__main__':
    main()
