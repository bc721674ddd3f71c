# The distillation algorithm of the SOLOv2 pairs (BPKD supplementary Table 4): mmkd's checked version of mmrazor's
# SingleTeacherDistill with a ConfigurableDistiller (mmkd.MultiTermDistiller: a dict-valued loss such as
# mmkd.BPKDLoss is logged per term, <name>_edge / <name>_body) whose recorders take the arguments of both heads'
# SOLOV2Head.loss_by_feat, and with `self` (the head) first: mmkd.BoundMethodInputs records
# [head, mlvl_kernel_preds, mlvl_cls_preds, mask_feats, batch_gt_instances, batch_img_metas].
# A pair base adds the models and the teacher checkpoint (as ./seg_kd_algorithm.py); a row adds losses of type
# mmkd.SOLOv2InstanceMaskDistillLoss with `loss_forward_mappings` = `solov2_mask_kd_inputs` below.
head_loss_inputs = dict(type='mmkd.BoundMethodInputs', source='mmdet.models.dense_heads.SOLOV2Head.loss_by_feat')
distill_algorithm = dict(
    _scope_='mmrazor',
    type='mmkd.CheckedSingleTeacherDistill',
    distiller=dict(
        type='mmkd.MultiTermDistiller',
        student_recorders=dict(head_loss_inputs=head_loss_inputs),
        teacher_recorders=dict(head_loss_inputs=head_loss_inputs)))
# Inputs of mmkd.SOLOv2InstanceMaskDistillLoss: the student's head (its own GT-to-grid assignment picks the cells),
# kernels, mask features and GT instances; the teacher's kernels and mask features.
solov2_mask_kd_inputs = dict(
    head_S=dict(from_student=True, recorder='head_loss_inputs', data_idx=0),
    kernel_preds_S=dict(from_student=True, recorder='head_loss_inputs', data_idx=1),
    mask_feats_S=dict(from_student=True, recorder='head_loss_inputs', data_idx=3),
    batch_gt_instances=dict(from_student=True, recorder='head_loss_inputs', data_idx=4),
    kernel_preds_T=dict(from_student=False, recorder='head_loss_inputs', data_idx=1),
    mask_feats_T=dict(from_student=False, recorder='head_loss_inputs', data_idx=3))
# The frozen teacher's parameters take no gradient.
find_unused_parameters = True
