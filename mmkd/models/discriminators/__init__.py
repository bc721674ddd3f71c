# Copyright (c) mmkd contributors. All rights reserved.
from .self_attention import SAGANSelfAttention
from .skds_discriminator import SKDSDiscriminator

__all__ = ['SAGANSelfAttention', 'SKDSDiscriminator']
