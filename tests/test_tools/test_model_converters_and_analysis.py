# Copyright (c) mmkd contributors. All rights reserved.
"""tools/model_converters/distill_to_student.py and tools/analysis_tools/*: on the demo BPKD config."""
import sys

import cv2
import numpy as np
import pytest
import torch

from tests.helpers.distill_configs import build_distill_model
from tests.helpers.tools import REPO_ROOT, run_tool

BPKD = 'configs/bpkd/bpkd_pspnet-r18w32-to-r18w16_1xb4-600i_synthcity-128x256.py'


def test_distilled_checkpoint_converts_to_a_student_mmseg_loads(tmp_path):
    from mmseg.apis import inference_model, init_model
    algorithm = build_distill_model(BPKD)
    src = tmp_path / 'iter_2.pth'
    torch.save({'state_dict': algorithm.state_dict(), 'meta': {'iter': 2, 'dataset_meta': {'classes': ('a', ) * 19}}},
               src)
    result = run_tool([sys.executable, 'tools/model_converters/distill_to_student.py', str(src),
                       str(tmp_path / 'student.pth'), '--distill-config', BPKD, '--out-config',
                       str(tmp_path / 'student.py')])
    assert result.returncode == 0, result.stderr[-3000:]
    student = init_model(str(tmp_path / 'student.py'), str(tmp_path / 'student.pth'), device='cpu')
    expected = algorithm.student.state_dict()
    loaded = student.state_dict()
    assert expected.keys() == loaded.keys()
    assert all(torch.equal(expected[key], loaded[key]) for key in expected)
    image = np.random.default_rng(0).integers(0, 256, (128, 256, 3), dtype=np.uint8)
    algorithm.eval()
    prediction = inference_model(student, image).seg_logits.data
    with torch.no_grad():
        inputs = algorithm.data_preprocessor(dict(inputs=[torch.from_numpy(image).permute(2, 0, 1)]), False)
        reference = algorithm.student(inputs['inputs'], mode='tensor')  # the distilled student inside the algorithm
    reference = torch.nn.functional.interpolate(reference, (128, 256), mode='bilinear')[0]
    assert torch.allclose(prediction, reference, atol=1e-4)


def test_converter_refuses_a_plain_checkpoint(tmp_path):
    torch.save({'state_dict': {'backbone.conv.weight': torch.ones(1)}}, tmp_path / 'plain.pth')
    result = run_tool([sys.executable, 'tools/model_converters/distill_to_student.py', str(tmp_path / 'plain.pth'),
                       str(tmp_path / 'out.pth')])
    assert result.returncode != 0 and 'no "architecture.*" weights' in result.stderr


def test_get_flops_reports_student_and_teacher():
    result = run_tool([sys.executable, 'tools/analysis_tools/get_flops.py', BPKD, '--shape', '128', '256', '--teacher'])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'student: input 128x256' in result.stdout and 'params 0.793M' in result.stdout
    assert 'teacher: input 128x256' in result.stdout and 'params 3.164M' in result.stdout


@pytest.mark.parametrize('stride', [1, 4])
def test_mask_picture(tmp_path, stride):
    labels = np.zeros((32, 64), dtype=np.uint8)
    labels[:, 32:] = 1
    image = np.full((32, 64, 3), 128, dtype=np.uint8)
    cv2.imwrite(str(tmp_path / 'image.png'), image)
    cv2.imwrite(str(tmp_path / 'labels.png'), labels)
    result = run_tool([sys.executable, 'tools/analysis_tools/visualize_bpkd_masks.py', str(tmp_path / 'image.png'),
                       str(tmp_path / 'labels.png'), str(tmp_path / 'masks.png'), '--edge-width', '7', '--stride',
                       str(stride)], cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    picture = cv2.imread(str(tmp_path / 'masks.png'))
    band = picture.shape[0] - 32  # the panel titles (image | labels | edge mask | body mask) sit above the panels
    assert 8 <= band <= 24 and picture.shape[1:] == (4 * 64 + 3 * 4, 3)
    assert (picture[:band, 2 * 68:2 * 68 + 64] > 128).any()  # light title text on the dark band
    picture = picture[band:]
    edge = picture[:, 2 * 68:2 * 68 + 64, 0]
    body = picture[:, 3 * 68:3 * 68 + 64, 0]
    if stride == 1:
        # the band is 3 px on each side of the vertical boundary between columns 31 and 32
        assert (edge[:, 29:35] == 255).all() and (edge[:, :29] == 0).all() and (edge[:, 35:] == 0).all()
        assert ((body == 255) == (edge == 0)).all()
    else:
        # stride-4 grid: band columns 29-34 fill 3 of the 4 columns of cells 7 (28-31) and 8 (32-35)
        assert (edge[:, 28:36] == 191).all() and (edge[:, :28] == 0).all() and (edge[:, 36:] == 0).all()
