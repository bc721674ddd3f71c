# SKDS, "Structured Knowledge Distillation for Semantic Segmentation" (Liu et al., CVPR 2019), all three terms, for
# the embedded-demo pair (PSPNet-R18 width 32 -> width 16, synthetic city 128x256, CPU schedule):
# - pixel-wise: soft cross-entropy on the decode-head logits, lambda 10 (the paper);
# - pair-wise: similarity graph of the penultimate features (conv_seg inputs) on 2x2 max-pooled nodes, lambda 1 (the
#   paper; the official run script uses 0.5);
# - holistic: SAGAN-style discriminator on the logits, WGAN-GP (lambda_gp 10), discriminator loss x 0.1, student term
#   x 0.001 (CIRKD's scripts; the official code weights it with lambda_d = 0.1 too), Adam 4e-4 (0.9, 0.99) for D.
# A benchmark row inheriting this config swaps the base pair (cfg_paths, teacher_ckpt, recorder sources), the loss
# weights, and the discriminator's in_channels (= number of classes) and input size.
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py']
num_classes = 19
model = dict(
    type='mmkd.AdversarialSingleTeacherDistill',
    distiller=dict(
        distill_losses=dict(
            loss_pixel=dict(type='mmkd.PixelWiseKDLoss', tau=1.0, loss_weight=10.0),
            loss_pair=dict(type='mmkd.PairWiseKDLoss', pool_mode='half', loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_pixel=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')),
            loss_pair=dict(
                feats_S=dict(from_student=True, recorder='feats', data_idx=0),
                feats_T=dict(from_student=False, recorder='feats', data_idx=0)))),
    # The demo head's logits are 16x32, below the discriminator's 64-pixel minimum: D scores them resized to 64x128
    # (half the crop), at half the paper's widths (32-64-128-256), which keeps its CPU step well under a second.
    discriminator=dict(type='mmkd.SKDSDiscriminator', in_channels=num_classes, base_channels=32),
    adversarial_loss=dict(
        type='mmkd.AdversarialKDLoss', adv_type='wgan-gp', generator_weight=0.001, discriminator_weight=0.1,
        gp_weight=10.0),
    student_logits_recorder='logits',
    teacher_logits_recorder='logits',
    discriminator_input_size=(64, 128))

# One wrapper per submodule of the algorithm (mmrazor's constructor builds each from `model.<key>`'s parameters):
# the student keeps the demo schedule's SGD, the discriminator gets Adam.
optim_wrapper = dict(
    _delete_=True,
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    architecture=dict(
        type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0005), clip_grad=None),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=4e-4, betas=(0.9, 0.99))))
# Schedules per wrapper: the student's as in the demo, the discriminator's learning rate constant (as in CIRKD).
param_scheduler = dict(
    _delete_=True,
    architecture=[
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
        dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=50, end=600, by_epoch=False),
    ],
    discriminator=[])
# Distributed runs: the algorithm drives its own two steps, which MMSeparateDistributedDataParallel delegates to it.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=True)
