# The MobileNetV2 encoder-decoder edge student of the 2020 article "Accuracy and runtime tradeoff in modern edge
# detection algorithms" (its Figures 5-6), "Model" form (one output); SO Model: side_outputs=True.
# Same input normalisation as RCF (BGR minus the BSDS mean, unscaled), so teacher and student share one
# data_preprocessor in the distillation rows. No ImageNet weights can be downloaded here: the encoder starts from
# mmseg's Kaiming init unless init_cfg points at a checkpoint.
# SEM (the article's Figure 4, among the students' building blocks) on the encoder's 1280-channel output: three
# depthwise 3x3 ConvBnReLU branches, dilations 1/2/4, at full width (branch_channels=None), summed. Block 1 reads that
# output alone (skip None): the 320-channel stage it could add is what the final 1x1 conv already reads.
# configs/edge/README.md ("The students as the article builds them") gives the reasons.
_base_ = ['./edge_data_preprocessor.py']
model = dict(
    type='mmkd.EdgeDetector',
    data_preprocessor=_base_.data_preprocessor,
    network=dict(
        type='mmkd.MobileNetV2EdgeNet',
        encoder=dict(type='mmkd.MobileNetV2EdgeEncoder', widen_factor=1.0, out_indices=(0, 1, 2, 4, 6),
                     last_channels=1280),
        decoder_channels=(256, 128, 64, 32, 16),
        skip_indices=(None, 3, 2, 1, 0),  # -, 96@1/16, 32@1/8, 24@1/4, 16@1/2
        side_outputs=False,
        sem=dict(kernel_sizes=(3, 3, 3), dilations=(1, 2, 4), branch_channels=None)),
    loss_edge=dict(type='mmkd.WeightedEdgeBCELoss', eta=0.5, neg_weight=1.1))
