# Copyright (c) mmkd contributors. All rights reserved.
"""Layer-by-layer channel pruning says how far it is: '[channel pruning k/N]' per layer in the log."""
import logging

import torch
from mmengine.logging import MMLogger

from mmkd.models.task_modules.pruning import PruningStep, prune_channels_layer_by_layer
from tests.test_models.test_task_modules.test_pruning.test_channel_pruning import conv_stack


def test_each_layer_logs_its_position(tmp_path):
    torch.manual_seed(5)
    logger = MMLogger.get_instance('pruning_progress', log_file=str(tmp_path / 'p.log'), log_level='INFO')
    images = [torch.randn(2, 3, 16, 16) for _ in range(2)]
    steps = [PruningStep('0', '2', 12), PruningStep('2', '5', 7)]
    prune_channels_layer_by_layer(conv_stack(), steps, lambda: images, positions_per_image=50,
                                  logger='pruning_progress')
    for handler in logger.handlers:
        handler.flush()
    log = (tmp_path / 'p.log').read_text()
    assert '[channel pruning 1/2] 0:' in log and '-> 12 channels' in log
    assert '[channel pruning 2/2] 2:' in log
    logging.getLogger('pruning_progress').handlers.clear()
