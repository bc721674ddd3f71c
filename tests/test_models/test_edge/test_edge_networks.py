# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch

from mmkd.models.edge import RCF, EdgeSkipDecoder, MobileNetV2EdgeEncoder, MobileNetV2EdgeNet, ScaleEnhancementModule
from mmkd.registry import MODELS
from tests.helpers.edge_configs import rcf_backbone
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401  (autouse)


@pytest.mark.parametrize('size', [(35, 47), (64, 64)])
def test_rcf_six_outputs_at_the_input_size(size):
    torch.manual_seed(0)
    rcf = MODELS.build(dict(type='RCF', backbone=rcf_backbone()))
    outputs = rcf(torch.rand(1, 3, *size))
    assert rcf.num_outputs == 6 and len(outputs) == 6
    assert all(tuple(out.shape) == (1, 1) + size for out in outputs)


def test_rcf_structure_and_init():
    torch.manual_seed(0)
    rcf = RCF(rcf_backbone())
    assert [len(stage) for stage in rcf.conv_down] == [2, 2, 3, 3, 3]  # one 1x1 per VGG16 conv
    assert rcf.conv_down[4][2].in_channels == 512 and rcf.conv_down[4][2].out_channels == 21
    assert rcf.backbone.pool4.stride == 1 and rcf.backbone.conv5_1.dilation == (2, 2)
    assert torch.equal(rcf.fuse.weight, torch.full((1, 5, 1, 1), 0.2))
    side_weights = torch.cat([c.weight.flatten() for stage in rcf.conv_down for c in stage])
    assert abs(side_weights.std().item() - 0.01) < 0.001 and abs(side_weights.mean().item()) < 0.001
    assert all(c.bias.abs().sum() == 0 for c in rcf.score)


def test_rcf_fuse_is_the_weighted_sum_of_sides():
    torch.manual_seed(0)
    rcf = RCF(rcf_backbone())
    with torch.no_grad():
        outputs = rcf(torch.rand(1, 3, 32, 32))
    assert torch.allclose(outputs[-1], 0.2 * sum(outputs[:5]), atol=1e-6)


def test_rcf_on_a_pruned_trunk():
    widths = [32, 32, 64, 64, 128, 128, 128, 256, 256, 256, 256, 256, 256]
    rcf = RCF(backbone=rcf_backbone(channels=widths))
    assert rcf.conv_down[0][0].in_channels == 32 and rcf.conv_down[4][2].in_channels == 256
    assert len(rcf(torch.rand(1, 3, 33, 33))) == 6


def test_rcf_without_a_backbone_names_the_config():
    with pytest.raises(TypeError, match='configs/_base_/models/edge_rcf.py'):
        RCF()


def test_mobilenetv2_encoder_widths_and_strides():
    encoder = MobileNetV2EdgeEncoder()
    feats = encoder(torch.rand(1, 3, 64, 96))
    assert encoder.out_channels == [16, 24, 32, 96, 320, 1280]
    assert [tuple(f.shape[1:]) for f in feats] == [(16, 32, 48), (24, 16, 24), (32, 8, 12), (96, 4, 6), (320, 2, 3),
                                                   (1280, 2, 3)]
    with pytest.raises(ValueError, match='ending with 6'):
        MobileNetV2EdgeEncoder(out_indices=(0, 1, 2))


@pytest.mark.parametrize('side_outputs,num_outputs', [(False, 1), (True, 6)])
@pytest.mark.parametrize('size', [(35, 47), (64, 64)])
def test_students_outputs_at_odd_sizes(side_outputs, num_outputs, size):
    torch.manual_seed(0)
    net = MODELS.build(dict(type='MobileNetV2EdgeNet', side_outputs=side_outputs))
    outputs = net(torch.rand(1, 3, *size))
    assert net.num_outputs == num_outputs == len(outputs)
    assert all(tuple(out.shape) == (1, 1) + size for out in outputs)


def test_model_and_so_model_share_one_class():
    model, so_model = MobileNetV2EdgeNet(), MobileNetV2EdgeNet(side_outputs=True)
    extra = sum(p.numel() for p in so_model.parameters()) - sum(p.numel() for p in model.parameters())
    assert extra == sum(c + 1 for c in (256, 128, 64, 32, 16))  # five 1x1 convs to one channel (+ bias)
    assert type(model) is type(so_model)


