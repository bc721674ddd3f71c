# Copyright (c) mmkd contributors. All rights reserved.
from .hed import HED, HED_BACKBONE
from .vgg16 import EdgeVGG16, VGG16_STAGES, vgg16_conv_state_dict_keys

__all__ = ['HED', 'HED_BACKBONE', 'EdgeVGG16', 'VGG16_STAGES', 'vgg16_conv_state_dict_keys']
