# Copyright (c) mmkd contributors. All rights reserved.
"""Generate a deterministic synthetic street-scene dataset in the Cityscapes layout.

Usage::

    python tools/dataset_generators/synthetic_cityscapes.py data/cityscapes_synthetic \\
        [--num-train 64] [--num-val 16] [--height 128] [--width 256] [--seed 0] [--force]

Layout written under OUT_DIR (what ``mmseg.datasets.CityscapesDataset`` reads with
``data_prefix=dict(img_path='leftImg8bit/train', seg_map_path='gtFine/train')``)::

    leftImg8bit/{train,val}/<city>/<city>_<seq:06d>_000019_leftImg8bit.png        RGB
    gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_labelTrainIds.png    uint8: 19 train ids, 255 = ignore
    gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_labelIds.png         uint8: official label ids
    gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_color.png            RGBA: Cityscapes palette
    gtFine/{train,val}/<city>/<city>_<seq:06d>_000019_gtFine_instanceIds.png      uint16: id * 1000 + k for things

Cities: aachen, bochum (train), frankfurt (val). Each split with >= 10 images contains all 19 classes. The same seed
writes byte-identical files. A non-empty OUT_DIR is refused unless --force is given (which replaces its
leftImg8bit/ and gtFine/). The summary (pixel counts per class, ignore and near-boundary fractions) is printed as
JSON.
"""
import argparse
import sys
from typing import List, Optional

from mmkd.testing.synthetic import generate_synthetic_cityscapes
from mmkd.testing.synthetic.common import add_generator_args, run_generator


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic dataset in the Cityscapes layout.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_generator_args(parser, generate_synthetic_cityscapes, eval_split='val')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    return run_generator(generate_synthetic_cityscapes, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
