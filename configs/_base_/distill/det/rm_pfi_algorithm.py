# The detection distillation algorithm every detection pair base shares (RM + PFI: Li et al., AAAI 2022):
# mmkd.DenseDetectorDistill runs the frozen teacher's backbone, neck and head under no_grad, the student with its own
# loss, and mmkd.DenseDetectionDistiller's losses on FPN features, head outputs and the student head's positives.
# A pair base adds the models and the teacher checkpoint:
#   model = dict(_base_.distill_algorithm, _delete_=True, architecture=dict(cfg_path=..., pretrained=False),
#                teacher=dict(cfg_path=..., pretrained=False), teacher_ckpt=...)
# and a row picks its losses from ./rm_pfi_losses.py:
#   model = dict(distiller=dict(distill_losses=dict(loss_rm=_base_.loss_rm, loss_pfi=_base_.loss_pfi)))
_base_ = ['./rm_pfi_losses.py']
distill_algorithm = dict(
    type='mmkd.DenseDetectorDistill',
    distiller=dict(type='mmkd.DenseDetectionDistiller', distill_losses=dict()))
# The frozen teacher's parameters take no gradient.
find_unused_parameters = True
