# Copyright (c) mmkd contributors. All rights reserved.
"""Convert timm's MobileNetV2 ImageNet weights (e.g. ``mobilenetv2_050``, width 0.5) to mmdet's ``MobileNetV2``.

The RM + PFI (AAAI 2022) Table 3 student is RetinaNet on MobileNetV2 at half width; like every other student it
starts from ImageNet weights. timm publishes a width-0.5 MobileNetV2 (``mobilenetv2_050.lamb_in1k``, 65.9 % top-1):

    wget https://github.com/rwightman/pytorch-image-models/releases/download/v0.1-weights/mobilenetv2_050-3d30d450.pth
    python tools/model_converters/timm_mobilenetv2_to_mmdet.py mobilenetv2_050-3d30d450.pth \
        checkpoints/mobilenetv2_050_timm-mmdet.pth

and ``configs/rm_pfi/detectors/retinanet_mobilenet-v2-half_fpn_8xb2-1x_coco.py`` initialises its backbone from the
output. Both networks are the published MobileNetV2 (Sandler et al., 2018): a 3x3 stride-2 stem, 7 stages of
inverted residuals (t, c, n, s) = (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
(6, 160, 3, 2), (6, 320, 1, 1) with channels rounded to multiples of 8, a 1x1 conv to 1280, ReLU6, BatchNorm. Key
mapping (timm -> mmdet):

- ``conv_stem`` / ``bn1`` -> ``conv1.conv`` / ``conv1.bn``; ``conv_head`` / ``bn2`` -> ``conv2.conv`` / ``conv2.bn``;
- stage 0 (``blocks.0.j``, no expansion): ``conv_dw``/``bn1`` -> ``layer1.j.depthwise_conv``, ``conv_pw``/``bn2``
  -> ``layer1.j.linear_conv``;
- stage i > 0 (``blocks.i.j``): ``conv_pw``/``bn1`` -> ``layer{i+1}.j.expand_conv``, ``conv_dw``/``bn2`` ->
  ``depthwise_conv``, ``conv_pwl``/``bn3`` -> ``linear_conv``;
- ``classifier`` (ImageNet logits) is dropped.

Every key must be mapped and the output is checked against an mmdet ``MobileNetV2`` of the width the weights
imply (``--widen-factor``, default 0.5): names and shapes must match one to one, or the tool stops with the
difference.
"""
import argparse
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict

import torch
from torch import Tensor

BN_PARTS = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
#: (timm conv, timm bn) -> mmdet ConvModule name, per block kind
DS_BLOCK = {'conv_dw': ('bn1', 'depthwise_conv'), 'conv_pw': ('bn2', 'linear_conv')}
IR_BLOCK = {'conv_pw': ('bn1', 'expand_conv'), 'conv_dw': ('bn2', 'depthwise_conv'),
            'conv_pwl': ('bn3', 'linear_conv')}


def convert_key(key: str) -> str:
    """The mmdet name of one timm MobileNetV2 key, '' for keys that are dropped (the classifier).

    Raises:
        KeyError: a key outside the MobileNetV2 layout (another timm model?).
    """
    if key.startswith('classifier.'):
        return ''
    for timm_conv, timm_bn, target in (('conv_stem', 'bn1', 'conv1'), ('conv_head', 'bn2', 'conv2')):
        if key == f'{timm_conv}.weight':
            return f'{target}.conv.weight'
        if key.startswith(f'{timm_bn}.') and key.split('.', 1)[1] in BN_PARTS:
            return f'{target}.bn.{key.split(".", 1)[1]}'
    match = re.fullmatch(r'blocks\.(\d+)\.(\d+)\.(\w+)\.(\w+)', key)
    if match:
        stage, block, module, part = int(match.group(1)), match.group(2), match.group(3), match.group(4)
        layout = DS_BLOCK if stage == 0 else IR_BLOCK
        prefix = f'layer{stage + 1}.{block}'
        if module in layout and part == 'weight':
            return f'{prefix}.{layout[module][1]}.conv.weight'
        for bn, target in layout.values():
            if module == bn and part in BN_PARTS:
                return f'{prefix}.{target}.bn.{part}'
    raise KeyError(f'{key!r} is not a key of timm\'s MobileNetV2 (efficientnet-style blocks.<stage>.<block>.*).')


def convert(state_dict: Dict[str, Tensor]) -> 'OrderedDict[str, Tensor]':
    """timm MobileNetV2 state dict -> mmdet ``MobileNetV2`` state dict (see the module docstring)."""
    converted = OrderedDict()
    for key, value in state_dict.items():
        target = convert_key(key)
        if target:
            converted[target] = value
    return converted


def widen_factor_of(state_dict: Dict[str, Tensor]) -> float:
    """The width multiplier the weights imply: stem channels / 32 (16 for 0.5, 32 for 1.0)."""
    return state_dict['conv1.conv.weight'].shape[0] / 32


def check_against_mmdet(state_dict: Dict[str, Tensor], widen_factor: float) -> None:
    """Names and shapes equal those of mmdet's ``MobileNetV2(widen_factor)``; a clear error otherwise."""
    from mmdet.models.backbones import MobileNetV2
    with torch.device('meta'):
        reference = MobileNetV2(widen_factor=widen_factor).state_dict()
    missing = sorted(set(reference) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(reference))
    shapes = [f'{k}: {tuple(state_dict[k].shape)} != {tuple(reference[k].shape)}' for k in reference
              if k in state_dict and state_dict[k].shape != reference[k].shape]
    if missing or unexpected or shapes:
        raise ValueError(f'The converted weights do not fit mmdet MobileNetV2(widen_factor={widen_factor}): '
                         f'missing {missing[:5]}, unexpected {unexpected[:5]}, shape mismatches {shapes[:5]}.')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help="timm checkpoint (.pth state dict, e.g. mobilenetv2_050-3d30d450.pth)")
    parser.add_argument('dst', help='mmdet backbone checkpoint to write')
    parser.add_argument('--widen-factor', type=float, default=None,
                        help='expected width multiplier (default: from the stem, 0.5 for mobilenetv2_050)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    from mmkd.utils import safe_torch_load
    checkpoint = safe_torch_load(args.src, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
    converted = convert(state_dict)
    widen_factor = args.widen_factor or widen_factor_of(converted)
    check_against_mmdet(converted, widen_factor)
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(dict(state_dict=converted, meta=dict(converted_from=osp.basename(args.src),
                                                    widen_factor=widen_factor)), args.dst)
    print(f'{len(converted)} tensors (MobileNetV2 widen_factor={widen_factor}) written to {args.dst}')


if __name__ == '__main__':
    main()
