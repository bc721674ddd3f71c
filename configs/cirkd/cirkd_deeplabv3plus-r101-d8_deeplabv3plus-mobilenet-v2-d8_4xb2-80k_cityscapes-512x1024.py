# CIRKD, Seed 003: DeepLabV3+-R101-D8 -> DeepLabV3+-MobileNetV2-D8,
# Cityscapes 512x1024, 80k iterations.
_base_ = [
    '../_base_/distill/pairs/deeplabv3plus-r101-d8_deeplabv3plus-mobilenet-v2-d8_4xb2-80k_cityscapes-512x1024.py',
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
