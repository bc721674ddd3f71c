# Copyright (c) mmkd contributors. All rights reserved.
"""Segmentation KD cost and quality on the synthetic city, CPU, measured in one run.

Reports (as ratios: the machines are shared and noisy):
  * train step time of BPKD and of CWD relative to the plain student step, and BPKD / CWD
    (target: BPKD <= 1.15x CWD);
  * the share of the BPKD step spent building the GT edge mask (target: <= 5 %);
  * the scale of the loss terms on the same 8 training batches, for the student at initialisation and (with
    --student-ckpt, e.g. a demo student trained alone) a trained one: cross-entropy, CWD at mmrazor's tau=1 /
    weight 5, BPKD's body term at tau=4 / weight 20 (both softmax forms) and its edge term at weight 50 (both
    reductions), with the ratios body / CWD and class_sum / mean;
  * with --train-iters > 0, the final mIoU and trimap mIoU of the student trained alone, with CWD and with BPKD
    (the embedded demo's recipe; the teacher is trained first unless --teacher-ckpt is given).

    python benchmarks/seg_kd.py [--steps 30] [--train-iters 600] [--data-root data/synthetic_city]
        [--teacher-ckpt T.pth] [--student-ckpt S.pth]
"""
import argparse
import os.path as osp
import statistics

import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner
from prettytable import PrettyTable
from timing import time_round_robin

