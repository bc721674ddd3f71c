# Copyright (c) mmkd contributors. All rights reserved.
from .side_output_lr_mult_constructor import SideOutputLrMultOptimWrapperConstructor

__all__ = ['SideOutputLrMultOptimWrapperConstructor']
