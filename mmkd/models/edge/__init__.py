# Copyright (c) mmkd contributors. All rights reserved.
from .edge_decoder import EdgeDecoderBlock, EdgeSkipDecoder
from .edge_detector import EdgeDetector
from .hed import HED
from .mobilenetv2_edge_encoder import MobileNetV2EdgeEncoder
from .mobilenetv2_edge_net import MobileNetV2EdgeNet
from .rcf import RCF
from .sem import ScaleEnhancementModule
from .vgg16 import VGG16_STAGES, EdgeVGG16, vgg16_conv_state_dict_keys

__all__ = [
    'EdgeDecoderBlock', 'EdgeSkipDecoder', 'EdgeDetector', 'MobileNetV2EdgeEncoder', 'MobileNetV2EdgeNet', 'RCF',
    'ScaleEnhancementModule', 'HED', 'EdgeVGG16', 'VGG16_STAGES', 'vgg16_conv_state_dict_keys'
]
