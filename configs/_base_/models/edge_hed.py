# HED (Xie & Tu, ICCV 2015) on VGG16: 2x2 stride-2 pools in ceil mode (Caffe's rounding, and Keras 'same' pooling,
# keep the last row/column of odd sides), conv5 undilated; side outputs from conv1_2, conv2_2, conv3_3, conv4_3,
# conv5_3. Input: BGR minus the BSDS mean, unscaled (every edge model's data_preprocessor).
_base_ = ['./edge_data_preprocessor.py']
model = dict(
    type='mmkd.EdgeDetector',
    data_preprocessor=_base_.data_preprocessor,
    network=dict(
        type='mmkd.HED',
        backbone=dict(type='mmkd.EdgeVGG16', pool4_stride=2, pool4_kernel=2, conv5_dilation=1,
                      pool_ceil_mode=True)),
    # HED's class-balanced BCE: lambda = 1 (eta 0.5: labels in (0, 0.5) ignored, as in RCF)
    loss_edge=dict(type='mmkd.WeightedEdgeBCELoss', eta=0.5, neg_weight=1.0))