import mmkd  # noqa: F401
from mmkd.testing.demo import (
    DISTILL_CONFIGS,
    STUDENT_CONFIG,
    TEACHER_CONFIG,
    demo_stage_config,
    ensure_synthetic_city,
    train_and_test,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', default='data/synthetic_city')
    parser.add_argument('--work-dir', default='work_dirs/bench_seg_kd')
    parser.add_argument('--steps', type=int, default=30, help='timed train steps per method (after 3 warm-up)')
    parser.add_argument('--train-iters', type=int, default=600, help='0: timing only')
    parser.add_argument('--teacher-ckpt', help='a trained demo teacher; trained here when missing')
    parser.add_argument('--student-ckpt', help='a trained demo student (its loss scales are printed too)')
    return parser.parse_args()


def build_trainee(config_path: str, cfg_kwargs: dict, teacher_ckpt: str):
    cfg = demo_stage_config(config_path, **cfg_kwargs)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = teacher_ckpt
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    model.train()
    return cfg, model, build_optim_wrapper(model, cfg.optim_wrapper)


@torch.no_grad()
def loss_scales(model, batches) -> dict:
    """Mean over ``batches`` of every loss term on the logits of ``model`` (a distillation algorithm)."""
    from mmrazor.models.losses import ChannelWiseDivergence

    from mmkd.models.losses import BPKDLoss
    model.eval()
    terms = {'CE (student)': [], 'CWD tau=1 x5': [], 'body zeroed tau=4 x20': [], 'body masked tau=4 x20': [],
             'edge mean x50': [], 'edge class_sum x50': []}
    cwd = ChannelWiseDivergence(tau=1, loss_weight=5)
    bpkd = {form: BPKDLoss(edge_reduction=reduction, body_softmax=form)
            for form, reduction in (('zeroed', 'mean'), ('masked', 'class_sum'))}
    for batch in batches:
        data = model.data_preprocessor(batch, True)
        logits_S = model.student.decode_head(model.student.extract_feat(data['inputs']))
        logits_T = model.teacher.decode_head(model.teacher.extract_feat(data['inputs']))
        labels = torch.stack([sample.gt_sem_seg.data[0] for sample in data['data_samples']]).long()
        terms['CE (student)'].append(model.student.decode_head.loss_by_feat(logits_S, data['data_samples'])['loss_ce'])
        terms['CWD tau=1 x5'].append(cwd(logits_S, logits_T))
        zeroed, masked = (bpkd[form](logits_S, logits_T, labels) for form in ('zeroed', 'masked'))
        terms['body zeroed tau=4 x20'].append(zeroed['body'])
        terms['body masked tau=4 x20'].append(masked['body'])
        terms['edge mean x50'].append(zeroed['edge'])
        terms['edge class_sum x50'].append(masked['edge'])
    return {name: float(torch.stack(values).mean()) for name, values in terms.items()}


def print_loss_scales(scales: dict) -> None:
    table = PrettyTable(['student'] + list(next(iter(scales.values()))) + ['body zeroed / CWD', 'class_sum / mean'])
    for student, values in scales.items():
        table.add_row([student] + [f'{v:.4g}' for v in values.values()] +
                      [f'{values["body zeroed tau=4 x20"] / values["CWD tau=1 x5"]:.2f}',
                       f'{values["edge class_sum x50"] / values["edge mean x50"]:.1f}'])
    print(f'Loss terms on the same 8 training batches (mean):\n{table}')


def main() -> None:
    args = parse_args()
    torch.manual_seed(0)
    ensure_synthetic_city(args.data_root, num_train=100, num_val=30, seed=0)
    cfg_kwargs = dict(work_dir=osp.join(args.work_dir, 'timing'), data_root=args.data_root,
                      iters=max(args.train_iters, 1))

    teacher_ckpt = args.teacher_ckpt
    if teacher_ckpt is None:
        teacher_cfg = demo_stage_config(TEACHER_CONFIG, osp.join(args.work_dir, 'teacher'), args.data_root,
                                        max(args.train_iters, 1))
        teacher_ckpt = osp.join(teacher_cfg.work_dir, f'iter_{teacher_cfg.train_cfg.max_iters}.pth')
        if not osp.isfile(teacher_ckpt):
            train_and_test(teacher_cfg)

    # --- step time: the same real batches for every method ---
    trainees = {'student': build_trainee(STUDENT_CONFIG, cfg_kwargs, teacher_ckpt)}
    for method, config_path in DISTILL_CONFIGS.items():
        trainees[method] = build_trainee(config_path, cfg_kwargs, teacher_ckpt)
    cfg = trainees['student'][0]
    loader = Runner.build_dataloader(dict(cfg.train_dataloader, num_workers=0, persistent_workers=False))
    batches = [batch for batch, _ in zip(loader, range(8))]

    def train_step(name):
        _, model, optim_wrapper = trainees[name]
        return lambda step: model.train_step(batches[step % len(batches)], optim_wrapper)

    step_times = {name: statistics.median(values) for name, values in time_round_robin(
        {name: train_step(name) for name in trainees}, args.steps, warmup=3).items()}

    bpkd_loss = trainees['BPKD'][1].distiller.distill_losses['loss_bpkd']
    labels = [torch.stack([s.gt_sem_seg.data[0] for s in batch['data_samples']]).long() for batch in batches]
    logit_size = (cfg.crop_size[0] // 8, cfg.crop_size[1] // 8)

    def build_mask(step):
        bpkd_loss.masks(labels[step % len(labels)], 19, logit_size)

    mask_time = statistics.median(time_round_robin({'mask': build_mask}, args.steps, warmup=3)['mask'])

    torch.manual_seed(0)
    _, fresh, _ = build_trainee(DISTILL_CONFIGS['BPKD'], cfg_kwargs, teacher_ckpt)
    scales = {'at initialisation': loss_scales(fresh, batches)}
    if args.student_ckpt:
        from mmengine.runner import load_checkpoint
        load_checkpoint(fresh.student, args.student_ckpt, map_location='cpu')
        scales[f'trained ({osp.basename(osp.dirname(args.student_ckpt))})'] = loss_scales(fresh, batches)

    table = PrettyTable(['train step', 'x student', 'x CWD'])
    for name in trainees:
        table.add_row([name, f'{step_times[name] / step_times["student"]:.3f}',
                       f'{step_times[name] / step_times["CWD"]:.3f}'])
    print(f'Train step, median of {args.steps} steps at batch {cfg.train_dataloader.batch_size}, '
          f'{cfg.crop_size[0]}x{cfg.crop_size[1]}, CPU ({torch.get_num_threads()} threads):\n{table}')
    ratio = step_times['BPKD'] / step_times['CWD']
    share = mask_time / step_times['BPKD']
    print(f'BPKD step vs CWD step: {ratio:.3f}x (target <= 1.15x: {"met" if ratio <= 1.15 else "NOT met"})')
    print(f'GT edge mask share of the BPKD step: {100 * share:.2f} % '
          f'(target <= 5 %: {"met" if share <= 0.05 else "NOT met"})')

    print_loss_scales(scales)

    if args.train_iters > 0:
        quality = PrettyTable(['student', 'mIoU', 'trimap mIoU'])
        runs = [('alone', STUDENT_CONFIG)] + list(DISTILL_CONFIGS.items())
        for name, config_path in runs:
            stage_cfg = demo_stage_config(config_path, osp.join(args.work_dir, name.lower()), args.data_root,
                                          args.train_iters)
            if 'teacher_ckpt' in stage_cfg.model:
                stage_cfg.model.teacher_ckpt = teacher_ckpt
            metrics = train_and_test(stage_cfg)
            quality.add_row([name, f'{metrics["mIoU"]:.2f}', f'{metrics["trimap/mIoU"]:.2f}'])
        print(f'Synthetic city val after {args.train_iters} iterations:\n{quality}')


if __name__ == '__main__':
    main()
