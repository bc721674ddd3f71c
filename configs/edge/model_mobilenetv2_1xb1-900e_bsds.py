# The "Model" student alone (one output; not a row of the table of the 2020 article "Accuracy and runtime tradeoff
# in modern edge detection algorithms": Exp. 3's student architecture).
_base_ = [
    '../_base_/models/edge_mobilenetv2.py', '../_base_/datasets/bsds.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/schedule_edge_900e.py'
]
log_processor = dict(by_epoch=True)  # epoch-based schedule (mmseg's runtime base logs by iteration)
