# Row "RCF" (the 2020 article "Accuracy and runtime tradeoff in modern edge detection algorithms": ODS 0.8115): the
# teacher. RCF's recipe: Caffe-style per-layer lr multipliers (conv1-4 x1, conv5 x100, per-conv 21-ch side convs
# x0.1, 1-ch score convs x0.01, fuse x0.001; biases x2 and no decay), batch 1 with 10-step gradient accumulation, on
# the article's schedule (SGD 0.9, wd 5e-4, x0.1 every 90 of 900 epochs).
_base_ = [
    '../_base_/models/edge_rcf.py', '../_base_/datasets/bsds.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/schedule_edge_900e.py'
]
# mmengine applies a custom key's lr_mult instead of bias_lr_mult, so each bias of a custom group gets its own key.
rcf_lr_mults = {'network.backbone.conv5': 100.0, 'network.conv_down': 0.1, 'network.score': 0.01, 'network.fuse': 0.001}
rcf_bias_keys = {
    'network.backbone.conv5': ['network.backbone.conv5_1.bias', 'network.backbone.conv5_2.bias',
                               'network.backbone.conv5_3.bias'],
    'network.conv_down': [f'network.conv_down.{k}.{j}.bias' for k, n in enumerate((2, 2, 3, 3, 3)) for j in range(n)],
    'network.score': [f'network.score.{k}.bias' for k in range(5)],
    'network.fuse': ['network.fuse.bias'],
}
custom_keys = {key: dict(lr_mult=mult) for key, mult in rcf_lr_mults.items()}
custom_keys.update({bias: dict(lr_mult=2 * rcf_lr_mults[group], decay_mult=0.0)
                    for group, biases in rcf_bias_keys.items() for bias in biases})
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=custom_keys, bias_lr_mult=2.0, bias_decay_mult=0.0))
log_processor = dict(by_epoch=True)  # epoch-based schedule (mmseg's runtime base logs by iteration)
