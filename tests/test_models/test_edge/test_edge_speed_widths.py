# Copyright (c) mmkd contributors. All rights reserved.
"""benchmarks/edge_speed.py times the pruned RCF at the pruning tool's widths without pruning: the widths must be
the ones ``rcf_pruning_steps`` keeps."""
import argparse
import importlib.util

import pytest

from mmkd.models.edge import RCF
from mmkd.models.edge.rcf_pruning import rcf_conv_names, rcf_pruning_steps
from tests.helpers.edge_configs import rcf_backbone
from tests.helpers.tools import REPO_ROOT


@pytest.mark.parametrize('keep_ratio', [0.6, 0.35])
def test_benchmark_widths_equal_the_tools(keep_ratio):
    spec = importlib.util.spec_from_file_location('edge_speed', f'{REPO_ROOT}/benchmarks/edge_speed.py')
    edge_speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(edge_speed)
    channels = edge_speed.pruned_rcf_spec(argparse.Namespace(pruned_config=None, keep_ratio=keep_ratio))['channels']
    rcf = RCF(rcf_backbone())
    kept = {step.producer: step.num_keep for step in rcf_pruning_steps(rcf, keep_ratio)}
    assert channels == [kept[f'backbone.{name}'] for name in rcf_conv_names(rcf)]
