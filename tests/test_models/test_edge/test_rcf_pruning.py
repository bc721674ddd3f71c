# Copyright (c) mmkd contributors. All rights reserved.
"""Channel pruning of RCF's VGG16 trunk: the steps, the pruned network's widths and outputs, the written config,
and ``tools/pruning/prune_rcf.py`` end to end (checkpoint -> pruned config + checkpoint -> one fine-tuning step)."""
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import Runner

from mmkd.models.edge import RCF
from mmkd.models.edge.rcf_pruning import prune_rcf, pruned_rcf_config, rcf_channels, rcf_pruning_steps
from mmkd.testing.synthetic.bsds import generate_synthetic_bsds
from mmkd.utils import safe_torch_load
from tests.helpers.edge_configs import rcf_backbone
from tests.helpers.tools import REPO_ROOT, run_tool
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)

SMALL_WIDTHS = [8, 8, 16, 16, 16, 16, 16, 24, 24, 24, 24, 24, 24]  # an RCF trunk narrow enough for CPU tests
RCF_CONFIG = 'configs/edge/rcf_vgg16_1xb1-900e_bsds.py'


FULL_RCF_BACKBONE = rcf_backbone()  # scoped 'mmkd.EdgeVGG16': other tests leave mmengine's default scope at mmseg


def small_rcf() -> RCF:
    return RCF(backbone=dict(FULL_RCF_BACKBONE, channels=SMALL_WIDTHS))


def test_steps_cover_every_trunk_conv_and_its_side_conv():
    steps = rcf_pruning_steps(RCF(FULL_RCF_BACKBONE), 0.5)
    assert [s.producer for s in steps] == [f'backbone.conv{s}_{i}' for s, n in enumerate((2, 2, 3, 3, 3), 1)
                                           for i in range(1, n + 1)]
    assert steps[0].consumer == 'backbone.conv1_2' and steps[0].side_consumers == ['conv_down.0.0']
    assert steps[3].consumer == 'backbone.conv3_1' and steps[3].side_consumers == ['conv_down.1.1']
    assert steps[-1].consumer == 'conv_down.4.2' and steps[-1].side_consumers == []  # conv5_3 feeds its side only
    assert [s.num_keep for s in steps] == [32, 32, 64, 64, 128, 128, 128, 256, 256, 256, 256, 256, 256]
    only_two = rcf_pruning_steps(RCF(FULL_RCF_BACKBONE), {'conv2_2': 0.25, 'conv5_1': 0.5})
    assert [(s.producer, s.num_keep) for s in only_two] == [('backbone.conv2_2', 32), ('backbone.conv5_1', 256)]
    with pytest.raises(ValueError, match=r"unknown convs \['conv6_1'\]"):
        rcf_pruning_steps(RCF(FULL_RCF_BACKBONE), {'conv6_1': 0.5})
    with pytest.raises(ValueError, match='must be in \\(0, 1\\]'):
        rcf_pruning_steps(RCF(FULL_RCF_BACKBONE), 1.5)


