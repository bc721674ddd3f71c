# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmkd.models.edge import EdgeDetector
from mmkd.models.losses import WeightedEdgeBCELoss
from mmkd.registry import MODELS
from tests.helpers.edge_configs import edge_data_preprocessor, rcf_backbone
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)

SO_MODEL = dict(type='MobileNetV2EdgeNet', side_outputs=True)
PREPROCESSOR = edge_data_preprocessor()  # defined once, in configs/_base_/models/edge_data_preprocessor.py


def edge_batch(sizes, seed=0):
    """Raw (uint8, unpadded) images and samples with annotator-average GT in {0, 0.2, ..., 1}."""
    generator = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for h, w in sizes:
        inputs.append(torch.randint(0, 256, (3, h, w), generator=generator, dtype=torch.uint8))
        gt = torch.randint(0, 6, (1, h, w), generator=generator).float() / 5
        sample = SegDataSample(metainfo=dict(img_shape=(h, w), ori_shape=(h, w)))
        sample.gt_edge_map = PixelData(data=gt)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_loss_one_entry_per_output_and_padding_ignored():
    torch.manual_seed(0)
    detector = MODELS.build(dict(type='EdgeDetector', network=SO_MODEL, data_preprocessor=PREPROCESSOR))
    data = detector.data_preprocessor(edge_batch([(35, 47)]), training=True)
    assert tuple(data['inputs'].shape) == (1, 3, 64, 64)  # padded to a multiple of 32
    gt = data['data_samples'][0].gt_edge_map.data
    assert (gt[:, 35:, :] == 255).all() and (gt[:, :, 47:] == 255).all()
    losses = detector(**data, mode='loss')
    assert list(losses) == ['loss_side1', 'loss_side2', 'loss_side3', 'loss_side4', 'loss_side5', 'loss_fuse']
    # each entry is the weighted BCE of that output on the un-padded region only
    outputs = detector(data['inputs'], mode='tensor')
    for output, loss in zip(outputs, losses.values()):
        expected = WeightedEdgeBCELoss()(output[..., :35, :47], gt[None, :, :35, :47])
        assert loss.item() == pytest.approx(expected.item(), rel=1e-4)


def test_output_weights():
    detector = EdgeDetector(network=dict(type='RCF', backbone=rcf_backbone()), data_preprocessor=PREPROCESSOR,
                            output_weights=[0, 0, 0, 0, 0, 2.0])
    data = detector.data_preprocessor(edge_batch([(32, 32)]), training=True)
    losses = detector(**data, mode='loss')
    assert all(losses[f'loss_side{k}'].item() == 0 for k in range(1, 6))
    with pytest.raises(ValueError, match='6 outputs'):
        EdgeDetector(network=dict(type='RCF', backbone=rcf_backbone()), data_preprocessor=PREPROCESSOR,
                     output_weights=[1.0])


def test_predict_crops_to_the_image_and_is_the_fused_sigmoid():
    torch.manual_seed(0)
    detector = EdgeDetector(network=dict(type='MobileNetV2EdgeNet'), data_preprocessor=PREPROCESSOR).eval()
    data = detector.data_preprocessor(edge_batch([(35, 47)]), training=False)
    assert tuple(data['inputs'].shape) == (1, 3, 64, 64)
    with torch.no_grad():
        samples = detector(**data, mode='predict')
        final = detector(data['inputs'], mode='tensor')[-1]
    pred = samples[0].pred_edge_map.data
    assert tuple(pred.shape) == (1, 35, 47)
    assert torch.allclose(pred, torch.sigmoid(final[0, :, :35, :47]))


def test_multiscale_test_at_an_odd_size():
    detector = EdgeDetector(network=dict(type='MobileNetV2EdgeNet'), data_preprocessor=PREPROCESSOR,
                            test_cfg=dict(scales=(0.5, 1.0))).eval()
    data = detector.data_preprocessor(edge_batch([(33, 40)]), training=False)
    with torch.no_grad():
        pred = detector(**data, mode='predict')[0].pred_edge_map.data
    assert tuple(pred.shape) == (1, 33, 40) and 0 <= pred.min() and pred.max() <= 1


def test_data_preprocessor_is_required():
    with pytest.raises(ValueError, match='configs/_base_/models/edge_data_preprocessor.py'):
        EdgeDetector(network=dict(type='MobileNetV2EdgeNet'))


def test_bad_mode_and_missing_gt():
    detector = EdgeDetector(network=dict(type='MobileNetV2EdgeNet'), data_preprocessor=PREPROCESSOR)
    with pytest.raises(ValueError, match='invalid mode'):
        detector(torch.zeros(1, 3, 32, 32), mode='train')
    with pytest.raises(ValueError, match='gt_edge_map'):
        detector(torch.zeros(1, 3, 32, 32), [SegDataSample()], mode='loss')


def test_batch_of_different_odd_sizes_pads_to_one_shape():
    torch.manual_seed(0)
    detector = EdgeDetector(network=dict(type='MobileNetV2EdgeNet'), data_preprocessor=PREPROCESSOR)
    data = detector.data_preprocessor(edge_batch([(35, 47), (40, 33)]), training=True)
    assert tuple(data['inputs'].shape) == (2, 3, 64, 64)
    gts = [s.gt_edge_map.data for s in data['data_samples']]
    assert (gts[0][:, 35:] == 255).all() and (gts[1][:, :, 33:] == 255).all() and (gts[1][:, :40, :33] <= 1).all()
    loss = detector(**data, mode='loss')['loss_fuse']
    assert torch.isfinite(loss) and loss > 0
