# Copyright (c) mmkd contributors. All rights reserved.
from .bound_method_inputs_recorder import BoundMethodInputsRecorder

__all__ = ['BoundMethodInputsRecorder']
