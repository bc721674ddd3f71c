# Copyright (c) mmkd contributors. All rights reserved.
"""CPU speed and memory of the edge models in every runtime, in one interleaved run: the 2020 article "Accuracy and
runtime tradeoff in modern edge detection algorithms", Table 1 (RCF, pruned RCF, Model, SO Model at 1000x1000).

    python benchmarks/edge_speed.py [--size 1000] [--repeats 5] [--threads 1 2] [--runtimes eager deploy ort ...]
        [--keep-ratio 0.6 | --pruned-config OUT/..._pruned.py --pruned-checkpoint OUT/rcf_pruned.pth]

Runtimes (the same for every model, so a ratio compares like with like):
  * ``eager``: ``model.eval()`` under ``torch.no_grad``, NCHW (what a plain PyTorch user runs; the students' own
    forward applies their exact head re-ordering and eval-mode BN through the conv weights, RCF's has neither);
  * ``deploy``: ``mmkd.deploy`` (the networks' re-orderings, BN folded, ``channels_last``, ``torch.inference_mode``;
    what ``tools/test.py --deploy`` runs);
  * ``ort``: the deploy graph exported by ``mmkd.deploy.export_onnx`` (dynamic H/W) on ONNX Runtime's CPU provider,
    all graph optimisations, memory arena off (so the process does not keep its peak between calls);
  * ``openvino``: the same ONNX file on OpenVINO's CPU device (only when the ``openvino`` package is installed).

What is measured, per thread setting (default: 1 thread first, then all cores):
  * latency: batch 1, 3 x size x size, fp32, forward + sigmoid of the final output, median of ``--repeats`` calls
    after one warm-up. Every (model, runtime) pair lives in its own spawned process and the calls are INTERLEAVED
    round robin (rotating who goes first) so that load drift hits all alike; 1-thread numbers survive contention
    best (a starved second thread stalls depthwise convs), so they are printed first;
  * memory, after the timing, each (model, runtime) in a fresh process of its own, alone, at ``--size``: the
    kernel's peak-RSS mark (VmHWM) is reset after the build (import/build/export peaks do not count) and read after
    ``--memory-calls`` forward calls (default 2). ``peak MB``: the whole process at its inference peak (interpreter,
    torch, mmseg, ... included: ~0.5 GB alike for every model). ``infer MB``: that peak minus the RSS just before the
    first forward (activations and runtime workspaces). ``model MB`` = ``infer MB`` + the model's weights
    (parameters and buffers; the ONNX file for ORT/OpenVINO), i.e. the peak over the interpreter baseline (the
    process with everything imported, without the model): what the model adds to a process. The RSS target
    (student / RCF <= 1/4, same runtime) is judged on ``model MB``; the whole-process ratio is printed too.
    The memory processes run with a fixed ``MALLOC_MMAP_THRESHOLD_`` (``--malloc-mmap-threshold``, default 128 KiB),
    so the peak is the model's and repeats: with glibc's default the threshold rises (up to 32 MiB) each time a
    large block is freed, after which activations below it come from the heap, which fragments: the same ORT student
    (before its deploy banding) peaked at 364-436 MB in four fresh processes, 182 MB in each of three with the
    threshold fixed (2026-12-02). The timing processes keep the caller's malloc settings: with the threshold fixed
    every large activation is a fresh mmap whose pages fault in on each call, which slowed the PyTorch deploy student
    by half (473 -> 724 ms at 1000², 1 thread, same-process A/B, 2026-12-02) while ONNX Runtime's time did not move;
  * params and FLOPs (eager only): mmengine's ``get_model_complexity_info`` (one multiply-add = one FLOP; convs and
    linear layers only);
  * contention: the load average, and the system-wide CPU use over the 0.2 s before every timed call.

The pruned RCF: by default the widths of ``mmkd.models.edge.rcf_pruning`` at ``--keep-ratio`` (default 0.6) on random
weights: speed depends on the widths only, and the tool's widths follow from the keep ratio alone (its LASSO only
picks which channels survive), so nothing is pruned (pruning a random RCF on random images took minutes before).
``--pruned-config`` / ``--pruned-checkpoint`` time the pruning tool's real output.
All other weights are random. Ends with ``student vs RCF (<runtime>): N.Nx faster`` and ``student vs pruned RCF
(<runtime>): N.Nx faster`` per runtime (student = Model), 1 thread first, and the issue's targets met or not.
"""
import argparse
import multiprocessing as mp
import os
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
RCF_CONFIG = osp.join(REPO_ROOT, 'configs/edge/rcf_vgg16_1xb1-900e_bsds.py')
MODEL_CONFIG = osp.join(REPO_ROOT, 'configs/edge/model_mobilenetv2_1xb1-900e_bsds.py')
SO_MODEL_CONFIG = osp.join(REPO_ROOT, 'configs/edge/so-model_mobilenetv2_1xb1-900e_bsds.py')
QUIET_BUSY_PERCENT = 10.0  # system CPU use before a timed call above this: the machine is not quiet
RUNTIMES = ('eager', 'deploy', 'ort', 'openvino')
RUNTIME_NAMES = dict(eager='eager', deploy='deploy', ort='ORT', openvino='OpenVINO')
# Targets of the issue, same runtime for both models.
TARGET_FASTEST_VS_RCF, TARGET_FASTEST_VS_PRUNED, TARGET_EAGER_1T_VS_RCF, TARGET_RSS_FRACTION = 20.0, 4.0, 10.0, 0.25
DEFAULT_MMAP_THRESHOLD = 128 * 1024  # glibc's initial M_MMAP_THRESHOLD; setting it switches the dynamic raise off
CALLER_MMAP_THRESHOLD = os.environ.get('MALLOC_MMAP_THRESHOLD_')  # the timing processes keep the caller's setting


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--size', type=int, default=1000, help='input side (the article: 1000x1000)')
    parser.add_argument('--repeats', type=int, default=5, help='timed calls per model and runtime (after a warm-up)')
    parser.add_argument('--threads', type=int, nargs='+', default=None,
                        help='intra-op thread settings (default: 1, then all available cores)')
    parser.add_argument('--runtimes', nargs='+', choices=RUNTIMES, default=None,
                        help='default: eager, deploy, ort, and openvino when installed')
    parser.add_argument('--models', nargs='+', default=None, help='subset of: RCF, "pruned RCF", Model, "SO Model"')
    parser.add_argument('--keep-ratio', type=float, default=None, help='pruned RCF keep ratio (default: the tool\'s)')
    parser.add_argument('--pruned-config', help='a config written by tools/pruning/prune_rcf.py')
    parser.add_argument('--pruned-checkpoint', help='its checkpoint')
    parser.add_argument('--malloc-mmap-threshold', type=int, default=DEFAULT_MMAP_THRESHOLD,
                        help='MALLOC_MMAP_THRESHOLD_ (bytes) of the memory-measuring processes (default: 128 KiB, '
                             'glibc\'s initial value, kept fixed); 0 leaves glibc\'s dynamic threshold (peak RSS then '
                             'varies from process to process). The timing processes keep the caller\'s setting')
    parser.add_argument('--memory-calls', type=int, default=2,
                        help='forward calls in each memory-measuring process (the first is a warm-up); default 2')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def build_detector(config: str, state_dict_path: Optional[str] = None, channels: Optional[List[int]] = None):
    """The EdgeDetector of a config (random init unless a state dict is given; ``channels``: trunk widths)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmkd  # noqa: F401
    from mmkd.registry import MODELS
    from mmkd.utils import safe_torch_load
    cfg = Config.fromfile(config)
    if channels is not None:
        cfg.model.network.backbone.channels = list(channels)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmseg')):
        model = MODELS.build(cfg.model)
    if state_dict_path is not None:
        checkpoint = safe_torch_load(state_dict_path, map_location='cpu')
        model.load_state_dict(checkpoint.get('state_dict', checkpoint), strict=True)
    else:
        model.init_weights()
    return model.eval()


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


def worker(conn, name: str, spec: dict, runtime: str, threads: int, size: int, seed: int) -> None:
    """One model in one runtime in a fresh process: build, then answer 'run' / 'memory' / 'complexity' / 'stop'."""
    os.environ['OMP_NUM_THREADS'] = str(threads)
    import torch
    from mmengine.logging import MMLogger
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    MMLogger.get_instance('edge_speed_worker', log_level='ERROR')  # init / FLOPs-counter chatter off
    try:
        inputs = torch.randn(1, 3, size, size) * 50  # BGR minus the mean: roughly +-50
        params = weight_bytes = None
        if runtime in ('eager', 'deploy'):
            model = build_detector(spec['config'], spec.get('state_dict'), spec.get('channels'))
            params = sum(p.numel() for p in model.network.parameters())
            if runtime == 'deploy':
                model.switch_to_deploy()
            network = model.network
            weight_bytes = sum(t.numel() * t.element_size()
                               for t in list(network.parameters()) + list(network.buffers()))

            def forward():
                if runtime == 'deploy':
                    with torch.inference_mode():
                        return torch.sigmoid(network(inputs.contiguous(memory_format=torch.channels_last))[-1])
                with torch.no_grad():
                    return torch.sigmoid(network(inputs)[-1])
        else:
            import numpy as np

            from mmkd.deploy import BackendSession
            session = BackendSession(spec['onnx'], 'onnxruntime' if runtime == 'ort' else 'openvino', threads,
                                     memory_arena=False)
            array = inputs.numpy()
            weight_bytes = os.path.getsize(spec['onnx'])

            def forward():
                return 1.0 / (1.0 + np.exp(-session.run(array)[-1]))
        peak_reset = reset_peak_rss()  # import, build and export peaks exceed some models' inference peak
        baseline = rss_bytes()
        conn.send(dict(params=params))
        while True:
            request = conn.recv()
            if request == 'run':
                start = time.perf_counter()
                forward()
                conn.send(time.perf_counter() - start)
            elif request == 'memory':
                peak = peak_rss_bytes()
                conn.send(dict(peak=peak, inference=peak - baseline, model=peak - baseline + weight_bytes,
                               peak_reset=peak_reset))
            elif request == 'complexity':
                flops = None
                if runtime == 'eager':
                    from mmengine.analysis import get_model_complexity_info
                    with torch.no_grad():
                        flops = get_model_complexity_info(network, inputs=(inputs, ), show_table=False,
                                                          show_arch=False)['flops']
                conn.send(dict(flops=flops))
            elif request == 'stop':
                conn.send('bye')
                return
    except Exception as err:  # report to the coordinator instead of dying silently
        import traceback
        conn.send(dict(error=f'{name} ({runtime}): {err!r}\n{traceback.format_exc()}'))


def system_busy_percent(interval: float = 0.2) -> float:
    import psutil
    return psutil.cpu_percent(interval=interval)


def receive(conn):
    """A worker's next answer; a worker's error is raised here."""
    answer = conn.recv()
    if isinstance(answer, dict) and 'error' in answer:
        raise RuntimeError(answer['error'])
    return answer


def ask(conn, request: str):
    """Send a request to a worker and return its answer."""
    conn.send(request)
    return receive(conn)


def start_worker(context, key, models: Dict[str, dict], threads: int, args: argparse.Namespace, procs: list):
    """Spawn the worker of one (model, runtime); returns its pipe and its first answer (the parameter count)."""
    parent, child = context.Pipe()
    proc = context.Process(target=worker, args=(child, key[0], models[key[0]], key[1], threads, args.size, args.seed),
                           daemon=True)
    proc.start()
    procs.append(proc)
    return parent, receive(parent)


def mmap_threshold_env(threshold: Optional[int]) -> None:
    """Set (or, with None, restore the caller's) MALLOC_MMAP_THRESHOLD_ for the processes spawned next: glibc reads
    it when each spawned interpreter starts."""
    if threshold is None:
        if CALLER_MMAP_THRESHOLD is None:
            os.environ.pop('MALLOC_MMAP_THRESHOLD_', None)
        else:
            os.environ['MALLOC_MMAP_THRESHOLD_'] = CALLER_MMAP_THRESHOLD
    else:
        os.environ['MALLOC_MMAP_THRESHOLD_'] = str(threshold)


def measure(models: Dict[str, dict], runtimes: List[str], threads: int, args: argparse.Namespace) -> Dict:
    """Latency of every (model, runtime), interleaved, each in its own process (the caller's malloc settings); then
    memory, each in a fresh process of its own (fixed mmap threshold unless ``--malloc-mmap-threshold 0``)."""
    context = mp.get_context('spawn')
    keys = [(name, runtime) for runtime in runtimes for name in models]
    procs, conns = [], {}
    results = {key: dict(times=[], busy=[]) for key in keys}
    try:
        mmap_threshold_env(None)
        for key in keys:  # started one by one: building RCF in 8 processes at once would need their peaks at once
            conns[key], answer = start_worker(context, key, models, threads, args, procs)
            results[key].update(answer)
        for round_index in range(args.repeats + 1):  # round 0 is the warm-up
            shift = round_index % len(keys)
            for key in keys[shift:] + keys[:shift]:
                busy = system_busy_percent()
                seconds = ask(conns[key], 'run')
                if round_index > 0:
                    results[key]['times'].append(seconds)
                    results[key]['busy'].append(busy)
            print(f'  [threads={threads}] round {round_index}/{args.repeats} done, load {os.getloadavg()[0]:.1f}',
                  flush=True)
        for key, conn in conns.items():
            results[key].update(ask(conn, 'complexity'))
            ask(conn, 'stop')
        mmap_threshold_env(args.malloc_mmap_threshold or None)
        for key in keys:  # memory: one fresh process at a time, warm-up + one call, nothing else running
            conn, _ = start_worker(context, key, models, threads, args, procs)
            for _ in range(args.memory_calls):
                ask(conn, 'run')
            results[key].update(ask(conn, 'memory'))
            ask(conn, 'stop')
        print(f'  [threads={threads}] memory measured ({len(keys)} fresh processes)', flush=True)
    finally:
        mmap_threshold_env(None)
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
    return results


def pruned_rcf_spec(args: argparse.Namespace) -> dict:
    """The pruning tool's output if given, else RCF with the tool's widths at the keep ratio (random weights)."""
    if args.pruned_config:
        return dict(config=args.pruned_config, state_dict=args.pruned_checkpoint)
    from mmkd.models.edge import VGG16_STAGES
    from mmkd.models.edge.rcf_pruning import DEFAULT_KEEP_RATIO
    ratio = DEFAULT_KEEP_RATIO if args.keep_ratio is None else args.keep_ratio
    # rcf_pruning_steps keeps max(1, round(ratio * width)) output channels of every trunk conv
    channels = [max(1, int(round(ratio * width))) for _, count, width in VGG16_STAGES for _ in range(count)]
    return dict(config=RCF_CONFIG, channels=channels, keep_ratio=ratio)


def export_models(models: Dict[str, dict], work_dir: str) -> None:
    """One dynamic-H/W ONNX file per model (the deploy graph), for the ort / openvino runtimes."""
    import torch

    from mmkd.deploy import export_onnx
    for name, spec in models.items():
        torch.manual_seed(0)
        model = build_detector(spec['config'], spec.get('state_dict'), spec.get('channels'))
        spec['onnx'] = osp.join(work_dir, name.replace(' ', '_') + '.onnx')
        start = time.perf_counter()
        export_onnx(model, spec['onnx'], shape=(64, 64))
        print(f'exported {name} to ONNX in {time.perf_counter() - start:.1f} s', flush=True)


def fmt_mb(value: float) -> str:
    return f'{value / 2**20:.0f}'


def print_table(results: Dict, models: List[str], runtimes: List[str], threads: int, args) -> None:
    from prettytable import PrettyTable
    table = PrettyTable(['model', 'runtime', 'params (M)', 'FLOPs (G)', 'ms (median)', 'min-max ms', 'x vs RCF',
                         'x vs eager', 'peak MB', 'infer MB', 'model MB', 'busy % before'])
    for runtime in runtimes:
        for name in models:
            result = results[(name, runtime)]
            ms = 1000 * statistics.median(result['times'])
            rcf_ms = 1000 * statistics.median(results[('RCF', runtime)]['times']) if 'RCF' in models else None
            eager = results.get((name, 'eager'))
            eager_ms = 1000 * statistics.median(eager['times']) if eager else None
            params = results[(name, 'eager')]['params'] if eager else result.get('params')
            flops = results[(name, 'eager')]['flops'] if eager else None
            table.add_row([
                name, RUNTIME_NAMES[runtime], f'{params / 1e6:.2f}' if params else '-',
                f'{flops / 1e9:.1f}' if flops else '-', f'{ms:.0f}',
                f'{1000 * min(result["times"]):.0f}-{1000 * max(result["times"]):.0f}',
                f'{rcf_ms / ms:.2f}' if rcf_ms else '-', f'{eager_ms / ms:.2f}' if eager_ms else '-',
                fmt_mb(result['peak']), fmt_mb(result['inference']), fmt_mb(result['model']),
                f'{statistics.median(result["busy"]):.0f}'
            ])
    print(f'\n{threads} thread{"s" if threads > 1 else ""}, batch 1, {args.size}x{args.size}, fp32, median of '
          f'{args.repeats} interleaved calls:')
    print(table)
    if not all(r.get('peak_reset') for r in results.values()):
        print('note: the peak-RSS mark could not be reset here (/proc/self/clear_refs): peak MB includes import/build')


def median_ms(results: Dict, name: str, runtime: str) -> float:
    return 1000 * statistics.median(results[(name, runtime)]['times'])


def summary(all_results: Dict, runtimes: List[str], models: List[str], thread_settings: List[int]) -> None:
    """The ratio lines (1 thread first) and the targets."""
    print()
    if not {'RCF', 'Model'} <= set(models):
        return
    for threads in thread_settings:
        results = all_results[threads]
        suffix = f' ({threads} thread{"s" if threads > 1 else ""})'
        for runtime in runtimes:
            label = RUNTIME_NAMES[runtime]
            rcf = median_ms(results, 'RCF', runtime) / median_ms(results, 'Model', runtime)
            line = f'student vs RCF ({label}): {rcf:.1f}x faster'
            if 'pruned RCF' in models:
                pruned = median_ms(results, 'pruned RCF', runtime) / median_ms(results, 'Model', runtime)
                line += f'; student vs pruned RCF ({label}): {pruned:.1f}x faster'
            if 'SO Model' in models:
                line += (f'; SO Model vs RCF ({label}): '
                         f'{median_ms(results, "RCF", runtime) / median_ms(results, "SO Model", runtime):.1f}x')
            rss = results[('Model', runtime)]['model'] / results[('RCF', runtime)]['model']
            whole = results[('Model', runtime)]['peak'] / results[('RCF', runtime)]['peak']
            print(line + f'; model MB student / RCF: {rss:.2f} (whole-process peak RSS: {whole:.2f})' + suffix)
    one = all_results[min(thread_settings)]
    fastest = min(runtimes, key=lambda r: median_ms(one, 'Model', r))
    checks = [(f'student vs RCF in the fastest runtime ({RUNTIME_NAMES[fastest]}, 1 thread) >= '
               f'{TARGET_FASTEST_VS_RCF:.0f}x', median_ms(one, 'RCF', fastest) / median_ms(one, 'Model', fastest),
               TARGET_FASTEST_VS_RCF)]
    if 'pruned RCF' in models:
        checks.append((f'student vs pruned RCF ({RUNTIME_NAMES[fastest]}, 1 thread) >= {TARGET_FASTEST_VS_PRUNED:.0f}x',
                       median_ms(one, 'pruned RCF', fastest) / median_ms(one, 'Model', fastest),
                       TARGET_FASTEST_VS_PRUNED))
    if 'eager' in runtimes and min(thread_settings) == 1:
        checks.append((f'student vs RCF in eager at 1 thread >= {TARGET_EAGER_1T_VS_RCF:.0f}x',
                       median_ms(one, 'RCF', 'eager') / median_ms(one, 'Model', 'eager'), TARGET_EAGER_1T_VS_RCF))
    for text, value, target in checks:
        print(f'target {text}: {value:.1f}x -> {"met" if value >= target else "NOT met"}')
    for runtime in runtimes:
        fraction = one[('Model', runtime)]['model'] / one[('RCF', runtime)]['model']
        whole = one[('Model', runtime)]['peak'] / one[('RCF', runtime)]['peak']
        print(f'target peak RSS over the interpreter (model MB) student / RCF <= {TARGET_RSS_FRACTION} '
              f'({RUNTIME_NAMES[runtime]}, 1 thread): {fraction:.2f} -> '
              f'{"met" if fraction <= TARGET_RSS_FRACTION else "NOT met"} (whole-process peak RSS: {whole:.2f})')


def main() -> None:
    args = parse_args()
    import psutil
    import torch
    from mmengine.logging import MMLogger
    MMLogger.get_instance('edge_speed', log_level='ERROR')  # init_weights chatter off
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    thread_settings = args.threads or sorted({1, cores})
    runtimes = list(args.runtimes or RUNTIMES)
    if args.runtimes is None:
        try:
            import openvino  # noqa: F401
        except ImportError:
            runtimes.remove('openvino')
            print('openvino not installed: timing eager, deploy and ORT')
    load_start = os.getloadavg()
    print(f'torch {torch.__version__}, {cores} cores available, {psutil.cpu_count(logical=False)} physical; '
          f'load average at start {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f}; '
          f'memory processes: MALLOC_MMAP_THRESHOLD_={args.malloc_mmap_threshold or "glibc dynamic"}', flush=True)
    if load_start[0] > 0.5:
        print(f'WARNING: load average {load_start[0]:.2f} at start: the machine is NOT quiet; latencies below are '
              'contended (see "busy % before")', flush=True)
    all_specs = {'RCF': dict(config=RCF_CONFIG), 'pruned RCF': pruned_rcf_spec(args),
                 'Model': dict(config=MODEL_CONFIG), 'SO Model': dict(config=SO_MODEL_CONFIG)}
    names = args.models or list(all_specs)
    unknown = sorted(set(names) - set(all_specs))
    if unknown:
        raise SystemExit(f'edge_speed.py: unknown --models {unknown}; choose from {list(all_specs)}')
    models = {name: all_specs[name] for name in names}
    if 'pruned RCF' in models and 'keep_ratio' in models['pruned RCF']:
        print(f'pruned RCF: the pruning tool\'s widths at keep ratio {models["pruned RCF"]["keep_ratio"]} '
              f'{models["pruned RCF"]["channels"]} (random weights; nothing pruned: speed depends on widths only)')
    with tempfile.TemporaryDirectory() as work_dir:
        if {'ort', 'openvino'} & set(runtimes):
            export_models(models, work_dir)
        all_results = {}
        for threads in thread_settings:
            all_results[threads] = measure(models, runtimes, threads, args)
            print_table(all_results[threads], list(models), runtimes, threads, args)
    load_end = os.getloadavg()
    busy = [b for results in all_results.values() for r in results.values() for b in r['busy']]
    print(f'\nload average at end {load_end[0]:.2f}; system CPU busy before the timed calls: median '
          f'{statistics.median(busy):.0f} %, max {max(busy):.0f} %')
    if statistics.median(busy) > QUIET_BUSY_PERCENT:
        print('WARNING: NOT A QUIET MACHINE: other processes used the CPUs during this run; the 1-thread ratios are '
              'the ones to quote.')
    elif load_start[0] > 0.5:
        print(f'WARNING: the load average was {load_start[0]:.2f} at the start (the CPUs were quiet before the timed '
              'calls: median busy above); the 1-thread ratios are the ones to quote.')
    summary(all_results, runtimes, list(models), thread_settings)


if __name__ == '__main__':
    sys.path.insert(0, REPO_ROOT)
    main()
