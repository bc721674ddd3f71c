# Demo distillation: channel-wise distillation (Shu et al., ICCV 2021) on the decode-head logits, teacher PSPNet-R18
# at width 32 -> student at width 16, through mmrazor's SingleTeacherDistill + ConfigurableDistiller.
# tau=1 and loss_weight=5 as in mmrazor's CWD Cityscapes config.
_base_ = [
    '../_base_/datasets/synthetic_city.py', 'mmseg::_base_/default_runtime.py', '../_base_/schedules/schedule_demo.py'
]
custom_imports = dict(imports=['mmkd'], allow_failed_imports=False)

teacher_ckpt = 'work_dirs/demo/teacher/iter_600.pth'
model = dict(
    _scope_='mmrazor',
    type='mmkd.CheckedSingleTeacherDistill',
    architecture=dict(cfg_path='mmkd::demo/pspnet_r18-w16-d8_1xb4-600i_synthcity-128x256.py', pretrained=False),
    teacher=dict(cfg_path='mmkd::demo/pspnet_r18-w32-d8_1xb4-600i_synthcity-128x256.py', pretrained=False),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(logits=dict(type='ModuleOutputs', source='decode_head.conv_seg')),
        teacher_recorders=dict(logits=dict(type='ModuleOutputs', source='decode_head.conv_seg')),
        distill_losses=dict(loss_cwd=dict(type='ChannelWiseDivergence', tau=1, loss_weight=5)),
        loss_forward_mappings=dict(
            loss_cwd=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')))))
# The frozen teacher's parameters take no gradient.
find_unused_parameters = True
