# CIRKD, Seed 002 Table 2: ISANet-R101-D8 -> ISANet-R18-D8,
# Cityscapes 512x512, 40k iterations.
_base_ = [
    '../_base_/distill/pairs/isanet-r101-d8_isanet-r18-d8_4xb2-40k_cityscapes-512x512.py',
    '../_base_/distill/methods/cirkd.py'
]
model = dict(
    distiller=dict(
        connectors=dict(
            proj_S=dict(
                _base_.projection,
                in_channels=_base_.student_feat_channels,
                out_channels=_base_.teacher_feat_channels)),
        distill_losses=dict(
            loss_kd=_base_.kd_loss,
            loss_minibatch=_base_.minibatch_loss,
            loss_memory=dict(
                _base_.memory_loss, num_classes=_base_.num_classes, feat_channels=_base_.teacher_feat_channels)),
        loss_forward_mappings=_base_.loss_forward_mappings))
