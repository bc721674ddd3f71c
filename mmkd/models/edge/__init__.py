# Copyright (c) mmkd contributors. All rights reserved.
from .vgg16 import EdgeVGG16, VGG16_STAGES, vgg16_conv_state_dict_keys

__all__ = ['EdgeVGG16', 'VGG16_STAGES', 'vgg16_conv_state_dict_keys']
