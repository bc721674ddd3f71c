# Copyright (c) mmkd contributors. All rights reserved.
"""Channel pruning (He et al., ICCV 2017) of conv networks and its application to RCF's VGG16 trunk."""
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