def test_pruned_rcf_has_the_widths_runs_and_tracks_the_original(tmp_path):
    torch.manual_seed(0)
    rcf = small_rcf().eval()
    original = small_rcf().eval()
    original.load_state_dict(rcf.state_dict())
    images = [torch.randn(1, 3, 56, 56) * 50 for _ in range(4)]  # >= 144 positions for conv5: refit determined
    reports = prune_rcf(rcf, lambda: images, keep_ratio=0.5, positions_per_image=400, logger=None)
    expected = [width // 2 for width in SMALL_WIDTHS]
    assert rcf_channels(rcf) == expected and [len(r.kept) for r in reports] == expected
    # (a conv whose inputs have fewer live channels than requested, e.g. ReLUs dead on these 4 random images,
    # keeps the count through the top-|beta| tie-break: exact=False, here conv4_3)
    assert sum(r.exact for r in reports) >= len(reports) - 2
    assert rcf.backbone.conv_channels == [expected[0:2], expected[2:4], expected[4:7], expected[7:10], expected[10:13]]
    assert [conv.in_channels for stage in rcf.conv_down for conv in stage] == expected
    test_image = torch.randn(1, 3, 37, 45) * 50  # odd sizes: outputs at the input size
    with torch.no_grad():
        pruned_out, original_out = rcf(test_image), original(test_image)
    assert len(pruned_out) == rcf.num_outputs == 6 and all(o.shape == (1, 1, 37, 45) for o in pruned_out)
    # half the channels of every conv, refit: the fused logits stay correlated with the original ones (measured
    # 0.63 / 0.83 / 0.85 for seeds 0 / 1 / 2 on this random network and random images)
    corr = torch.corrcoef(torch.stack([pruned_out[-1].flatten(), original_out[-1].flatten()]))[0, 1]
    assert corr > 0.5, float(corr)

    # the written config rebuilds exactly this network and loads its weights strictly
    text = pruned_rcf_config(osp.join(REPO_ROOT, RCF_CONFIG), rcf, 'pruned.pth')
    config_path = tmp_path / 'pruned.py'
    config_path.write_text(text)
    cfg = Config.fromfile(str(config_path))
    assert cfg.load_from == 'pruned.pth' and cfg.model.network.backbone.channels == expected
    with DefaultScope.overwrite_default_scope('mmseg'):  # no scope leaks into other test modules
        model = MODELS.build(cfg.model)
    model.network.load_state_dict(rcf.state_dict(), strict=True)
    with torch.no_grad():
        assert torch.allclose(model.eval().network(test_image)[-1], pruned_out[-1], atol=1e-5)


@pytest.mark.slow
def test_prune_rcf_tool_writes_a_config_that_fine_tunes(tmp_path):
    """The tool on a narrow RCF checkpoint and the synthetic BSDS train list; then one training iteration."""
    data_root = str(tmp_path / 'bsds')
    generate_synthetic_bsds(data_root, num_train=3, num_test=1, height=48, width=64, seed=0)
    channels = 'model.network.backbone.channels=[' + ','.join(map(str, SMALL_WIDTHS)) + ']'
    cfg = Config.fromfile(osp.join(REPO_ROOT, RCF_CONFIG))
    cfg.merge_from_dict({'model.network.backbone.channels': SMALL_WIDTHS})
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    checkpoint = str(tmp_path / 'rcf_small.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    out_dir = tmp_path / 'pruned'
    result = run_tool([
        sys.executable, 'tools/pruning/prune_rcf.py', RCF_CONFIG, checkpoint, '--keep-ratio', '0.5', '--keep-ratios',
        'conv5_3=1.0', '--num-images', '3', '--positions-per-image', '300', '--out-dir', str(out_dir), '--device',
        'cpu', '--cfg-options', channels, f'train_dataloader.dataset.data_root={data_root}',
        'train_dataloader.dataset.ann_file=HED-BSDS/train_pair.lst'
    ], env_extra=dict(OMP_NUM_THREADS='1'), timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    expected = [width // 2 for width in SMALL_WIDTHS[:-1]] + [SMALL_WIDTHS[-1]]
    report = json.loads((out_dir / 'pruning_report.json').read_text())
    assert report['channels'] == expected and len(report['layers']) == 12 and report['num_images'] == 3
    saved = safe_torch_load(str(out_dir / 'rcf_pruned.pth'), map_location='cpu')
    assert saved['state_dict']['network.backbone.conv3_2.weight'].shape == (8, 8, 3, 3)
    assert saved['state_dict']['network.conv_down.2.1.weight'].shape == (21, 8, 1, 1)

    pruned_cfg = Config.fromfile(str(out_dir / 'rcf_vgg16_1xb1-900e_bsds_pruned.py'))
    assert pruned_cfg.model.network.backbone.channels == expected
    assert pruned_cfg.load_from == str(out_dir / 'rcf_pruned.pth')
    pruned_cfg.work_dir = str(tmp_path / 'work')
    pruned_cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    pruned_cfg.train_dataloader.dataset.update(data_root=data_root, ann_file='HED-BSDS/train_pair.lst', indices=1)
    pruned_cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=10)
    pruned_cfg.val_cfg = pruned_cfg.val_dataloader = pruned_cfg.val_evaluator = None
    pruned_cfg.test_cfg = pruned_cfg.test_dataloader = pruned_cfg.test_evaluator = None
    pruned_cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(pruned_cfg)
    runner.train()  # loads load_from (strict shapes) before the first step
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(loss)) and loss > 0
    trained = runner.model.state_dict()
    assert trained['network.backbone.conv3_2.weight'].shape == (8, 8, 3, 3)
    # fine-tuning started from the pruned weights: one lr-1e-6 step leaves them close
    assert torch.allclose(trained['network.backbone.conv1_1.weight'],
                          saved['state_dict']['network.backbone.conv1_1.weight'], atol=1e-3)
