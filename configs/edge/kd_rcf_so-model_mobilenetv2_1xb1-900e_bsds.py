# Row "SO Model + Hinton KD from RCF" (Exp. 2 of the 2020 article "Accuracy and runtime tradeoff in modern edge
# detection algorithms": ODS 0.7754):
#   loss = sum over the 6 student outputs of the weighted BCE with the GT + MSE(sigmoid(student final),
#          sigmoid(teacher final)), summed over the image's pixels like the BCE (mmkd.EdgeKDLoss; target='logits'
#          for logits). Padded pixels (label 255) count in neither: the KD term gets the student's valid-pixel mask
#          through a MethodOutputs recorder on EdgeDetector.valid_pixel_mask.
# mmrazor's SingleTeacherDistill + ConfigurableDistiller; recorders on the whole edge networks (their list of
# outputs; the loss takes the last, the fused/final map). Teacher and student share the data_preprocessor (BGR
# minus the BSDS mean, unscaled: RCF's normalisation), so the teacher sees exactly its own input.
_base_ = ['./so-model_mobilenetv2_1xb1-900e_bsds.py']
model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='mmkd.CheckedSingleTeacherDistill',
    architecture=dict(cfg_path='mmkd::edge/so-model_mobilenetv2_1xb1-900e_bsds.py', pretrained=False),
    teacher=dict(cfg_path='mmkd::edge/rcf_vgg16_1xb1-900e_bsds.py', pretrained=False),
    teacher_ckpt='work_dirs/rcf_vgg16_1xb1-900e_bsds/epoch_900.pth',
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
# the frozen teacher's parameters take no gradient
find_unused_parameters = True
