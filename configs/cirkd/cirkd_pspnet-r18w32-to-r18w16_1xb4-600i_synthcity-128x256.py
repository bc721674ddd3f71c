# CIRKD (configs/_base_/distill/methods/cirkd.py: logit KD, mini-batch pixel-to-pixel and memory pixel/region
# contrast, student features projected to the teacher width) for the embedded-demo pair. Plain BN in the projection
# head: the demo runs in one process.
_base_ = ['../_base_/distill/demo_pspnet-r18w32-to-r18w16_synthcity.py', '../_base_/distill/methods/cirkd.py']
model = dict(
    distiller=dict(
        connectors=dict(
            proj_S=dict(
                _base_.projection,
                in_channels=_base_.student_feat_channels,
                out_channels=_base_.teacher_feat_channels,
                norm_cfg=dict(type='BN'))),
        distill_losses=dict(
            loss_kd=_base_.kd_loss,
            loss_minibatch=_base_.minibatch_loss,
            loss_memory=dict(
                _base_.memory_loss, num_classes=_base_.num_classes, feat_channels=_base_.teacher_feat_channels)),
        loss_forward_mappings=_base_.loss_forward_mappings))
