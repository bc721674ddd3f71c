# Copyright (c) mmkd contributors. All rights reserved.
"""Peak CPU memory of one CIRKD mini-batch pixel-to-pixel step (forward + backward) at the rows' feature sizes.

Each case runs in a fresh Python process: random raw decode features of the row's student and teacher widths
(student with gradient), ``mmkd.CIRKDMiniBatchLoss`` as the method base configures it (tau 0.1, avg pooling with
``max_pixels=8192``) or unpooled, forward then backward. Reported: the peak resident set size of the step above the
process's size just before it (``ru_maxrss`` after the step minus the RSS before; the imports' own peak is far below
the step's), and that peak in units of one [hw x hw] fp32 similarity matrix of the grid the loss works on.

Cases, batch 1 by default (memory grows as B^2: every ordered image pair has its own matrices):
  pspnet-r18   1/8 of 512x1024: 64x128, D_s 128, D_t 512 (PSPNet-R101 teacher), no pooling needed
  hrnet-w18s   1/4 of 512x1024: 128x256, D_s 270, D_t 720 (HRNet-W48 teacher), pooled 2x2 to 64x128
  dlv3p-mv2    1/4 of 512x1024: 128x256, D_s 128, D_t 512 (DeepLabV3+-R101 teacher; BPKD's Cityscapes student
               decode width), pooled 2x2 to 64x128
  unpooled-HxW the same loss without pooling on an HxW grid (the 1/4 rows before this fix at 128x256); a case whose
               estimate exceeds the memory available is skipped unless --force (128x256 needs ~16x the 64x128 peak)

    python benchmarks/cirkd_memory.py [--batch 1] [--unpooled 64x128 80x160 96x192 128x256] [--threads 2] [--force]
"""
import argparse
import json
import resource
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

CASES: Dict[str, Tuple[int, int, int, int, Optional[int]]] = {
    # name: (student width, teacher width, h, w, max_pixels)
    'pspnet-r18': (128, 512, 64, 128, 8192),
    'hrnet-w18s': (270, 720, 128, 256, 8192),
    'dlv3p-mv2': (128, 512, 128, 256, 8192),
}
UNPOOLED_WIDTHS = (270, 720)  # the HRNet pair's, the widest


def run_case(student_width: int, teacher_width: int, height: int, width: int, max_pixels: Optional[int],
             batch: int, threads: int) -> dict:
    """Measure one step in this process; returns the numbers as a dict."""
    import psutil
    import torch

    import mmkd  # noqa: F401
    from mmkd.models.losses import CIRKDMiniBatchLoss

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    loss_fn = CIRKDMiniBatchLoss(tau=0.1, loss_weight=1.0, max_pixels=max_pixels, pool_type='avg')
    feats_S = torch.randn(batch, student_width, height, width, requires_grad=True)
    feats_T = torch.randn(batch, teacher_width, height, width)
    factor = loss_fn.pool_factor((height, width))
    grid = (-(-height // factor), -(-width // factor))
    rss_before = psutil.Process().memory_info().rss
    loss = loss_fn(feats_S, feats_T)
    loss.backward()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    matrix_bytes = (grid[0] * grid[1])**2 * 4
    step_peak = max(peak - rss_before, 0)
    return dict(batch=batch, features=f'{height}x{width}', pool_factor=factor, grid=f'{grid[0]}x{grid[1]}',
                step_peak_gib=step_peak / 2**30, matrix_gib=matrix_bytes / 2**30,
                matrices_at_peak=step_peak / matrix_bytes, loss=float(loss))


def parse_size(text: str) -> Tuple[int, int]:
    height, width = text.lower().split('x')
    return int(height), int(width)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--unpooled', nargs='*', default=['64x128', '80x160', '96x192', '128x256'],
                        help='grids HxW to run without pooling (HRNet pair widths)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--force', action='store_true', help='run cases whose estimate exceeds available memory')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one measurement, in a fresh process
        print(json.dumps(run_case(*json.loads(args.child), batch=args.batch, threads=args.threads)))
        return 0

    import psutil
    cases = [(name, spec) for name, spec in CASES.items()]
    cases += [(f'unpooled-{size}', (*UNPOOLED_WIDTHS, *parse_size(size), None)) for size in args.unpooled]
    bytes_per_matrix_element = None  # learned from the first unpooled case: peak / (B^2 (hw)^2)
    print(f'{"case":<18}{"batch":>6}{"features":>10}{"pool":>6}{"grid":>9}{"peak GiB":>10}{"1 matrix GiB":>14}'
          f'{"peak/matrix":>13}')
    for name, spec in cases:
        if spec[4] is None and bytes_per_matrix_element is not None:
            estimate = bytes_per_matrix_element * args.batch**2 * (spec[2] * spec[3])**2
            available = psutil.virtual_memory().available
            if estimate > 0.8 * available and not args.force:
                print(f'{name:<18}{args.batch:>6}  skipped: estimated {estimate / 2**30:.1f} GiB from the smaller '
                      f'unpooled grids, {available / 2**30:.1f} GiB available (--force to run)')
                continue
        command = [sys.executable, __file__, '--child', json.dumps(list(spec)), '--batch', str(args.batch),
                   '--threads', str(args.threads)]
        result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        if spec[4] is None and bytes_per_matrix_element is None:
            bytes_per_matrix_element = result['step_peak_gib'] * 2**30 / (args.batch**2 * (spec[2] * spec[3])**2)
        print(f'{name:<18}{result["batch"]:>6}{result["features"]:>10}{result["pool_factor"]:>6}{result["grid"]:>9}'
              f'{result["step_peak_gib"]:>10.2f}{result["matrix_gib"]:>14.3f}{result["matrices_at_peak"]:>13.1f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
