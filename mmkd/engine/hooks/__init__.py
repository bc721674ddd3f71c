# Copyright (c) mmkd contributors. All rights reserved.
from .edge_vis_hook import EdgeVisualizationHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .rng_state_hook import RNGStateHook
from .seg_label_check_hook import SegLabelCheckHook
from .seg_prediction_writer_hook import SegPredictionWriterHook

__all__ = ['EdgeVisualizationHook', 'NonFiniteLossError', 'NonFiniteLossHook', 'RNGStateHook', 'SegLabelCheckHook',
           'SegPredictionWriterHook']
