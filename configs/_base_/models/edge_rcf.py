# RCF (Liu et al., CVPR 2017) on VGG16 with the official port's trunk: ceil-mode pools, pool4 2x2 stride 1,
# conv5 dilation 2 (defined here only: mmkd.RCF takes its backbone from the config). Input: BGR minus the BSDS mean,
# unscaled (every edge model's data_preprocessor).
_base_ = ['./edge_data_preprocessor.py']
model = dict(
    type='mmkd.EdgeDetector',
    data_preprocessor=_base_.data_preprocessor,
    network=dict(
        type='mmkd.RCF',
        backbone=dict(type='mmkd.EdgeVGG16', pool4_stride=1, pool4_kernel=2, conv5_dilation=2,
                      pool_ceil_mode=True)),
    # all six outputs supervised equally, summed class-balanced BCE (eta 0.5, lambda 1.1)
    loss_edge=dict(type='mmkd.WeightedEdgeBCELoss', eta=0.5, neg_weight=1.1))
