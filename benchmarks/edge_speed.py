# Copyright (c) mmkd contributors. All rights reserved.
"""CPU speed and memory of the edge models, measured in one run: the seed's Table 1 (RCF, pruned RCF, Model, SO Model).

    python benchmarks/edge_speed.py [--size 1000] [--repeats 5] [--threads 2 1] [--deploy]
        [--pruned-config OUT/..._pruned.py --pruned-checkpoint OUT/rcf_pruned.pth] [--eval-images 5]

What is measured, per thread setting (default: all cores, then 1 thread):
  * latency: batch 1, 3 x size x size, fp32, the network's forward + sigmoid of the final output, median of
    ``--repeats`` calls after one warm-up; the repeats are INTERLEAVED across the models (round robin, rotating who
    goes first) so that load drift hits all alike;
  * memory: every model runs in its own fresh process (spawned). Its peak resident set size (torch's CPU
    allocations are plain RSS, which tracemalloc does not see) is the kernel's VmHWM, reset (``/proc/self/clear_refs``)
    after the build so that import/build peaks do not count, read after the timed calls: ``peak MB`` is the whole
    process at its inference peak (Python + libraries + weights + activations), ``infer MB`` that peak minus the RSS
    just before the first forward (activations and workspace);
  * params and FLOPs: mmengine's ``get_model_complexity_info`` on the same input, after the memory reading
    (mmengine counts a multiply-add as one FLOP and counts convs / linear layers, not pooling, BN, adds, upsampling);
  * contention: the load average at the start, and the system-wide CPU use over the 0.2 s before every timed call
    (all benchmark processes idle then, so it is other people's load): the run warns loudly when it is not quiet;
  * with ``--eval-images N``: the evaluator (``mmkd.evaluation.functional.evaluate_edge_image``, 99 thresholds, NMS +
    thinning + matching, what ``mmkd.EdgeMetric`` does per image) on the real BSDS annotations in
    ``--bench-data`` (seconds per image).

``--deploy`` applies the same inference engineering to every model: BN folded into the convs (mmcv's
``fuse_conv_bn``), ``channels_last`` weights and input, ``torch.inference_mode``. Without it: eval mode under
``torch.no_grad``, contiguous NCHW.

The pruned RCF: by default a randomly initialised RCF pruned by ``mmkd.models.edge.pruning.prune_rcf`` on random
images at the keep ratio ``--keep-ratio`` (only the widths matter for speed; the random-data refit is not a trained
model); or the tool's output via ``--pruned-config`` / ``--pruned-checkpoint``. All weights are otherwise random.
Ends with ``student vs RCF: N.Nx faster`` and ``student vs pruned RCF: N.Nx faster`` (student = Model; targets
>= 6x and >= 2x).
"""
import argparse
import multiprocessing as mp
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
import warnings
from typing import Dict, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RCF_CONFIG = osp.join(REPO_ROOT, 'configs/edge/rcf_vgg16_1xb1-900e_bsds.py')
MODEL_CONFIG = osp.join(REPO_ROOT, 'configs/edge/model_mobilenetv2_1xb1-900e_bsds.py')
SO_MODEL_CONFIG = osp.join(REPO_ROOT, 'configs/edge/so-model_mobilenetv2_1xb1-900e_bsds.py')
QUIET_BUSY_PERCENT = 10.0  # system CPU use before a timed call above this: the machine is not quiet


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=int, default=1000, help='input side (the seed: 1000x1000)')
    parser.add_argument('--repeats', type=int, default=5, help='timed calls per model (after one warm-up)')
    parser.add_argument('--threads', type=int, nargs='+', default=None,
                        help='intra-op thread settings to run (default: all available cores, then 1)')
    parser.add_argument('--deploy', action='store_true', help='BN folding + channels_last + inference_mode, for all')
    parser.add_argument('--keep-ratio', type=float, default=None, help='pruned RCF keep ratio (default: the tool\'s)')
    parser.add_argument('--pruned-config', help='a config written by tools/pruning/prune_rcf.py')
    parser.add_argument('--pruned-checkpoint', help='its checkpoint')
    parser.add_argument('--prune-images', type=int, default=4, help='random images to prune the random RCF on')
    parser.add_argument('--prune-size', type=int, default=96)
    parser.add_argument('--prune-positions', type=int, default=256, help='positions per image and layer (pruning)')
    parser.add_argument('--eval-images', type=int, default=5, help='0: do not time the evaluator')
    parser.add_argument('--bench-data', default=osp.join(REPO_ROOT, '..', 'shared', 'data', 'bsds500_bench'))
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def build_network(config: str, state_dict_path: Optional[str] = None):
    """The ``network`` of an EdgeDetector config (random init unless a state dict is given)."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    import mmkd  # noqa: F401
    from mmkd.utils import safe_torch_load
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    if state_dict_path is not None:
        checkpoint = safe_torch_load(state_dict_path, map_location='cpu')
        model.load_state_dict(checkpoint.get('state_dict', checkpoint), strict=True)
    else:
        model.init_weights()
    return model.network.eval()


def rss_bytes() -> int:
    import psutil
    return psutil.Process().memory_info().rss


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process (Linux >= 4.0); False where that is impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """VmHWM (peak RSS since the last reset) from /proc, else ``ru_maxrss`` (peak since the process started)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def worker(conn, name: str, config: str, state_dict_path: Optional[str], threads: int, size: int, deploy: bool,
           seed: int) -> None:
    """One model in a fresh process: build, then answer 'run' / 'memory' / 'complexity' / 'stop' requests."""
    import torch
    from mmengine.logging import MMLogger
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    MMLogger.get_instance('edge_speed_worker', log_level='ERROR')  # init / FLOPs-counter chatter off
    try:
        network = build_network(config, state_dict_path)
        inputs = torch.randn(1, 3, size, size) * 50  # BGR minus the mean: roughly +-50
        if deploy:
            from mmcv.cnn import fuse_conv_bn
            network = fuse_conv_bn(network).to(memory_format=torch.channels_last)
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        params = sum(p.numel() for p in network.parameters())
        grad_context = torch.inference_mode if deploy else torch.no_grad
        # Import-time and build-time peaks exceed some models' inference peak: measure from here on.
        peak_reset = reset_peak_rss()
        baseline = rss_bytes()
        conn.send(dict(params=params))
        while True:
            request = conn.recv()
            if request == 'run':
                start = time.perf_counter()
                with grad_context():
                    outputs = network(inputs)
                    torch.sigmoid(outputs[-1])
                conn.send(time.perf_counter() - start)
            elif request == 'memory':
                peak = peak_rss_bytes()
                conn.send(dict(peak=peak, inference=peak - baseline, peak_reset=peak_reset))
            elif request == 'complexity':
                from mmengine.analysis import get_model_complexity_info
                with torch.no_grad():
                    info = get_model_complexity_info(network, inputs=(inputs, ), show_table=False, show_arch=False)
                conn.send(dict(flops=info['flops']))
            elif request == 'stop':
                conn.send('bye')
                return
    except Exception as err:  # report to the coordinator instead of dying silently
        import traceback
        conn.send(dict(error=f'{name}: {err!r}\n{traceback.format_exc()}'))


