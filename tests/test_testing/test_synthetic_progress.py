# Copyright (c) mmkd contributors. All rights reserved.
"""The synthetic data generators show progress (mmengine's ProgressBar, on stderr: stdout is the JSON summary)."""
import pytest

from mmkd.testing.synthetic import generate_synthetic_cityscapes, generate_synthetic_coco
from mmkd.testing.synthetic.bsds import generate_synthetic_bsds


@pytest.mark.parametrize('generator,name,eval_split', [
    (generate_synthetic_cityscapes, 'cityscapes', 'val'), (generate_synthetic_coco, 'coco', 'val'),
    (generate_synthetic_bsds, 'bsds', 'test')])
def test_progress_bar_on_stderr(tmp_path, capsys, generator, name, eval_split):
    generator(str(tmp_path / 'a'), num_train=3, height=32, width=48, progress=True, **{f'num_{eval_split}': 1})
    captured = capsys.readouterr()
    assert f'synthetic {name} train: 3 images' in captured.err and '3/3' in captured.err
    assert f'synthetic {name} {eval_split}: 1 images' in captured.err and captured.out == ''
    generator(str(tmp_path / 'b'), num_train=3, height=32, width=48, **{f'num_{eval_split}': 1})
    assert capsys.readouterr().err == ''  # the Python API is quiet unless asked
