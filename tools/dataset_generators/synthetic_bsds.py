# Copyright (c) mmkd contributors. All rights reserved.
"""Generate a deterministic synthetic edge-detection set in the HED-BSDS and BSDS500 layouts.

Usage::

    python tools/dataset_generators/synthetic_bsds.py data/bsds_synthetic \\
        [--num-train 20] [--num-test 5] [--height 160] [--width 240] [--seed 0] \\
        [--num-annotators 5] [--portrait-fraction 0.0] [--force]

Layout written under OUT_DIR (HED/RCF data release + BSDS500 benchmark ground truth)::

    HED-BSDS/train/aug_data/0.0_1_0/<name>.jpg
    HED-BSDS/train/aug_gt/0.0_1_0/<name>.png       uint8 edge probability (mean of the annotators' boundaries)
    HED-BSDS/train_pair.lst                        "train/aug_data/0.0_1_0/<name>.jpg train/aug_gt/0.0_1_0/<name>.png"
    HED-BSDS/test/<name>.jpg
    HED-BSDS/test.lst                              "test/<name>.jpg"
    BSDS500/data/images/{train,test}/<name>.jpg
    BSDS500/data/groundTruth/{train,test}/<name>.mat   groundTruth{k}.Segmentation / .Boundaries, as in BSDS500
    bsds_pascal_train_pair.lst                     the HED train pairs with a HED-BSDS/ prefix (no PASCAL half)

Use --height 321 --width 481 for BSDS-sized images and --portrait-fraction to make some of them 481x321 (portrait),
as in BSDS. The same seed writes byte-identical files. A non-empty OUT_DIR is refused unless --force is given (which
replaces HED-BSDS/, BSDS500/ and bsds_pascal_train_pair.lst). The summary is printed as JSON.
"""
import argparse
import inspect
import sys
from typing import List, Optional

from mmkd.testing.synthetic import generate_synthetic_bsds
from mmkd.testing.synthetic.common import add_generator_args, run_generator


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    defaults = inspect.signature(generate_synthetic_bsds).parameters
    parser = argparse.ArgumentParser(
        description='Generate a synthetic dataset in the HED-BSDS / BSDS500 layouts.',
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_generator_args(parser, generate_synthetic_bsds, eval_split='test')
    parser.add_argument(
        '--num-annotators',
        type=int,
        default=defaults['num_annotators'].default,
        help='synthetic annotators per image')
    parser.add_argument(
        '--portrait-fraction',
        type=float,
        default=defaults['portrait_fraction'].default,
        help='probability that an image is portrait (width x height)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    return run_generator(generate_synthetic_bsds, parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
