# Copyright (c) mmkd contributors. All rights reserved.
"""Detection KD (Rank Mimicking + PFI) step cost on CPU, measured in one run.

For each detector family (the RM + PFI (AAAI 2022) Table 1 pairs: R50 teacher -> R18 student, random initialisation,
real synthetic-COCO batches), interleaving the step functions so that load drift hits all alike:
  * the RM + PFI distillation train step vs the baseline "teacher forward (no_grad) + plain student train step"
    (target: <= 1.10x): median step times and the median [quartiles] of the per-round ratios, which show the noise;
  * the assignment adapter: reading the positives recorded from the student loss's own target computation (what the
    step does) and, for comparison, a fresh assignment with the head's assigner, each as a share of the RM+PFI step;
  * the forward of the RM + PFI losses alone (inputs precomputed), as a share of the step: the low-noise part of the
    overhead (its backward runs through the student's head and FPN with the task loss's).

    python benchmarks/det_kd.py [--families retinanet fcos atss gfl] [--steps 8] [--size 192] [--batch 2]

``--loss-scale`` measures instead the size of each loss in one real distillation iteration (the row config, R50
teacher -> R18 student, random initialisation; the teacher first trained alone for ``--teacher-iters`` iterations
on the synthetic images, so that its scores move away from the prior as a trained teacher's do): the student's task
losses, RM and PFI, PFI's logged factors, and PFI again with the factors' former 'mean' reductions:

    python benchmarks/det_kd.py --loss-scale --families gfl --teacher-iters 150 --size 128
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
from typing import List

import torch
from mmdet.datasets import CocoDataset
from mmdet.models.utils import unpack_gt_instances
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope
from prettytable import PrettyTable
from timing import time_round_robin

import mmkd  # noqa: F401
from mmkd.testing.synthetic import generate_synthetic_coco

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FAMILIES = ('retinanet', 'fcos', 'atss', 'gfl')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--families', nargs='+', default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument('--steps', type=int, default=8, help='timed rounds per family (after 2 warm-up rounds)')
    parser.add_argument('--size', type=int, default=192, help='images are resized to fit a size x size square')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--threads', type=int, default=None, help='torch threads (default: torch decides)')
    parser.add_argument('--loss-scale', action='store_true', help='report loss sizes instead of step times')
    parser.add_argument('--teacher-iters', type=int, default=150,
                        help='--loss-scale: iterations the teacher trains alone first (0: untrained teacher)')
    return parser.parse_args()


def row_model_cfg(family: str) -> Config:
    """The RM + PFI row of the family, with its teacher and student configs inlined and no pretrained weights."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'rm_pfi', f'rm-pfi_{family}-r50_{family}-r18_8xb2-1x_coco.py'))
    for key in ('architecture', 'teacher'):
        path = cfg.model[key].cfg_path.replace('mmkd::', osp.join(REPO_ROOT, 'configs') + '/')
        detector = Config.fromfile(path).model
        detector.backbone.init_cfg = None
        cfg.model[key] = detector
    cfg.model.teacher_ckpt = None
    return cfg


def batches(data_root: str, size: int, batch_size: int, count: int) -> List[dict]:
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                dict(type='Resize', scale=(size, size), keep_ratio=True), dict(type='PackDetInputs')]
    dataset = CocoDataset(data_root=data_root, ann_file='annotations/instances_train2017.json',
                          data_prefix=dict(img='train2017/'), filter_cfg=dict(filter_empty_gt=True),
                          pipeline=pipeline)
    samples = [dataset[i % len(dataset)] for i in range(batch_size * count)]
    return [pseudo_collate(samples[i * batch_size:(i + 1) * batch_size]) for i in range(count)]


def quartiles(values: List[float]) -> str:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return f'{q[1]:.3f} [{q[0]:.3f}-{q[2]:.3f}]'


