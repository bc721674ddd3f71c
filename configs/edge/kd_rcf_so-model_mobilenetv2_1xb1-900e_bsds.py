# Row "SO Model + Hinton KD from RCF" (Exp. 2 of the 2020 article "Accuracy and runtime tradeoff in modern edge
# detection algorithms": ODS 0.7754):
#   loss = sum over the 6 student outputs of the weighted BCE with the GT + MSE(sigmoid(student final),
#          sigmoid(teacher final)), summed over the image's pixels like the BCE (mmkd.EdgeKDLoss; target='logits'
#          for logits). Padded pixels (label 255) count in neither: the KD term gets the student's valid-pixel mask
#          through a MethodOutputs recorder on EdgeDetector.valid_pixel_mask.
# Recorders on the whole edge networks (their list of outputs; the loss takes the last, the fused/final map). The
# algorithm, the RCF teacher and its checkpoint: ../_base_/distill/edge/edge_kd_algorithm.py.
_base_ = ['./so-model_mobilenetv2_1xb1-900e_bsds.py', '../_base_/distill/edge/edge_kd_algorithm.py']
model = dict(
    _base_.distill_algorithm,
    _delete_=True,
    architecture=dict(cfg_path='mmkd::edge/so-model_mobilenetv2_1xb1-900e_bsds.py', pretrained=False),
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            outputs=dict(type='ModuleOutputs', source='network'),
            valid_mask=dict(type='MethodOutputs',
                            source='mmkd.models.edge.edge_detector.EdgeDetector.valid_pixel_mask')),
        teacher_recorders=dict(outputs=dict(type='ModuleOutputs', source='network')),
        distill_losses=dict(
            loss_kd=dict(type='mmkd.EdgeKDLoss', target='probability', reduction='sum', loss_weight=1.0)),
        loss_forward_mappings=dict(
            loss_kd=dict(
                preds_S=dict(from_student=True, recorder='outputs'),
                preds_T=dict(from_student=False, recorder='outputs'),
                valid_mask=dict(from_student=True, recorder='valid_mask')))))
