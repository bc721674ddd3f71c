# Row "RCF" (the 2020 article "Accuracy and runtime tradeoff in modern edge detection algorithms": ODS 0.8115): the
# teacher. RCF's recipe: Caffe-style per-layer lr multipliers (conv1-4 x1, conv5 x100, per-conv 21-ch side convs
# x0.1, 1-ch score convs x0.01, fuse x0.001; biases x2 and no decay), batch 1 with 10-step gradient accumulation, on
# the article's schedule (SGD 0.9, wd 5e-4, x0.1 every 90 of 900 epochs).
_base_ = [
    '../_base_/models/edge_rcf.py', '../_base_/datasets/bsds.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/schedule_edge_900e.py'
]
# The multipliers by module (mmkd.SideOutputLrMultOptimWrapperConstructor): trunk stages conv1-conv5, RCF's per-conv
# 21-channel side convs (conv_down), the 1-channel score convs, the fuse conv; every bias at bias_lr_mult x its group's.
optim_wrapper = dict(
    constructor='mmkd.SideOutputLrMultOptimWrapperConstructor',
    paramwise_cfg=dict(stage_lr_mults=(1.0, 1.0, 1.0, 1.0, 100.0), side_lr_mult=0.1, score_lr_mult=0.01,
                       fuse_lr_mult=0.001, bias_lr_mult=2.0, bias_decay_mult=0.0))
log_processor = dict(by_epoch=True)  # epoch-based schedule (mmseg's runtime base logs by iteration)
