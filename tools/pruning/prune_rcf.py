# Copyright (c) mmkd contributors. All rights reserved.
"""Channel-prune a trained RCF (He, Zhang, Sun, ICCV 2017) and write a config + checkpoint to fine-tune.

    python tools/pruning/prune_rcf.py CONFIG CHECKPOINT [--keep-ratio 0.6] [--keep-ratios conv5_3=1.0 ...]
        [--images data/BSDS/HED-BSDS/train_pair.lst | DIR] [--num-images 200] [--positions-per-image 10]
        [--out-dir work_dirs/rcf_pruned] [--out-base-config configs/edge/rcf-pruned_vgg16_1xb1-900e_bsds.py]

Layer by layer over VGG16 in RCF (``mmkd.models.edge.rcf_pruning`` on ``mmkd.models.task_modules.pruning``): for
each trunk conv, the next conv's output in the ORIGINAL network is sampled at ``--positions-per-image`` random
positions of each image, LASSO (scikit-learn) picks
the ``keep ratio × width`` input channels that best reconstruct it from the already-pruned network (the L1 weight
found by bisection), the kept weights are refit by least squares and the conv's other output channels are removed
(with RCF's side 1×1 conv on it refit the same way). Images: ``--images`` (an HED/RCF list file, first column = image
path relative to the list's folder, or a folder of images), else the config's ``train_dataloader`` dataset (its
pipeline runs, e.g. BSDS's augmented training images); each is normalised by the model's data preprocessor.

Writes to ``--out-dir``: ``rcf_pruned.pth`` (the whole model's state dict + pruning meta, loadable with
``weights_only=True``), ``<config name>_pruned.py`` (inherits ``--out-base-config``, default CONFIG, with
``model.network.backbone.channels`` = the 13 pruned widths and ``load_from`` = the checkpoint) and
``pruning_report.json`` (per layer: kept channels, LASSO α, relative reconstruction errors). Fine-tune with
``python tools/train.py OUT_DIR/<config name>_pruned.py``.

The paper samples 10 positions in each of 5000 images. The least-squares refit of a 512-channel 3×3 conv kept at
60 % has 2765 unknowns per output channel: use at least that many sampled positions (images × positions per image)
or the refit is under-determined (a warning says so).
"""
import argparse
import json
import os
import os.path as osp
import random
import time
from typing import Callable, Dict, Iterable, List

import mmcv
import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import DATASETS, MODELS, init_default_scope
from mmengine.runner import load_checkpoint
from mmseg.structures import SegDataSample

