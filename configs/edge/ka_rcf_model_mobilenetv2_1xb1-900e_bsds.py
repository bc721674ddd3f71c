# Row "Model + knowledge adaptation" (Exp. 3 of the 2020 article "Accuracy and runtime tradeoff in modern edge
# detection algorithms": ODS 0.7873), after He et al., "Knowledge Adaptation for Efficient Semantic Segmentation"
# (CVPR 2019): the teacher's last encoder conv (VGG16 conv5_3, 512 ch, recorded explicitly after its ReLU: the
# module network.backbone.relu5_3; network.backbone.conv5_3 would be the pre-ReLU output) and the student's
# (MobileNetV2's final 1x1 ConvBnReLU6, 1280 ch: the ConvModule's output is after its activation) are each
# global-average-pooled and projected by an FC layer to one width (mmkd.GAPLinearConnector, mmrazor connectors
# trained with the student);
#   loss = weighted BCE(student output, GT) + 1e4 * MSE(projections)
# (mmrazor's L2Loss with normalize=False, div_element=True is the mean squared error).
# The algorithm, the RCF teacher and its checkpoint: ../_base_/distill/edge/edge_kd_algorithm.py.
_base_ = ['./model_mobilenetv2_1xb1-900e_bsds.py', '../_base_/distill/edge/edge_kd_algorithm.py']
adaptation_channels = 256
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path='mmkd::edge/model_mobilenetv2_1xb1-900e_bsds.py', pretrained=False),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(encoder_feat=dict(type='ModuleOutputs', source='network.encoder.last_conv')),
        teacher_recorders=dict(encoder_feat=dict(type='ModuleOutputs', source='network.backbone.relu5_3')),
        connectors=dict(
            student_proj=dict(type='mmkd.GAPLinearConnector', in_channels=1280, out_channels=adaptation_channels),
            teacher_proj=dict(type='mmkd.GAPLinearConnector', in_channels=512, out_channels=adaptation_channels)),
        distill_losses=dict(
            loss_adaptation=dict(type='L2Loss', normalize=False, div_element=True, loss_weight=1e4)),
        loss_forward_mappings=dict(
            loss_adaptation=dict(
                s_feature=dict(from_student=True, recorder='encoder_feat', connector='student_proj'),
                t_feature=dict(from_student=False, recorder='encoder_feat', connector='teacher_proj')))))
