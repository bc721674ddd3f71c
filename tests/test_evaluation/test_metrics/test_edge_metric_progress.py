# Copyright (c) mmkd contributors. All rights reserved.
"""mmkd.EdgeMetric shows progress while it evaluates (minutes on BSDS500): an mmengine progress bar on stderr."""
import pytest

from tests.test_evaluation.test_metrics.test_edge_metric import evaluate, line_map, sample


@pytest.mark.parametrize('num_workers', [1, 2])
def test_progress_bar_counts_the_images(capsys, num_workers):
    gt = line_map(10)
    results = evaluate([sample(gt, [gt], name=f'img{k}.jpg') for k in range(3)], num_workers=num_workers)
    assert results['edge/ODS'] == pytest.approx(1.0)
    err = capsys.readouterr().err
    assert '3/3' in err and 'elapsed' in err, err
