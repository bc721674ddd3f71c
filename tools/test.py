# Copyright (c) mmkd contributors. All rights reserved.
"""Test (evaluate) a checkpoint: plain mmseg/mmdet models and mmrazor distillation algorithms (the student predicts).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--show-dir DIR] [--eval mIoU] [--cfg-options k=v ...]
    bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]

``--eval`` is accepted for mmseg-0.x / mmdet-2.x habits: it replaces ``test_evaluator`` with the matching 1.x/3.x
evaluator (``mIoU``/``mDice``/``mFscore`` -> mmseg ``IoUMetric``; ``bbox``/``segm``/``proposal`` -> mmdet
``CocoMetric``).

A distillation checkpoint holds the teacher's weights too, and testing runs the student alone: ``teacher_ckpt`` is
neither needed nor loaded. ``--out DIR`` writes each segmentation prediction as a PNG in the format of
``--out-format`` (Cityscapes label ids by default for Cityscapes, else palette colours; ``trainid`` for the raw class
indices), see :class:`mmkd.engine.hooks.SegPredictionWriterHook`.
"""
import argparse
import os
import os.path as osp
from typing import List

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import mmkd  # noqa: F401  (compat layer + registries)
from mmkd.engine.runner_setup import check_dataset_folders, load_run_config, prepare_cpu_distributed

SEG_METRICS = ('mIoU', 'mDice', 'mFscore')
DET_METRICS = ('bbox', 'segm', 'proposal')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', type=str, help='save the (segmentation) predictions as PNG files in this directory')
    parser.add_argument(
        '--out-format', choices=['auto', 'labelid', 'color', 'trainid'], default='auto',
        help='PNGs of --out: Cityscapes label ids (auto for Cityscapes), palette colours (auto otherwise) or the raw '
             'train ids')
    parser.add_argument('--show', action='store_true', help='show prediction results in a window')
    parser.add_argument('--show-dir', help='directory where painted predictions are saved')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--show-interval', type=int, default=1,
        help='paint every N-th test batch (mmseg/mmdet hooks default to every 50th; here every one)')
    parser.add_argument(
        '--eval', type=str, nargs='+', help=f'mmseg-0.x style metrics: {SEG_METRICS} or mmdet-2.x: {DET_METRICS}')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--tta', action='store_true', help='test time augmentation (the config must define it)')
    parser.add_argument('--deploy', action='store_true',
                        help='deploy mode after loading: BN folded, channels_last, inference_mode (mmkd.deploy)')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime', 'openvino'], default='pytorch',
                        help='edge configs: run the exported network; CHECKPOINT is then the .onnx file of '
                        'tools/deployment/pytorch2onnx.py')
    parser.add_argument('--backend-threads', type=int, default=None, help='intra-op threads of --backend')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def evaluator_from_eval_arg(metrics: List[str], cfg: Config) -> ConfigDict:
    """Translate mmseg-0.x / mmdet-2.x ``--eval`` metric names into a 1.x/3.x ``test_evaluator``."""
    if all(metric in SEG_METRICS for metric in metrics):
        return ConfigDict(type='mmseg.IoUMetric', iou_metrics=list(metrics))
    if all(metric in DET_METRICS for metric in metrics):
        dataset = cfg.test_dataloader.dataset
        ann_file = dataset.get('ann_file')
        if ann_file is None:
            raise ValueError(f'--eval {" ".join(metrics)} needs test_dataloader.dataset.ann_file in {cfg.filename}.')
        return ConfigDict(
            type='mmdet.CocoMetric', ann_file=osp.join(dataset.get('data_root', ''), ann_file), metric=list(metrics))
    raise ValueError(f'--eval {" ".join(metrics)}: use segmentation metrics {SEG_METRICS} or detection metrics '
                     f'{DET_METRICS} (not a mix). Other metrics: set test_evaluator in the config.')


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Turn on the config's visualization hook (mmseg's or mmdet's) for --show / --show-dir."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise RuntimeError(f'--show/--show-dir need a "visualization" entry in default_hooks of {cfg.filename}, '
                           'e.g. dict(type="SegVisualizationHook"), dict(type="DetVisualizationHook") or '
                           'dict(type="mmkd.EdgeVisualizationHook").')
    hook['draw'] = True
    hook['interval'] = args.show_interval
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        if 'Det' in str(hook.get('type', '')) or 'Edge' in str(hook.get('type', '')):  # mmkd.EdgeVisualizationHook
            hook['test_out_dir'] = args.show_dir
        else:
            cfg.visualizer['save_dir'] = args.show_dir
    if str(cfg.get('visualizer', {}).get('type', '')).split('.')[-1] == 'SegLocalVisualizer':
        cfg.visualizer['type'] = 'mmkd.TitledSegLocalVisualizer'  # the same panels, titled


def skip_teacher_checkpoint(cfg: Config) -> None:
    """No ``teacher_ckpt`` when testing: the tested checkpoint holds the teacher, and the student predicts."""
    model = cfg.get('model')
    if isinstance(model, dict) and model.get('teacher_ckpt'):
        print_log(f'Not loading model.teacher_ckpt={model.teacher_ckpt!r}: the tested checkpoint holds the teacher '
                  f'and predictions come from the student.', logger='current')
        model.teacher_ckpt = None


def main() -> None:
    args = parse_args()
    cfg = load_run_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    skip_teacher_checkpoint(cfg)
    check_dataset_folders(cfg, ('test_dataloader',))

    if args.eval:
        cfg.test_evaluator = evaluator_from_eval_arg(args.eval, cfg)
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError(f'--tta needs tta_model and tta_pipeline in {cfg.filename}.')
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
        cfg.tta_model.module = cfg.model
        cfg.model = cfg.tta_model
    if args.out is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', None) or []) + [
            dict(type='mmkd.SegPredictionWriterHook', out_dir=args.out, out_format=args.out_format)]
    if args.deploy or args.backend != 'pytorch':
        from mmkd.deploy import apply_deploy_test_args
        apply_deploy_test_args(cfg, args.deploy, args.backend, args.checkpoint, args.backend_threads)

    prepare_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.test()


if __name__ == '__main__':
    main()
