# Copyright (c) mmkd contributors. All rights reserved.
"""Generate a deterministic synthetic detection / instance-segmentation set in the COCO 2017 layout.

Usage::

    python tools/dataset_generators/synthetic_coco.py data/coco_synthetic \\
        [--num-train 40] [--num-val 10] [--height 160] [--width 224] [--seed 0] [--max-objects 5] [--force]

Layout written under OUT_DIR (what ``mmdet.datasets.CocoDataset`` reads with
``ann_file='annotations/instances_train2017.json', data_prefix=dict(img='train2017/')``)::

    train2017/<image id:012d>.jpg
    val2017/<image id:012d>.jpg
    annotations/instances_{train2017,val2017}.json

The json files are COCO "instances" files with the full 80 categories (real ids 1..90 with gaps); objects are drawn
from person, bicycle, car, bus, traffic light and dog, annotated with polygons (visible part), bbox, area and
iscrowd=0. The first image of each split has no objects. The same seed writes byte-identical files. A non-empty
OUT_DIR is refused unless --force is given (which replaces train2017/, val2017/ and annotations/). The summary is
printed as JSON.
"""
import argparse
import inspect
import sys
from typing import List, Optional

from mmkd.testing.synthetic import generate_synthetic_coco
from mmkd.testing.synthetic.common import add_generator_args, run_generator


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic dataset in the COCO 2017 layout.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_generator_args(parser, generate_synthetic_coco, eval_split='val')
    parser.add_argument(
        '--max-objects',
        type=int,
        default=inspect.signature(generate_synthetic_coco).parameters['max_objects'].default,
        help='maximum number of objects per image')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    return run_generator(generate_synthetic_coco, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
