# The distillation algorithm every segmentation pair base shares: mmkd's checked version of mmrazor's
# SingleTeacherDistill with a ConfigurableDistiller carrying the shared recorders (./seg_kd_recorders.py).
# A pair base adds the models and the teacher checkpoint:
#   model = dict(_base_.distill_algorithm, _delete_=True, architecture=dict(cfg_path=..., pretrained=False),
#                teacher=dict(cfg_path=..., pretrained=False), teacher_ckpt=...)
# and a method base adds the losses. `custom_imports = dict(imports=['mmkd'])` comes with the pair base (or its
# dataset base): mmengine refuses the same key in two bases.
_base_ = ['./seg_kd_recorders.py']
distill_algorithm = dict(
    _scope_='mmrazor',
    type='mmkd.CheckedSingleTeacherDistill',
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=_base_.student_recorders,
        teacher_recorders=_base_.teacher_recorders))
# The frozen teacher's parameters take no gradient.
find_unused_parameters = True
