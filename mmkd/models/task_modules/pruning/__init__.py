# Copyright (c) mmkd contributors. All rights reserved.
"""Channel pruning (He et al., ICCV 2017) of any conv -> conv chain: LASSO channel selection + least squares.

The RCF-specific steps (which convs feed which) live beside RCF: :mod:`mmkd.models.edge.rcf_pruning`.
"""
from .channel_pruning import (
    ChannelSelection,
    LayerPruningReport,
    PruningStep,
    ReconstructionStats,
    channel_contribution_gram,
    lasso_channel_selection,
    least_squares_refit,
    prune_channels_layer_by_layer,
    reconstruction_error,
    sample_conv_positions,
)

__all__ = [
    'ChannelSelection', 'LayerPruningReport', 'PruningStep', 'ReconstructionStats', 'channel_contribution_gram',
    'lasso_channel_selection', 'least_squares_refit', 'prune_channels_layer_by_layer', 'reconstruction_error',
    'sample_conv_positions'
]
