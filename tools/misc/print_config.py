# Copyright (c) mmkd contributors. All rights reserved.
"""Print a config with all its ``_base_`` files merged (mmkd's bases are up to 14 files deep), as mmseg's tool.

Usage::

    python tools/misc/print_config.py configs/rm_pfi/rm-pfi_gfl-r50_gfl-r18_8xb2-1x_coco.py
    python tools/misc/print_config.py CONFIG --cfg-options model.teacher_ckpt=/my/teacher.pth --out merged.py

mmkd is imported first, so ``mmkd::`` bases resolve and the compat layer is on, exactly as in tools/train.py.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config, DictAction

import mmkd  # noqa: F401  (compat layer: `mmkd::` base paths, the pinned stack's fixes)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Print the whole config, its _base_ files merged.')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings of the config, as tools/train.py: key=value pairs (a.b=1, a=[1,2], a="(1,2)")')
    parser.add_argument('--out', help='also write the merged config to this file (.py, .json or .yaml)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        print(f'print_config: config file {args.config!r} does not exist.', file=sys.stderr)
        return 2
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    print(f'Config (path: {args.config}):\n{cfg.pretty_text}')
    if args.out:
        cfg.dump(args.out)
        print(f'Written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
