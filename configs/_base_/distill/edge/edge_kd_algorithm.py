# The distillation algorithm the edge KD rows share (configs/edge/kd_*.py, ka_*.py): mmkd's checked version of
# mmrazor's SingleTeacherDistill with a ConfigurableDistiller, and the teacher of the 2020 article "Accuracy and
# runtime tradeoff in modern edge detection algorithms" (Exp. 2, 3): the BSDS500-trained RCF of
# configs/edge/rcf_vgg16_1xb1-900e_bsds.py, its checkpoint where tools/train.py writes it. A row adds the student and
# its distiller (recorders, connectors, losses, mappings):
#   _base_ = ['./<student row>.py', '../_base_/distill/edge/edge_kd_algorithm.py']
#   model = dict(_base_.distill_algorithm, _delete_=True, architecture=dict(cfg_path=..., pretrained=False),
#                distiller=dict(type='ConfigurableDistiller', ...))
# (`_delete_`: the distillation model replaces the student row's model.) The distiller is the row's, whole: its
# recorders, connectors and losses are the method (KD on the outputs, knowledge adaptation on encoder features),
# and `dict(_base_.distill_algorithm, distiller=...)` replaces a nested dict rather than merging it.
# Teacher and student share the student row's data_preprocessor (BGR minus the BSDS mean, unscaled: RCF's
# normalisation), so the teacher sees exactly its own input.
distill_algorithm = dict(
    _scope_='mmrazor',
    type='mmkd.CheckedSingleTeacherDistill',
    teacher=dict(cfg_path='mmkd::edge/rcf_vgg16_1xb1-900e_bsds.py', pretrained=False),
    teacher_ckpt='work_dirs/rcf_vgg16_1xb1-900e_bsds/epoch_900.pth')
# The frozen teacher's parameters take no gradient.
find_unused_parameters = True