import mmkd  # noqa: F401  (registries, compat layer: safe checkpoint loading, mmkd:: config paths)
from mmkd.models.edge import RCF
from mmkd.models.edge.rcf_pruning import (
    DEFAULT_KEEP_RATIO,
    prune_rcf,
    pruned_rcf_config,
    rcf_channels,
    rcf_conv_names,
)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config of the trained RCF (an mmkd.EdgeDetector with network=RCF)')
    parser.add_argument('checkpoint', help='its checkpoint (tools/train.py output or a converted one)')
    parser.add_argument('--keep-ratio', type=float, default=DEFAULT_KEEP_RATIO,
                        help='fraction of every trunk conv\'s output channels kept')
    parser.add_argument('--keep-ratios', nargs='+', action=DictAction, default={},
                        help='per-conv overrides, e.g. conv1_1=0.8 conv5_3=1.0')
    parser.add_argument('--images', help='HED/RCF list file or folder of images (default: the config\'s train set)')
    parser.add_argument('--num-images', type=int, default=200, help='images sampled (randomly, by --seed)')
    parser.add_argument('--positions-per-image', type=int, default=10, help='output positions per image and layer')
    parser.add_argument('--max-side', type=int, default=None,
                        help='downscale images whose longer side exceeds this (faster sampling on CPU)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out-dir', default='work_dirs/rcf_pruned')
    parser.add_argument('--out-base-config', help='config the written one inherits (default: CONFIG)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def list_images(source: str) -> List[str]:
    """Image paths from an HED/RCF list file (first column, relative to the list's folder) or a folder."""
    if osp.isdir(source):
        paths = sorted(osp.join(source, name) for name in os.listdir(source) if name.lower().endswith(IMAGE_EXTENSIONS))
    elif osp.isfile(source):
        with open(source) as f:
            paths = [osp.join(osp.dirname(source), line.split()[0]) for line in f if line.strip()]
    else:
        raise FileNotFoundError(f'--images {source}: no such list file or folder')
    if not paths:
        raise ValueError(f'--images {source}: no images found')
    missing = [path for path in paths if not osp.isfile(path)]
    if missing:
        raise FileNotFoundError(f'--images {source}: {len(missing)} listed images do not exist, e.g. {missing[0]}')
    return paths


def image_batches(model: torch.nn.Module, cfg: Config, args: argparse.Namespace) -> Callable[[], Iterable]:
    """A callable returning the normalised images [1, 3, H, W] (loaded once, kept on the CPU)."""
    rng = random.Random(args.seed)
    raw: List[dict] = []
    if args.images:
        paths = list_images(args.images)
        for path in rng.sample(paths, min(args.num_images, len(paths))):
            image = mmcv.imread(path, flag='color')  # BGR, as LoadImageFromFile; grey images become 3 channels
            raw.append(dict(inputs=torch.from_numpy(image).permute(2, 0, 1).contiguous(), data_sample=SegDataSample()))
    else:
        if 'train_dataloader' not in cfg:
            raise KeyError(f'{args.config} has no train_dataloader: pass --images')
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
        for index in rng.sample(range(len(dataset)), min(args.num_images, len(dataset))):
            sample = dataset[index]
            raw.append(dict(inputs=sample['inputs'], data_sample=sample['data_samples']))
    if not raw:
        raise ValueError('no images to sample from')
    images = []
    for item in raw:
        inputs = item['inputs']
        if args.max_side and max(inputs.shape[-2:]) > args.max_side:
            scale = args.max_side / max(inputs.shape[-2:])
            size = [max(1, round(side * scale)) for side in inputs.shape[-2:]]
            inputs = torch.nn.functional.interpolate(inputs[None].float(), size=size, mode='bilinear',
                                                     align_corners=False)[0]
        data = dict(inputs=[inputs], data_samples=[item['data_sample']])
        batch = model.data_preprocessor(data, training=False)['inputs']
        images.append(batch.cpu())
    source = f'--images {args.images}' if args.images else 'the config\'s train set'
    print_log(f'[prune_rcf] sampling {len(images)} images from {source}', logger='current')

    def batches():
        return (image.to(args.device) for image in images)

    return batches


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    rcf = getattr(model, 'network', None)
    if not isinstance(rcf, RCF):
        raise TypeError(f'{args.config}: model.network must be an mmkd.RCF, got {type(rcf).__name__}')
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True)
    model.to(args.device).eval()

    unknown = sorted(set(args.keep_ratios) - set(rcf_conv_names(rcf)))
    if unknown:
        raise ValueError(f'--keep-ratios: unknown convs {unknown}; RCF trunk convs are {rcf_conv_names(rcf)}')
    keep_ratio: Dict[str, float] = {name: float(args.keep_ratios.get(name, args.keep_ratio))
                                    for name in rcf_conv_names(rcf)}
    batches = image_batches(model, cfg, args)
    widths_before = rcf_channels(rcf)
    start = time.perf_counter()
    reports = prune_rcf(rcf, batches, keep_ratio, args.positions_per_image, args.seed)
    print_log(f'[prune_rcf] widths {widths_before} -> {rcf_channels(rcf)} in {time.perf_counter() - start:.1f} s',
              logger='current')

    os.makedirs(args.out_dir, exist_ok=True)
    checkpoint_path = osp.abspath(osp.join(args.out_dir, 'rcf_pruned.pth'))
    meta = dict(pruned_from=osp.abspath(args.checkpoint), config=osp.abspath(args.config), channels=rcf_channels(rcf),
                keep_ratio=keep_ratio, method='channel pruning, He et al. ICCV 2017 (mmkd tools/pruning)')
    model.cpu()
    torch.save(dict(meta=meta, state_dict=model.state_dict()), checkpoint_path)

    base = args.out_base_config or args.config
    if '::' not in base:
        base = osp.abspath(base)
    config_name = osp.splitext(osp.basename(args.config))[0] + '_pruned.py'
    config_path = osp.join(args.out_dir, config_name)
    with open(config_path, 'w') as f:
        f.write(pruned_rcf_config(base, rcf, checkpoint_path))
    report = dict(
        meta,
        num_images=sum(1 for _ in batches()),
        positions_per_image=args.positions_per_image,
        layers=[
            dict(producer=r.step.producer, consumer=r.step.consumer, in_channels=r.in_channels, kept=r.kept,
                 lasso_alpha=r.alpha, exact_count=r.exact, num_samples=r.num_samples,
                 error_before=r.error_before_refit, error_after=r.error_after_refit, side_errors=r.side_errors)
            for r in reports
        ])
    with open(osp.join(args.out_dir, 'pruning_report.json'), 'w') as f:
        json.dump(report, f, indent=1)
    print(f'pruned checkpoint: {checkpoint_path}\npruned config: {config_path}\n'
          f'fine-tune: python tools/train.py {config_path}')


if __name__ == '__main__':
    main()