def test_decoder_blocks_are_depthwise_pointwise_and_double_the_size():
    decoder = EdgeSkipDecoder(in_channels=[16, 24, 32, 96, 320, 1280])
    first = decoder.blocks[0]
    assert first.depthwise.conv.groups == 1280 and first.depthwise.conv.kernel_size == (3, 3)
    assert first.pointwise.conv.kernel_size == (1, 1) and first.pointwise.conv.out_channels == 256
    # block 1 reads the encoder output alone (no second 1x1 projection of the 320-channel stage); 1x1 align where
    # the skip's width differs from the block input: 96 -> 256, 32 -> 128, 24 -> 64, 16 -> 32
    assert decoder.skip_indices == [None, 3, 2, 1, 0]
    assert [getattr(getattr(a, 'conv', None), 'in_channels', None) for a in decoder.align] == [None, 96, 32, 24, 16]
    feats = [torch.rand(1, c, 64 // s, 64 // s) for c, s in zip([16, 24, 32, 96, 320, 1280], [2, 4, 8, 16, 32, 32])]
    outputs = decoder(feats, (64, 64))
    assert [tuple(o.shape[1:]) for o in outputs] == [(256, 4, 4), (128, 8, 8), (64, 16, 16), (32, 32, 32),
                                                     (16, 64, 64)]


def test_decoder_sums_the_chosen_skip():
    torch.manual_seed(0)
    decoder = EdgeSkipDecoder(in_channels=[4, 4], channels=[4], skip_indices=[0]).eval()
    deep, skip = torch.rand(1, 4, 2, 2), torch.rand(1, 4, 2, 2)
    expected = decoder.blocks[0](deep + skip, (4, 4))  # same widths: the skip is added unchanged
    assert torch.allclose(decoder([skip, deep], (4, 4))[0], expected)


def test_sem_is_a_sum_of_dilated_depthwise_branches():
    sem = ScaleEnhancementModule(8, kernel_sizes=(3, 3, 5), dilations=(1, 2, 3)).eval()
    x = torch.rand(1, 8, 9, 11)
    assert sem(x).shape == x.shape
    assert [b.conv.conv.dilation for b in sem.branches] == [(1, 1), (2, 2), (3, 3)]
    assert all(b.conv.conv.groups == 8 and b.reduce is None and b.expand is None for b in sem.branches)
    assert torch.allclose(sem(x), sum(b(x) for b in sem.branches))
    with pytest.raises(ValueError, match='same length'):
        ScaleEnhancementModule(8, kernel_sizes=(3, ), dilations=(1, 2))


def test_student_with_sem():
    net = MobileNetV2EdgeNet(sem=dict(dilations=(1, 2, 4)))
    assert net.sem.channels == 1280
    assert net(torch.rand(1, 3, 33, 33))[0].shape == (1, 1, 33, 33)


def test_sem_branch_widths_are_parameters():
    """branch_channels: a 1x1 ConvBnReLU reduces C to w_b, the depthwise conv works at w_b, a 1x1 ConvBn expands
    to C_out; parameter count by hand (convs + BN weight/bias)."""
    sem = ScaleEnhancementModule(16, kernel_sizes=(3, 3), dilations=(1, 2), branch_channels=(8, 16), out_channels=16)
    first, second = sem.branches
    assert first.reduce.conv.out_channels == 8 and first.conv.conv.groups == 8 and first.expand.conv.in_channels == 8
    assert second.reduce is None and second.expand is None and second.conv.conv.groups == 16
    by_hand = (16 * 8 + 2 * 8) + (8 * 9 + 2 * 8) + (8 * 16 + 2 * 16) + (16 * 9 + 2 * 16)  # mmcv: no conv bias w/ BN
    assert sum(p.numel() for p in sem.parameters()) == by_hand
    sem = ScaleEnhancementModule(16, branch_channels=4, out_channels=24).eval()
    x = torch.rand(2, 16, 7, 9)
    assert sem(x).shape == (2, 24, 7, 9)
    assert torch.allclose(sem(x), sum(b(x) for b in sem.branches))
    with pytest.raises(ValueError, match='branch_channels'):
        ScaleEnhancementModule(16, branch_channels=(4, 4))


def test_rows_use_the_sem_and_drop_the_duplicate_projection():
    """The rows' students: SEM on the 1280-channel encoder output; block 1 without the 320 -> 1280 align (0.41 M
    parameters, 13 % of the former 3.06 M); total parameters by hand."""
    from mmengine.config import Config

    from tests.helpers.tools import REPO_ROOT
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/edge/model_mobilenetv2_1xb1-900e_bsds.py')
    net = MODELS.build(cfg.model.network)
    assert net.sem is not None and net.sem.channels == 1280
    assert [b.conv.conv.dilation for b in net.sem.branches] == [(1, 1), (2, 2), (4, 4)]
    former = MobileNetV2EdgeNet(skip_indices=(4, 3, 2, 1, 0))
    params = sum(p.numel() for p in net.parameters())
    duplicate = 320 * 1280 + 2 * 1280  # 1x1 conv (no bias) + BN
    sem = 3 * (1280 * 9 + 2 * 1280)
    assert params == sum(p.numel() for p in former.parameters()) - duplicate + sem == 2689361
    assert round(duplicate / sum(p.numel() for p in former.parameters()), 3) == 0.135
