# Copyright (c) mmkd contributors. All rights reserved.
"""EdgeDetector: the mmengine model that wraps an edge network, its loss and test-time output."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from torch import Tensor

from mmkd.registry import MODELS


@MODELS.register_module()
class EdgeDetector(BaseModel):
    """Edge "segmentor": network + per-output loss + test-time probability maps, driven by tools/train.py/test.py.

    The network (:class:`RCF`, :class:`HED`, :class:`MobileNetV2EdgeNet`, ...) maps images [N, 3, H, W] to a list of
    logit maps [N, 1, H, W], side outputs first and the fused/final output last.

    - ``mode='loss'``: one entry per output, ``loss_side{k}`` for the side outputs and ``loss_fuse`` for the last,
      each ``output_weights[k] * loss_edge(output_k, gt)``; mmengine sums every ``loss*`` entry, so the training loss
      is the (weighted) sum over outputs (equal weights 1 by default, as in HED/RCF and the SO Model of
      the 2020 article "Accuracy and runtime tradeoff in modern edge detection algorithms").
      Ground truth: ``data_sample.gt_edge_map.data`` [1, H, W] in [0, 1] (padding = 255, ignored by the loss).
    - ``mode='predict'``: ``pred_edge_map = PixelData(data=[1, h, w])``, the sigmoid of the final output cropped to the
      un-padded image (``img_shape``) and resized to ``ori_shape`` if a transform resized the image. With
      ``test_cfg=dict(scales=(0.5, 1.0, 1.5))`` the probability maps of the rescaled inputs are averaged (RCF's
      multi-scale test).
    - ``mode='tensor'``: the list of logit maps.

    **Deploy mode** (``deploy=True`` in the config, ``tools/test.py --deploy``, or :meth:`switch_to_deploy` /
    :func:`mmkd.deploy.deploy_model`): the network's algebraically equal re-orderings (its ``switch_to_deploy``,
    e.g. the students' final 1×1 conv before the last upsampling, RCF's composed side convs), BatchNorm folded into
    the preceding convs (mmcv's ``fuse_conv_bn``), weights and inputs in ``channels_last`` and the forward under
    ``torch.inference_mode``. Irreversible and inference only ('loss' mode raises). With ``deploy=True`` the switch
    happens at the first 'predict'/'tensor' call in eval mode, i.e. after the runner has loaded the checkpoint
    (folded weights would not load a plain checkpoint).

    Args:
        network (dict): Config of the edge network (must expose ``num_outputs``).
        loss_edge (dict): Loss applied to every output. Defaults to ``dict(type='mmkd.WeightedEdgeBCELoss')``.
        data_preprocessor (dict): Required (None raises): every edge model's is ``data_preprocessor`` of
            ``configs/_base_/models/edge_data_preprocessor.py`` (BGR minus the BSDS mean, no scaling, pad to a
            multiple of 32), its only definition; mmengine's default would silently skip the normalisation.
        output_weights (Sequence[float], optional): Loss weight of each output. Defaults to None (all 1).
        test_cfg (dict, optional): ``scales`` (Sequence[float]) for multi-scale testing. Defaults to None (1.0).
        deploy (bool): Switch to deploy mode at the first inference call in eval mode. Defaults to False.
        init_cfg (dict | list[dict], optional): mmengine init config. Defaults to None.
    """

    #: one predicted class (edge); lets mmkd's distillation checks compare teacher and student as for segmentors
    num_classes = 1

    def __init__(self,
                 network: Dict,
                 loss_edge: Dict = dict(type='mmkd.WeightedEdgeBCELoss'),
                 data_preprocessor: Optional[Dict] = None,
                 output_weights: Optional[Sequence[float]] = None,
                 test_cfg: Optional[Dict] = None,
                 deploy: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            raise ValueError('EdgeDetector: data_preprocessor is required; the edge models\' is data_preprocessor of '
                             'configs/_base_/models/edge_data_preprocessor.py (BGR minus the BSDS mean)')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.network = MODELS.build(network)
        num_outputs = getattr(self.network, 'num_outputs', None)
        if not isinstance(num_outputs, int) or num_outputs < 1:
            raise ValueError(f'EdgeDetector: network {network.get("type")} must expose num_outputs (>= 1)')
        self.loss_edge = MODELS.build(loss_edge)
        if output_weights is None:
            output_weights = [1.0] * num_outputs
        if len(output_weights) != num_outputs:
            raise ValueError(f'EdgeDetector: output_weights has {len(output_weights)} entries but the network '
                             f'{network.get("type")} has {num_outputs} outputs')
        self.output_weights = [float(w) for w in output_weights]
        self.test_cfg = dict(test_cfg or {})
        scales = self.test_cfg.get('scales', (1.0, ))
        if not scales or any(s <= 0 for s in scales):
            raise ValueError(f'EdgeDetector: test_cfg.scales must be positive numbers, got {scales!r}')
        self.scales = tuple(float(s) for s in scales)
        self.deploy = bool(deploy)
        self.deployed = False

    def switch_to_deploy(self) -> 'EdgeDetector':
        """Re-order (network's ``switch_to_deploy``), fold BN, ``channels_last``, eval; irreversible. Returns self."""
        if self.deployed:
            return self
        from mmkd.deploy.deploy_mode import fold_bn_channels_last  # lazy: mmkd.deploy imports the models
        self.eval()
        if hasattr(self.network, 'switch_to_deploy'):
            self.network.switch_to_deploy()
        fold_bn_channels_last(self.network)
        self.deploy = self.deployed = True
        return self

    def _maybe_deploy(self) -> None:
        if self.deploy and not self.deployed and not self.training:
            self.switch_to_deploy()

    def run_network(self, inputs: Tensor) -> List[Tensor]:
        """The network's logit maps; in deploy mode with ``channels_last`` inputs under ``inference_mode``."""
        self._maybe_deploy()
        if not self.deployed:
            return self.network(inputs)
        with torch.inference_mode():
            return self.network(inputs.contiguous(memory_format=torch.channels_last))

    def valid_pixel_mask(self, target: Tensor) -> Tensor:
        """Pixels of the image, not of the padding: ``target != ignore_index`` (255), [N, 1, H, W] bool.

        Computed in 'loss' mode, so an mmrazor ``MethodOutputs`` recorder on
        ``mmkd.models.edge.edge_detector.EdgeDetector.valid_pixel_mask`` hands the mask to a distillation loss
        (:class:`EdgeKDLoss`'s ``valid_mask``) without any state shared between losses.
        """
        return target != float(getattr(self.loss_edge, 'ignore_index', 255))

    @property
    def num_outputs(self) -> int:
        return self.network.num_outputs

    def output_names(self) -> List[str]:
        """Loss keys: ``loss_side1`` … then ``loss_fuse`` (the final output)."""
        return [f'loss_side{k + 1}' for k in range(self.num_outputs - 1)] + ['loss_fuse']

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list, List[Tensor]]:
        """Run in one of mmengine's modes.

        Args:
            inputs (Tensor): Preprocessed images [N, 3, H, W].
            data_samples (list, optional): mmseg ``SegDataSample``s (``gt_edge_map`` for 'loss').
            mode (str): 'loss' (dict of losses), 'predict' (data samples with ``pred_edge_map``) or 'tensor'
                (list of logits [N, 1, H, W], final last).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.run_network(inputs)
        raise ValueError(f'EdgeDetector: invalid mode {mode!r}; use "loss", "predict" or "tensor"')

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Per-output losses against ``gt_edge_map`` [N, 1, H, W]."""
        if self.deployed:
            raise RuntimeError('EdgeDetector: deploy mode (BN folded, re-ordered layers) is inference only; build '
                               'the model again without deploy=True to train it')
        if not data_samples or any('gt_edge_map' not in s for s in data_samples):
            raise ValueError('EdgeDetector.loss needs data samples with gt_edge_map (use PackEdgeInputs)')
        target = torch.stack([s.gt_edge_map.data for s in data_samples]).to(inputs.device, torch.float32)
        self.valid_pixel_mask(target)  # for a recorder (see valid_pixel_mask); the loss masks by itself
        outputs = self.network(inputs)
        if target.shape[-2:] != outputs[-1].shape[-2:]:
            raise ValueError(f'EdgeDetector: gt_edge_map {tuple(target.shape[-2:])} and network output '
                             f'{tuple(outputs[-1].shape[-2:])} differ in size')
        return {name: weight * self.loss_edge(output, target)
                for name, weight, output in zip(self.output_names(), self.output_weights, outputs)}

    def predict_probability(self, inputs: Tensor) -> Tensor:
        """Sigmoid of the final output [N, 1, H, W], averaged over ``test_cfg.scales``.

        The forward runs under ``torch.inference_mode`` (no autograd bookkeeping, no version counters); the result is
        cloned out of it (one [N, 1, H, W] copy) so callers may modify it in place.
        """
        size = inputs.shape[-2:]
        probs = []
        with torch.inference_mode():
            for scale in self.scales:
                scaled = inputs if scale == 1.0 else F.interpolate(
                    inputs, scale_factor=scale, mode='bilinear', align_corners=False)
                final = self.run_network(scaled)[-1]
                if final.shape[-2:] != size:
                    final = F.interpolate(final, size=size, mode='bilinear', align_corners=False)
                probs.append(torch.sigmoid(final))
            prob = torch.stack(probs).mean(0)
        return prob.clone()

    def predict(self, inputs: Tensor, data_samples: Optional[list] = None) -> list:
        """``pred_edge_map`` (probabilities [1, h, w]) on every data sample."""
        probs = self.predict_probability(inputs)
        if data_samples is None:
            data_samples = [SegDataSample(metainfo=dict(img_shape=tuple(inputs.shape[-2:]))) for _ in inputs]
        for prob, sample in zip(probs, data_samples):
            h, w = sample.metainfo.get('img_shape', prob.shape[-2:])[:2]
            prob = prob[:, :h, :w]
            ori_shape = sample.metainfo.get('ori_shape', (h, w))[:2]
            if tuple(ori_shape) != (h, w):
                prob = F.interpolate(prob[None], size=tuple(ori_shape), mode='bilinear', align_corners=False)[0]
            sample.set_data(dict(pred_edge_map=PixelData(data=prob)))
        return data_samples


__all__ = ['EdgeDetector']
