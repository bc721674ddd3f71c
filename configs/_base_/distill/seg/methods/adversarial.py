# The holistic (adversarial) term shared by SKDS and IFVD (mmkd.AdversarialSingleTeacherDistill): a SAGAN-style
# discriminator D (spectral-norm 4x4 stride-2 convs 64-128-256-512, LeakyReLU 0.1, self-attention after the 3rd and
# 4th, input BatchNorm) learns to tell teacher logits from student logits, with its own optimiser; the student keeps
# its row's SGD and schedule. The adversarial loss weights and D's optimiser are the method's (skds.py, ifvd.py: each
# follows its own official code and names it).
# D scores the decode heads' logits at their own resolution, 1/8 of the input (discriminator_input_size=None), as
# the released SKDS, IFVD and CIRKD code all do. Only a map smaller than D's 64-pixel minimum is enlarged
# (discriminator_min_input_size=64, aspect ratio kept): Pascal Context's 480x480 crops give 60x60 logits -> 64x64;
# the 512-pixel crops' 64x64 and 64x128 logits are scored as they are.
# A row (configs/skds/, configs/ifvd/) is
#   model = dict(_base_.adversarial_algorithm, distiller=_base_.distiller)
#   optim_wrapper = dict(_base_.adversarial_optim_wrapper, _delete_=True, architecture=_base_.optim_wrapper)
#   param_scheduler = dict(_delete_=True, architecture=_base_.param_scheduler,
#                          discriminator=[dict(_base_.discriminator_scheduler, end=_base_.train_cfg.max_iters)])
adversarial_algorithm = dict(
    type='mmkd.AdversarialSingleTeacherDistill',
    # in_channels: the student's class count, read from the built student
    discriminator=dict(type='mmkd.SKDSDiscriminator', in_channels='@student.num_classes', base_channels=64),
    student_logits_recorder='logits',
    teacher_logits_recorder='logits',
    discriminator_input_size=None,
    discriminator_min_input_size=64)
# The student's wrapper (`architecture`) is the row's own optim_wrapper; mmrazor's constructor builds one wrapper per
# submodule. The method base adds `discriminator=dict(type='OptimWrapper', optimizer=...)`.
adversarial_optim_wrapper = dict(constructor='mmrazor.SeparateOptimWrapperConstructor')
# D's learning rate decays as the released SKDS and IFVD code's lr_poly(base, iter, max_iter, 0.9) (to 0 at the end);
# the row adds end=train_cfg.max_iters.
discriminator_scheduler = dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, by_epoch=False)
# Distributed runs: the algorithm drives its own two steps, which MMSeparateDistributedDataParallel delegates to it.
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=True)
