# Copyright (c) mmkd contributors. All rights reserved.
import functools
from typing import Callable, List

from mmrazor.models.task_modules.recorder import MethodInputsRecorder

from mmkd.registry import TASK_UTILS


@TASK_UTILS.register_module()
class BoundMethodInputsRecorder(MethodInputsRecorder):
    """mmrazor's ``MethodInputsRecorder`` that also records the object the method was called on.

    Each call records ``[self, *inputs]`` (inputs as mmrazor's recorder collects them: the positional arguments, then
    the keyword arguments named in the method's signature, in signature order), so ``data_idx=0`` is the module whose
    method ran and ``data_idx=i`` its i-th input. A loss that must redo part of a head's computation with that head's
    own settings (e.g. SOLOv2's GT-to-grid assignment, :class:`mmkd.SOLOv2InstanceMaskDistillLoss`) gets the head
    and its inputs from one consistent record, without copying the head's parameters into the config.

    As with mmrazor's method recorders, the method is patched on its class only while the recorder's context is open
    (the distiller opens the student's and the teacher's recorders around their own forward), so a teacher and a
    student of the same head class are recorded apart. In a config: ``dict(type='mmkd.BoundMethodInputs',
    source='mmdet.models.dense_heads.SOLOV2Head.loss_by_feat')``.

    Args:
        source (str): ``'package.module.Class.method'``.
    """

    def method_record_wrapper(self, orgin_method: Callable, data_buffer: List) -> Callable:
        """Wrap ``orgin_method`` so that each call appends ``[self, *inputs]`` to ``data_buffer``."""
        inputs_wrapper = super().method_record_wrapper(orgin_method, data_buffer)

        @functools.wraps(orgin_method)
        def wrap_method(*args, **kwargs):
            outputs = inputs_wrapper(*args, **kwargs)
            data_buffer[-1].insert(0, args[0])
            return outputs

        return wrap_method
