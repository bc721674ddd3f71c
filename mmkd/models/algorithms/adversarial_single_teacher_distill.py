# Copyright (c) mmkd contributors. All rights reserved.
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmrazor.models.utils import add_prefix
from torch import Tensor, nn

from mmkd.registry import MODELS
from .checked_single_teacher_distill import CheckedSingleTeacherDistill


@contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Temporarily stop ``module``'s parameters from taking gradients (their flags are restored on exit)."""
    flags = [(param, param.requires_grad) for param in module.parameters()]
    for param, _ in flags:
        param.requires_grad_(False)
    try:
        yield
    finally:
        for param, flag in flags:
            param.requires_grad_(flag)


@MODELS.register_module()
class AdversarialSingleTeacherDistill(CheckedSingleTeacherDistill):
    """Single-teacher distillation plus an adversarial (holistic) term trained with its own discriminator.

    Implements the training scheme of "Structured Knowledge Distillation for Semantic Segmentation" (Liu et al.,
    CVPR 2019): the student is a generator, a discriminator D learns to tell the teacher's segmentation score maps
    ("real") from the student's ("fake"), and the student is also trained to fool D. The pixel-wise and pair-wise
    terms (or any other) are ordinary distillation losses of the ``distiller`` (recorders + ``loss_forward_mappings``,
    as in :class:`CheckedSingleTeacherDistill`); this class adds D, its loss and its update.

    One :meth:`train_step` (the order of the released code):

    1. student step, with ``optim_wrapper['architecture']``: teacher forward without gradient, student task loss,
       distiller losses, and the generator term ``adversarial_loss(D(Z^s))`` on the student logits read from the
       distiller's student recorder ``student_logits_recorder``. D's parameters are frozen meanwhile, so none of the
       student's loss reaches them;
    2. discriminator step, with ``optim_wrapper['discriminator']``: ``adversarial_loss.discriminator_losses`` on the
       detached teacher logits (real, from ``teacher_logits_recorder``) and the detached student logits (fake).

    What D sees: the raw logits (D's input BatchNorm rescales them), as in the released SKDS, IFVD and CIRKD code,
    which all feed D the decode head's logits alone, un-upsampled (1/8 of the input for their models), without
    softmax or image. Both maps are resized (bilinear, ``align_corners=False``) to ``discriminator_input_size``: None
    keeps the student's logit size (the released codes' setting), ``'input'`` takes the network input size (64× the
    pixels of 1/8 logits; no released code does this), a pair (h, w) a fixed size. ``discriminator_min_input_size``
    then enlarges only maps too small for D (:class:`~mmkd.models.discriminators.SKDSDiscriminator` needs 64 pixels a
    side): a map whose shorter side s is below m is scaled by m / s, both sides rounded up, keeping its aspect ratio
    (Pascal Context's 480×480 crops give 60×60 logits → 64×64; 512-pixel crops' 64×64 or 64×128 stay as they are).
    With ``condition_on_image=True`` the normalised input image, resized likewise, is concatenated to the maps (the
    conditional form the paper describes; D then needs ``in_channels = classes + 3``).

    The optimiser config must build an :class:`~mmengine.optim.OptimWrapperDict` with keys ``architecture`` (the
    student; mmrazor's ``SeparateOptimWrapperConstructor`` takes the submodule of that name) and ``discriminator``.
    A distiller with trainable parameters (connectors) is refused: no optimiser would update them. Under distributed
    training wrap the model with mmengine's ``MMSeparateDistributedDataParallel`` (this class drives its own steps).

    Log variables: those of the student step (``loss``, ``student.*``, ``distill.*``, ``distill.loss_adv``) and of the
    discriminator step prefixed ``disc.`` (``disc.loss``, ``disc.loss_d``, ``disc.loss_gp``).

    Args:
        distiller (dict): distiller config (e.g. mmrazor's ``ConfigurableDistiller``); it must record the logits.
        teacher (dict | BaseModel): teacher config or model.
        discriminator (dict): D config, e.g. ``dict(type='mmkd.SKDSDiscriminator', in_channels=19)``; model
            references (``in_channels='@student.num_classes'``) are resolved from the built models.
        adversarial_loss (dict): config of the adversarial losses. Defaults to
            ``dict(type='mmkd.AdversarialKDLoss')``.
        student_logits_recorder (str): name of the distiller's student recorder holding the logits [N, C, h, w].
            Defaults to ``'logits'``.
        teacher_logits_recorder (str): name of the teacher recorder holding the logits. Defaults to ``'logits'``.
        discriminator_input_size (None | str | Sequence[int]): spatial size of D's input: None (the student's logit
            size), ``'input'`` (the network input size) or (h, w). Defaults to None.
        discriminator_min_input_size (int, optional): shortest side D accepts; smaller maps are enlarged to it
            (aspect ratio kept), larger ones are left alone. None never resizes for size. Defaults to None.
        condition_on_image (bool): concatenate the input image to D's input. Defaults to False.
        teacher_ckpt (str, optional): teacher checkpoint. Defaults to None.
        **kwargs: the remaining ``CheckedSingleTeacherDistill`` arguments (``architecture``, ...).
    """

    STUDENT_KEY = 'architecture'
    DISCRIMINATOR_KEY = 'discriminator'

    def __init__(self,
                 distiller: dict,
                 teacher: Union[BaseModel, Dict],
                 discriminator: dict,
                 adversarial_loss: Optional[dict] = None,
                 student_logits_recorder: str = 'logits',
                 teacher_logits_recorder: str = 'logits',
                 discriminator_input_size: Optional[Union[str, Sequence[int]]] = None,
                 discriminator_min_input_size: Optional[int] = None,
                 condition_on_image: bool = False,
                 teacher_ckpt: Optional[str] = None,
                 **kwargs) -> None:
        if kwargs.get('teacher_trainable', False):
            raise ValueError('AdversarialSingleTeacherDistill does not support teacher_trainable=True: the optimiser '
                             'dict only updates the student and the discriminator.')
        if not (discriminator_input_size is None or discriminator_input_size == 'input' or
                (isinstance(discriminator_input_size, Sequence) and not isinstance(discriminator_input_size, str)
                 and len(discriminator_input_size) == 2 and all(int(s) > 0 for s in discriminator_input_size))):
            raise ValueError(f"discriminator_input_size must be None, 'input' or a positive (h, w), got "
                             f'{discriminator_input_size!r}.')
        if discriminator_min_input_size is not None and (not isinstance(discriminator_min_input_size, int)
                                                         or isinstance(discriminator_min_input_size, bool)
                                                         or discriminator_min_input_size < 1):
            raise ValueError(f'discriminator_min_input_size must be None or a positive int (e.g. 64, the shortest '
                             f'side SKDSDiscriminator accepts), got {discriminator_min_input_size!r}.')
        super().__init__(distiller=distiller, teacher=teacher, teacher_ckpt=teacher_ckpt, **kwargs)
        self._check_recorder(self.distiller.student_recorders, student_logits_recorder, 'student')
        self._check_recorder(self.distiller.teacher_recorders, teacher_logits_recorder, 'teacher')
        trainable = [name for name, param in self.distiller.named_parameters() if param.requires_grad]
        if trainable:
            raise ValueError(f'The distiller has trainable parameters ({", ".join(trainable[:3])}, ...) that neither '
                             f'optim_wrapper[{self.STUDENT_KEY!r}] nor optim_wrapper[{self.DISCRIMINATOR_KEY!r}] '
                             f'updates: AdversarialSingleTeacherDistill supports parameter-free distillers only.')
        self.discriminator = MODELS.build(self.resolve_model_references(discriminator, 'model.discriminator'))
        self.adversarial_loss = MODELS.build(adversarial_loss or dict(type='mmkd.AdversarialKDLoss'))
        self.student_logits_recorder = student_logits_recorder
        self.teacher_logits_recorder = teacher_logits_recorder
        self.discriminator_input_size = (
            tuple(int(s) for s in discriminator_input_size)
            if isinstance(discriminator_input_size, Sequence) and not isinstance(discriminator_input_size, str) else
            discriminator_input_size)
        self.discriminator_min_input_size = discriminator_min_input_size
        self.condition_on_image = condition_on_image

    @staticmethod
    def _check_recorder(recorders, name: str, side: str) -> None:
        if name not in recorders.recorders:
            raise ValueError(f'The distiller has no {side} recorder named {name!r} (it has '
                             f'{sorted(recorders.recorders)}); add one recording the logits, e.g. '
                             f"{name}=dict(type='ModuleOutputs', source='decode_head.conv_seg').")

    def _recorded_logits(self, from_student: bool) -> Tensor:
        name = self.student_logits_recorder if from_student else self.teacher_logits_recorder
        logits = self.distiller.get_record(recorder=name, from_student=from_student)
        if not isinstance(logits, Tensor) or logits.dim() != 4:
            side = 'student' if from_student else 'teacher'
            found = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
            raise ValueError(f'The {side} recorder {name!r} must hold logits [N, C, h, w], got {found}.')
        return logits

    def discriminator_inputs(self, logits_S: Tensor, logits_T: Tensor, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """What D scores for the student (fake) and the teacher (real): resized logits, optionally with the image.

        Args:
            logits_S (Tensor): student logits [N, C, h, w].
            logits_T (Tensor): teacher logits [N, C, h', w'].
            inputs (Tensor): the preprocessed network input [N, 3, H, W].

        Returns:
            tuple[Tensor, Tensor]: student and teacher maps [N, C (+3), h_D, w_D]; the teacher's is detached.
        """
        if self.discriminator_input_size is None:
            size = tuple(logits_S.shape[2:])
        elif self.discriminator_input_size == 'input':
            size = tuple(inputs.shape[2:])
        else:
            size = self.discriminator_input_size
        size = self.enlarged_to_min_size(size)
        logits_T = logits_T.detach()
        if tuple(logits_S.shape[2:]) != size:
            logits_S = F.interpolate(logits_S, size=size, mode='bilinear', align_corners=False)
        if tuple(logits_T.shape[2:]) != size:
            logits_T = F.interpolate(logits_T, size=size, mode='bilinear', align_corners=False)
        if self.condition_on_image:
            image = inputs if tuple(inputs.shape[2:]) == size else F.interpolate(
                inputs, size=size, mode='bilinear', align_corners=False)
            logits_S = torch.cat([logits_S, image], dim=1)
            logits_T = torch.cat([logits_T, image], dim=1)
        return logits_S, logits_T

    def enlarged_to_min_size(self, size: Tuple[int, int]) -> Tuple[int, int]:
        """``size`` (h, w) scaled up, aspect ratio kept, until its shorter side reaches
        ``discriminator_min_input_size``; unchanged if it already does (or no minimum is set).

        E.g. with a minimum of 64: (60, 60) → (64, 64), (60, 80) → (64, 86) (80·64/60 = 85.3, rounded up),
        (64, 128) and (97, 97) → unchanged.
        """
        minimum = self.discriminator_min_input_size
        shorter = min(size)
        if minimum is None or shorter >= minimum:
            return tuple(size)
        # integer ceil(side·minimum / shorter): no float rounding can push 60·64/60 to 65
        return tuple(-(-side * minimum // shorter) for side in size)

    def _optim_wrappers(self, optim_wrapper: OptimWrapper) -> Tuple[OptimWrapper, OptimWrapper]:
        keys = (self.STUDENT_KEY, self.DISCRIMINATOR_KEY)
        if not isinstance(optim_wrapper, OptimWrapperDict) or any(key not in optim_wrapper for key in keys):
            got = list(optim_wrapper.keys()) if isinstance(optim_wrapper, OptimWrapperDict) else type(
                optim_wrapper).__name__
            raise ValueError(
                f'AdversarialSingleTeacherDistill needs an OptimWrapperDict with keys {list(keys)}, got {got}. '
                f"Configure optim_wrapper=dict(constructor='mmrazor.SeparateOptimWrapperConstructor', "
                f'architecture=dict(type=\'OptimWrapper\', ...), discriminator=dict(type=\'OptimWrapper\', ...)).')
        return optim_wrapper[self.STUDENT_KEY], optim_wrapper[self.DISCRIMINATOR_KEY]

    def train_step(self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One student step then one discriminator step (see the class docstring).

        Args:
            data (dict | tuple | list): a batch from the dataloader.
            optim_wrapper (OptimWrapperDict): wrappers ``architecture`` and ``discriminator``.

        Returns:
            dict[str, Tensor]: log variables of both steps.
        """
        student_wrapper, discriminator_wrapper = self._optim_wrappers(optim_wrapper)
        adversarial = not self.distillation_stopped

        with student_wrapper.optim_context(self.student):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
            if adversarial:
                fake, real = self.discriminator_inputs(
                    self._recorded_logits(from_student=True), self._recorded_logits(from_student=False),
                    data['inputs'])
                with frozen(self.discriminator):
                    losses['distill.loss_adv'] = self.adversarial_loss.generator_loss(self.discriminator(fake))
        parsed_losses, log_vars = self.parse_losses(losses)
        student_wrapper.update_params(parsed_losses)

        if adversarial:
            with discriminator_wrapper.optim_context(self.discriminator):
                discriminator_losses = self.adversarial_loss.discriminator_losses(
                    self.discriminator, inputs_real=real.detach(), inputs_fake=fake.detach())
            parsed_discriminator_losses, discriminator_log_vars = self.parse_losses(discriminator_losses)
            discriminator_wrapper.update_params(parsed_discriminator_losses)
            log_vars.update(add_prefix(discriminator_log_vars, 'disc'))
        return log_vars