def system_busy_percent(interval: float = 0.2) -> float:
    import psutil
    return psutil.cpu_percent(interval=interval)


def measure(models: Dict[str, dict], threads: int, args: argparse.Namespace) -> Dict[str, dict]:
    """Latency, memory and complexity of every model, interleaved, each in its own process."""
    context = mp.get_context('spawn')
    procs, conns = {}, {}
    for name, spec in models.items():
        parent, child = context.Pipe()
        proc = context.Process(
            target=worker,
            args=(child, name, spec['config'], spec.get('state_dict'), threads, args.size, args.deploy, args.seed),
            daemon=True)
        proc.start()
        procs[name], conns[name] = proc, parent
    results = {name: dict(times=[], busy=[]) for name in models}
    try:
        for name, conn in conns.items():  # builds run in parallel, sequentially collected
            answer = conn.recv()
            if 'error' in answer:
                raise RuntimeError(answer['error'])
            results[name].update(answer)
        names = list(models)
        for round_index in range(args.repeats + 1):  # round 0 is the warm-up
            order = names[round_index % len(names):] + names[:round_index % len(names)]
            for name in order:
                busy = system_busy_percent()
                conns[name].send('run')
                seconds = conns[name].recv()
                if isinstance(seconds, dict):
                    raise RuntimeError(seconds['error'])
                if round_index > 0:
                    results[name]['times'].append(seconds)
                    results[name]['busy'].append(busy)
            print(f'  [threads={threads}] round {round_index}/{args.repeats}: ' + ', '.join(
                f'{name} {1000 * results[name]["times"][-1]:.0f} ms' if results[name]['times'] else f'{name} warm-up'
                for name in names), flush=True)
        for name, conn in conns.items():
            conn.send('memory')
            results[name].update(conn.recv())
            conn.send('complexity')
            answer = conn.recv()
            if 'error' in answer:
                raise RuntimeError(answer['error'])
            results[name].update(answer)
            conn.send('stop')
            conn.recv()
    finally:
        for proc in procs.values():
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
    return results


