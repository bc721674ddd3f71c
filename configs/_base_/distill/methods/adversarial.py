# The holistic (adversarial) term shared by SKDS and IFVD (mmkd.AdversarialSingleTeacherDistill): a SAGAN-style
# discriminator D (spectral-norm 4x4 stride-2 convs 64-128-256-512, LeakyReLU 0.1, self-attention after the 3rd and
# 4th, input BatchNorm) learns to tell teacher logits from student logits; WGAN-GP (lambda_gp 10), D loss x 0.1,
# student (generator) term x 0.001 (CIRKD's scripts); D has its own optimiser, Adam lr 4e-4, betas (0.9, 0.99), at a
# constant learning rate, and the student keeps its row's SGD and schedule.
# D scores the logits resized to the network input (discriminator_input_size='input'): CIRKD's setting (its models
# return input-resolution logits). It is also what Pascal Context at 480x480 needs: 1/8-resolution logits are 60x60
# there, below D's 64-pixel minimum. A method row assembles the algorithm with its pair base, see skds.py / ifvd.py.
adversarial_algorithm = dict(
    type='mmkd.AdversarialSingleTeacherDistill',
    adversarial_loss=dict(
        type='mmkd.AdversarialKDLoss', adv_type='wgan-gp', generator_weight=0.001, discriminator_weight=0.1,
        gp_weight=10.0),
    student_logits_recorder='logits',
    teacher_logits_recorder='logits',
    discriminator_input_size='input')
discriminator = dict(type='mmkd.SKDSDiscriminator', base_channels=64)  # in_channels = the pair's num_classes
# optim_wrapper without the student's wrapper (`architecture`, the row's own optim_wrapper) and the
# `_delete_` that replaces the row's single wrapper; mmrazor's constructor builds one wrapper per submodule.
adversarial_optim_wrapper = dict(
    constructor='mmrazor.SeparateOptimWrapperConstructor',
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=4e-4, betas=(0.9, 0.99))))
# Distributed runs: the algorithm drives its own two steps, which MMSeparateDistributedDataParallel delegates to it.
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=True)