def benchmark_family(family: str, data: List[dict], steps: int) -> dict:
    cfg = row_model_cfg(family)
    init_default_scope('mmdet')
    algorithm = MODELS.build(cfg.model)
    algorithm.init_weights()
    algorithm.train()
    student = copy.deepcopy(algorithm.student)  # the baseline trains its own copy from the same weights
    student.train()
    optim_distill = build_optim_wrapper(algorithm, cfg.optim_wrapper)
    optim_student = build_optim_wrapper(student, cfg.optim_wrapper)
    prepared = [algorithm.data_preprocessor(copy.deepcopy(batch), True) for batch in data]
    head, adapter = algorithm.student.bbox_head, algorithm.distiller.adapter

    def baseline(step: int) -> None:
        inputs, samples = prepared[step % len(prepared)]['inputs'], prepared[step % len(prepared)]['data_samples']
        with torch.no_grad():
            algorithm.teacher.bbox_head(algorithm.teacher.extract_feat(inputs))
        loss, _ = student.parse_losses(student.loss(inputs, samples))
        optim_student.update_params(loss)

    def rm_pfi(step: int) -> None:
        batch = prepared[step % len(prepared)]
        loss, _ = algorithm.parse_losses(algorithm.loss(batch['inputs'], batch['data_samples']))
        optim_distill.update_params(loss)

    # inputs of the adapter and the losses, prepared once per batch: both models' features and head outputs and the
    # student head's recorded target computation
    adapter_inputs, loss_inputs = [], []
    with torch.no_grad():
        for batch in prepared:
            gts, ignores, metas = unpack_gt_instances(batch['data_samples'])
            feats = algorithm.student.extract_feat(batch['inputs'])
            outs = head(feats)
            teacher_feats = algorithm.teacher.extract_feat(batch['inputs'])
            teacher_outs = algorithm.teacher.bbox_head(teacher_feats)
            with adapter.recording(head) as records:
                head.loss_by_feat(*outs, gts, metas, ignores)
            sizes = [tuple(score.shape[-2:]) for score in outs[0]]
            adapter_inputs.append((records, sizes, gts, metas, ignores))
            loss_inputs.append((feats, teacher_feats, outs, teacher_outs, gts, metas, ignores, records))

    def distill_losses_forward(step: int) -> None:
        feats, teacher_feats, outs, teacher_outs, gts, metas, ignores, records = loss_inputs[step % len(loss_inputs)]
        with torch.no_grad():
            algorithm.distiller.compute_distill_losses(head, algorithm.teacher.bbox_head, feats, teacher_feats, outs,
                                                       teacher_outs, gts, metas, ignores, target_records=records)

    def read_recorded(step: int) -> None:
        adapter.assign_from_records(head, adapter_inputs[step % len(adapter_inputs)][0])

    def assign_fresh(step: int) -> None:
        _, sizes, gts, metas, ignores = adapter_inputs[step % len(adapter_inputs)]
        adapter.assign(head, sizes, gts, metas, ignores, device=torch.device('cpu'))

    times = time_round_robin(dict(baseline=baseline, rm_pfi=rm_pfi, read_recorded=read_recorded,
                                  assign_fresh=assign_fresh, losses=distill_losses_forward), steps)
    ratios = [d / b for d, b in zip(times['rm_pfi'], times['baseline'])]
    step = statistics.median(times['rm_pfi'])
    return dict(baseline=statistics.median(times['baseline']), rm_pfi=step, ratio=quartiles(ratios),
                read=100 * statistics.median(times['read_recorded']) / step,
                fresh=100 * statistics.median(times['assign_fresh']) / step,
                losses=100 * statistics.median(times['losses']) / step)


def loss_scale(family: str, data: List[dict], teacher_iters: int) -> None:
    """Print every loss of one distillation iteration of the family's RM + PFI row (see the module docstring)."""
    cfg = row_model_cfg(family)
    init_default_scope('mmdet')
    algorithm = MODELS.build(cfg.model)
    algorithm.init_weights()
    prepared = [algorithm.data_preprocessor(copy.deepcopy(batch), True) for batch in data]
    if teacher_iters:
        teacher = copy.deepcopy(algorithm.teacher).requires_grad_(True).train()
        optim = torch.optim.SGD(teacher.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        for it in range(teacher_iters):
            batch = prepared[it % len(prepared)]
            loss, logs = teacher.parse_losses(teacher.loss(batch['inputs'], batch['data_samples']))
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(teacher.parameters(), 35)
            optim.step()
            if it % 25 == 0 or it == teacher_iters - 1:
                print(f'teacher iteration {it}: loss {loss.item():.4f}', flush=True)
        algorithm.teacher.load_state_dict(teacher.state_dict())
    algorithm.train()
    batch = prepared[0]
    _, logs = algorithm.parse_losses(algorithm.loss(batch['inputs'], batch['data_samples']))
    pfi = algorithm.distiller.distill_losses['loss_pfi']
    pfi.pred_reduction = pfi.feat_reduction = 'mean'
    with torch.no_grad():
        _, mean_logs = algorithm.parse_losses(algorithm.loss(batch['inputs'], batch['data_samples']))
    table = PrettyTable(['entry', 'value'])
    for key, value in logs.items():
        table.add_row([key, f'{value:.4g}'])
    table.add_row(["distill.loss_pfi with pred/feat_reduction='mean' (former)", f"{mean_logs['distill.loss_pfi']:.4g}"])
    print(f'{family}: one RM + PFI iteration, teacher trained alone for {teacher_iters} iterations first')
    print(table, flush=True)


def main() -> None:
    args = parse_args()
    torch.manual_seed(0)
    init_default_scope('mmdet')
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        root = osp.join(tmp, 'coco')
        generate_synthetic_coco(root, num_train=2 * args.batch + 1, num_val=1, seed=0)
        data = batches(root, args.size, args.batch, count=2)
        if args.loss_scale:
            for family in args.families:
                loss_scale(family, data, args.teacher_iters)
            return
        table = PrettyTable(['detector', 'baseline step (s)', 'RM+PFI step (s)', 'RM+PFI / baseline: median [IQR]',
                             'read recorded positives (% of step)', 'fresh assignment (% of step)',
                             'RM+PFI loss forward (% of step)'])
        for family in args.families:
            result = benchmark_family(family, data, args.steps)
            table.add_row([family, f"{result['baseline']:.3f}", f"{result['rm_pfi']:.3f}", result['ratio'],
                           f"{result['read']:.2f}", f"{result['fresh']:.2f}", f"{result['losses']:.2f}"])
            print(table, flush=True)
    print(f'{args.steps} interleaved rounds per detector, batch {args.batch} at <= {args.size} px, '
          f'{torch.get_num_threads()} torch threads; baseline = teacher forward (no_grad) + plain student train step; '
          f'target RM+PFI / baseline <= 1.10.')


if __name__ == '__main__':
    main()