def make_pruned_rcf(args: argparse.Namespace, work_dir: str) -> dict:
    """The pruned RCF's spec: the tool's output if given, else a random RCF pruned on random images."""
    if args.pruned_config:
        return dict(config=args.pruned_config, state_dict=args.pruned_checkpoint)
    import torch
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    import mmkd  # noqa: F401
    from mmkd.models.edge.pruning.rcf_pruning import DEFAULT_KEEP_RATIO, prune_rcf, pruned_rcf_config
    torch.manual_seed(args.seed)
    cfg = Config.fromfile(RCF_CONFIG)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    images = [torch.randn(1, 3, args.prune_size, args.prune_size) * 50 for _ in range(args.prune_images)]
    keep_ratio = DEFAULT_KEEP_RATIO if args.keep_ratio is None else args.keep_ratio
    start = time.perf_counter()
    with warnings.catch_warnings():  # the random-data refit is under-determined for conv4/5: irrelevant for speed
        warnings.simplefilter('ignore', UserWarning)
        prune_rcf(model.network, lambda: images, keep_ratio, positions_per_image=args.prune_positions, seed=args.seed,
                  logger=None)
    print(f'pruned a random RCF at keep ratio {keep_ratio} on {args.prune_images} random {args.prune_size}^2 images '
          f'in {time.perf_counter() - start:.0f} s', flush=True)
    checkpoint = osp.join(work_dir, 'rcf_pruned_random.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    config = osp.join(work_dir, 'rcf_pruned_random.py')
    with open(config, 'w') as f:
        f.write(pruned_rcf_config(RCF_CONFIG, model.network, checkpoint))
    return dict(config=config, state_dict=checkpoint)


def time_evaluator(args: argparse.Namespace) -> Optional[str]:
    """Seconds per image of the per-image evaluation (99 thresholds, NMS, thinning, matching) on real BSDS GT."""
    import glob

    import cv2

    from mmkd.evaluation.functional import evaluate_edge_image, load_bsds_boundaries
    mats = sorted(glob.glob(osp.join(args.bench_data, 'groundTruth', '*.mat')))[:args.eval_images]
    if not mats:
        return f'evaluator: not timed (no .mat files under {args.bench_data})'
    seconds = []
    for mat in mats:
        name = osp.splitext(osp.basename(mat))[0]
        pred = cv2.imread(osp.join(args.bench_data, 'png', name + '.png'), cv2.IMREAD_UNCHANGED)
        boundaries = load_bsds_boundaries(mat)
        start = time.perf_counter()
        evaluate_edge_image(pred, boundaries, thresholds=99, nms=True)
        seconds.append(time.perf_counter() - start)
    shape = pred.shape
    return (f'evaluator (evaluate_edge_image: NMS + 99 thresholds x thinning + matching against '
            f'{len(boundaries)} annotators, {shape[0]}x{shape[1]}): median {statistics.median(seconds):.2f} s/image '
            f'over {len(seconds)} real BSDS images (min {min(seconds):.2f}, max {max(seconds):.2f}), one process')


def print_table(results: Dict[str, dict], threads: int, args: argparse.Namespace) -> None:
    from prettytable import PrettyTable
    rcf_ms = 1000 * statistics.median(results['RCF']['times'])
    table = PrettyTable(['model', 'params (M)', 'FLOPs (G)', 'ms (median)', 'min-max ms', 'peak MB', 'infer MB',
                         'x faster than RCF', 'busy % before'])
    for name, result in results.items():
        ms = 1000 * statistics.median(result['times'])
        table.add_row([
            name, f'{result["params"] / 1e6:.2f}', f'{result["flops"] / 1e9:.1f}', f'{ms:.0f}',
            f'{1000 * min(result["times"]):.0f}-{1000 * max(result["times"]):.0f}', f'{result["peak"] / 2**20:.0f}',
            f'{result["inference"] / 2**20:.0f}', f'{rcf_ms / ms:.2f}', f'{statistics.median(result["busy"]):.0f}'
        ])
    mode = 'deploy (BN folded, channels_last, inference_mode)' if args.deploy else 'eager (no_grad, NCHW)'
    print(f'\nTable 1 ({threads} thread{"s" if threads > 1 else ""}, batch 1, {args.size}x{args.size}, fp32, {mode}, '
          f'median of {args.repeats} interleaved calls):')
    print(table)
    if not all(result.get('peak_reset') for result in results.values()):
        print('note: the peak-RSS mark could not be reset here (/proc/self/clear_refs): peak MB includes import/build')


def main() -> None:
    args = parse_args()
    import psutil
    import torch
    from mmengine.logging import MMLogger
    MMLogger.get_instance('edge_speed', log_level='ERROR')  # init_weights chatter off
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    thread_settings = args.threads or sorted({cores, 1}, reverse=True)
    load_start = os.getloadavg()
    print(f'torch {torch.__version__}, {cores} cores available, {psutil.cpu_count(logical=False)} physical; '
          f'load average at start {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f}', flush=True)
    if load_start[0] > 0.5:
        print(f'WARNING: load average {load_start[0]:.2f} at start: the machine is NOT quiet; latencies below are '
              'contended (see "busy % before" per model)', flush=True)

    with tempfile.TemporaryDirectory() as work_dir:
        models = {
            'RCF': dict(config=RCF_CONFIG),
            'pruned RCF': make_pruned_rcf(args, work_dir),
            'Model': dict(config=MODEL_CONFIG),
            'SO Model': dict(config=SO_MODEL_CONFIG),
        }
        all_results = {}
        for threads in thread_settings:
            all_results[threads] = measure(models, threads, args)
            print_table(all_results[threads], threads, args)

    evaluator_line = time_evaluator(args) if args.eval_images > 0 else None
    load_end = os.getloadavg()
    busy = [b for results in all_results.values() for r in results.values() for b in r['busy']]
    print(f'\nload average at end {load_end[0]:.2f}; system CPU busy before the timed calls: median '
          f'{statistics.median(busy):.0f} %, max {max(busy):.0f} %')
    if statistics.median(busy) > QUIET_BUSY_PERCENT or load_start[0] > 0.5:
        print('WARNING: NOT A QUIET MACHINE: other processes used the CPUs during this run; depthwise-heavy students '
              'lose most under contention (spec: 17x idle vs 3.9x with one core busy). Rerun on an idle machine.')
    if evaluator_line:
        print(evaluator_line)
    for threads, results in all_results.items():
        median_ms = {name: 1000 * statistics.median(r['times']) for name, r in results.items()}
        suffix = '' if threads == thread_settings[0] else f' ({threads} thread{"s" if threads > 1 else ""})'
        print(f'SO Model vs RCF: {median_ms["RCF"] / median_ms["SO Model"]:.1f}x faster, vs pruned RCF: '
              f'{median_ms["pruned RCF"] / median_ms["SO Model"]:.1f}x faster{suffix}')
    for threads in reversed(list(all_results)):  # the headline (all cores) last
        median_ms = {name: 1000 * statistics.median(r['times']) for name, r in all_results[threads].items()}
        suffix = '' if threads == thread_settings[0] else f' ({threads} thread{"s" if threads > 1 else ""})'
        print(f'student vs RCF: {median_ms["RCF"] / median_ms["Model"]:.1f}x faster{suffix}')
        print(f'student vs pruned RCF: {median_ms["pruned RCF"] / median_ms["Model"]:.1f}x faster{suffix}')


if __name__ == '__main__':
    sys.path.insert(0, REPO_ROOT)
    main()
