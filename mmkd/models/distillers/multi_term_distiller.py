# Copyright (c) mmkd contributors. All rights reserved.
from typing import Dict

from mmrazor.models.distillers import ConfigurableDistiller
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class MultiTermDistiller(ConfigurableDistiller):
    """mmrazor's ``ConfigurableDistiller`` for losses that return several named terms.

    mmengine's ``parse_losses`` takes one tensor (or a list, summed into one log entry) per key, so a loss with
    several terms (e.g. :class:`mmkd.BPKDLoss`: ``edge`` and ``body``, computed from one mask) would be logged as
    one number. Here a loss may return ``dict[str, Tensor]``; each term becomes its own entry
    ``<loss name>_<term>`` (``loss_bpkd`` → ``loss_bpkd_edge``, ``loss_bpkd_body``), so the terms are logged
    separately and all still count in the total (their names contain ``loss``). Tensor-valued losses pass
    through unchanged. Everything else (recorders, connectors, ``loss_forward_mappings``) is
    ``ConfigurableDistiller``'s; all arguments are its arguments.
    """

    def compute_distill_losses(self) -> Dict[str, Tensor]:
        """The losses of ``ConfigurableDistiller``, with dict-valued losses flattened to one entry per term."""
        flat: Dict[str, Tensor] = {}
        for loss_name, value in super().compute_distill_losses().items():
            terms = value.items() if isinstance(value, dict) else [(None, value)]
            for term, tensor in terms:
                key = loss_name if term is None else f'{loss_name}_{term}'
                if key in flat:
                    raise KeyError(f'MultiTermDistiller: the log entry {key!r} is produced twice (by loss '
                                   f'{loss_name!r} and another loss or term); rename one of the distill_losses.')
                flat[key] = tensor
        return flat
