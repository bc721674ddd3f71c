# Copyright (c) mmkd contributors. All rights reserved.
"""Turn a distillation checkpoint into a plain student checkpoint that mmseg/mmdet load directly.

mmrazor's ``SingleTeacherDistill`` saves the student under ``architecture.*`` next to ``teacher.*`` and
``distiller.*`` (connectors, memory queues, ...). This keeps only the student, without the prefix, so that
``mmseg.apis.init_model(student_config, out.pth)`` or ``tools/test.py student_config out.pth`` load it.

    python tools/model_converters/distill_to_student.py work_dirs/bpkd/iter_80000.pth student.pth \
        [--distill-config configs/bpkd/....py --out-config student_config.py]

``--out-config`` writes the student's own config (resolved from the distillation config's
``model.architecture.cfg_path``) beside the checkpoint.
"""
import argparse
import os
import os.path as osp
from collections import OrderedDict

import torch
from mmengine.config import Config

import mmkd  # noqa: F401  (compat layer: mmkd:: config paths)
from mmkd.utils import safe_torch_load

STUDENT_PREFIX = 'architecture.'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='distillation checkpoint (saved by tools/train.py)')
    parser.add_argument('dst', help='student checkpoint to write')
    parser.add_argument('--distill-config', help='the distillation config (needed for --out-config)')
    parser.add_argument('--out-config', help='write the student config here')
    return parser.parse_args()


def extract_student(checkpoint: dict, source: str = 'checkpoint') -> dict:
    """The student's weights and the run's dataset meta, from a distillation checkpoint.

    Args:
        checkpoint (dict): a loaded checkpoint with ``state_dict``.
        source (str): name of the checkpoint for error messages.

    Returns:
        dict: ``{'state_dict': ..., 'meta': ...}``.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    student = OrderedDict((key[len(STUDENT_PREFIX):], value) for key, value in state_dict.items()
                          if key.startswith(STUDENT_PREFIX))
    if not student:
        prefixes = sorted({key.split('.')[0] for key in state_dict})
        raise ValueError(f'{source} has no "{STUDENT_PREFIX}*" weights (top-level keys: {prefixes}); is it a '
                         f'distillation checkpoint of mmrazor\'s SingleTeacherDistill?')
    meta = checkpoint.get('meta', {})
    kept_meta = {key: meta[key] for key in ('dataset_meta', 'mmengine_version', 'iter', 'epoch') if key in meta}
    kept_meta['converted_from'] = osp.basename(source)
    return {'state_dict': student, 'meta': kept_meta}


def write_student_config(distill_config: str, out_config: str) -> None:
    """Write the student's config: the distillation config's ``architecture.cfg_path`` with its data and schedule."""
    from mmengine.hub import get_config
    cfg = Config.fromfile(distill_config)
    architecture = cfg.model.get('architecture', {})
    if 'cfg_path' not in architecture:
        raise ValueError(f'{distill_config}: model.architecture has no cfg_path; write the student config by hand.')
    student_cfg = get_config(architecture['cfg_path'])
    student_cfg.dump(out_config)


def main() -> None:
    args = parse_args()
    checkpoint = safe_torch_load(args.src, map_location='cpu')
    student = extract_student(checkpoint, args.src)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(student, args.dst)
    print(f'{args.dst}: {len(student["state_dict"])} student tensors from {args.src}')
    if args.out_config:
        if not args.distill_config:
            raise SystemExit('--out-config needs --distill-config')
        write_student_config(args.distill_config, args.out_config)
        print(f'{args.out_config}: student config')


if __name__ == '__main__':
    main()
