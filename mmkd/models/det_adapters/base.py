# Copyright (c) mmkd contributors. All rights reserved.
"""What every dense-head adapter shares: the positive-assignment record, flattening of level outputs, prior
geometry and the position masks built from them.

Index convention (mmdet's): the priors of one image are concatenated over FPN levels, and inside a level ordered
(H, W, A) — the order of ``prior_generator.grid_priors`` and of ``score.permute(0, 2, 3, 1).reshape(N, -1, k)``.
"""
import inspect
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmkd.models.utils.optional_mmdet import require_mmdet


class PositiveAssignment(NamedTuple):
    """The positives (and negatives) of one image.

    Attributes:
        pos_inds (Tensor): long [P], indices into the image's level-concatenated (H, W, A) priors.
        pos_gt_inds (Tensor): long [P], index of the GT instance each positive is assigned to.
        neg_inds (Tensor, optional): long [Q], the priors the assigner made background. Priors it ignored (between
            the IoU thresholds, overlapping ignored GT) or never assigned (invalid: outside the padded image) are in
            neither list. Defaults to None (an adapter that does not know them; the negative mask then refuses).
    """
    pos_inds: Tensor
    pos_gt_inds: Tensor
    neg_inds: Optional[Tensor] = None


def flatten_level_outputs(outputs: Sequence[Tensor], channels: int) -> Tensor:
    """Level outputs [N, A*k, H_l, W_l] → [N, Σ_l H_l W_l A, k] in the (level, H, W, A) prior order.

    Args:
        outputs (Sequence[Tensor]): per-level head outputs.
        channels (int): k, the channels per prior (classes, 4 box deltas, ...).

    Returns:
        Tensor: [N, P, k].
    """
    num_images = outputs[0].shape[0]
    return torch.cat([out.permute(0, 2, 3, 1).reshape(num_images, -1, channels) for out in outputs], dim=1)


def _plain(value):
    """A comparable Python value for a prior-generator setting (tensors on ``meta`` have no values: their shape)."""
    if isinstance(value, Tensor):
        return ('meta tensor', tuple(value.shape)) if value.is_meta else value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class DenseHeadAdapter:
    """Reads the student head's own assignment and decodes boxes, for one family of mmdet dense heads.

    Subclasses implement :meth:`assign` (per image, the positives the head's loss uses) and :meth:`decode_boxes`
    (the boxes the head predicts at given priors), calling the head's own methods: no head code is copied.
    Adapters are stateless; the head is passed to every call. mmdet is imported inside the methods (and the mmkd
    adapters' head classes through :class:`~mmkd.models.utils.optional_mmdet.MMDetClassAttr`), so that this module
    imports without mmdet; building an adapter without it raises the install hint.
    """

    #: the mmdet head classes served (isinstance) and the class whose target and loss methods the adapter relies on
    head_types: Tuple[type, ...] = ()
    target_method_owner: type = object

    def __init__(self) -> None:
        require_mmdet(type(self).__name__)

    @classmethod
    def supports(cls, head: nn.Module) -> bool:
        """True when ``head`` is one of :attr:`head_types` and still uses its ``_get_targets_single`` and
        ``loss_by_feat`` (a subclass that changes either assigns or trains differently)."""
        if not isinstance(head, cls.head_types):
            return False
        owner = cls.target_method_owner
        return all(getattr(type(head), method) is getattr(owner, method)
                   for method in ('_get_targets_single', 'loss_by_feat'))

    @property
    def name(self) -> str:
        return type(self).__name__

    # ---- geometry -------------------------------------------------------------------------------------------------
    @staticmethod
    def num_base_priors(head: nn.Module) -> int:
        """A, the priors per position (all levels have the same number in the supported heads)."""
        counts = set(head.prior_generator.num_base_priors)
        if len(counts) != 1:
            raise ValueError(f'{type(head).__name__}: levels with different numbers of priors per position '
                             f'({sorted(counts)}) are not supported.')
        return counts.pop()

    @staticmethod
    def priors(head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]], device: torch.device) -> List[Tensor]:
        """The head's priors per level: anchors [H W A, 4] or points [H W, 2]."""
        from mmdet.structures.bbox import get_box_tensor
        return [get_box_tensor(p) for p in head.prior_generator.grid_priors(featmap_sizes, device=device)]

    def prior_strides(self, head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]], device: torch.device) -> Tensor:
        """The stride (px) of every prior, level-concatenated [P]."""
        per_prior = self.num_base_priors(head)
        strides = [head.prior_generator.strides[level][0] for level in range(len(featmap_sizes))]
        return torch.cat([torch.full((h * w * per_prior, ), float(stride), device=device)
                          for (h, w), stride in zip(featmap_sizes, strides)])

    def position_centres(self, head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]],
                         device: torch.device) -> List[Tensor]:
        """(x, y) in px of every feature-map position, per level [H W, 2] (all anchors of a position share it)."""
        per_prior = self.num_base_priors(head)
        centres = []
        for level_priors in self.priors(head, featmap_sizes, device):
            if level_priors.shape[-1] == 4:
                level_priors = (level_priors[:, :2] + level_priors[:, 2:]) / 2
            centres.append(level_priors[::per_prior, :2])
        return centres

    def prior_signature(self, head: nn.Module) -> Dict[str, object]:
        """Everything the priors depend on: two heads with equal signatures have the same priors at every position."""
        generator = head.prior_generator
        signature: Dict[str, object] = dict(adapter=self.name, generator=type(generator).__name__)
        for attr in ('strides', 'base_sizes', 'ratios', 'scales', 'centers', 'center_offset', 'scale_major',
                     'offset'):
            if hasattr(generator, attr):
                signature[attr] = _plain(getattr(generator, attr))
        return signature

    # ---- assignment and boxes -------------------------------------------------------------------------------------
    @contextmanager
    def recording(self, head: nn.Module) -> Iterator[List[Dict[str, Any]]]:
        """Record every call of ``head._get_targets_single`` made inside the block (the head's own loss calls it once
        per image), so that :meth:`assign_from_records` reads the positives the loss used instead of assigning again.

        Yields:
            list[dict]: one record per call, ``{'args': bound arguments by name, 'result': return value}``.
        """
        records: List[Dict[str, Any]] = []
        original = head._get_targets_single
        signature = inspect.signature(original)

        def recorded(*args, **kwargs):
            result = original(*args, **kwargs)
            records.append(dict(args=signature.bind(*args, **kwargs).arguments, result=result))
            return result

        # an instance attribute shadows the class method for this head only; the loss's multi_apply looks it up
        head._get_targets_single = recorded
        try:
            yield records
        finally:
            del head._get_targets_single

    def assign_from_records(self, head: nn.Module, records: Sequence[Dict[str, Any]]) -> List[PositiveAssignment]:
        """Per image, the positives from the :meth:`recording` of the head's own target computation."""
        raise NotImplementedError

    def assign(self, head: nn.Module, featmap_sizes: Sequence[Tuple[int, int]], batch_gt_instances: list,
               batch_img_metas: List[dict], batch_gt_instances_ignore: list = None,
               device: torch.device = torch.device('cpu')) -> List[PositiveAssignment]:
        """Per image, the positives and their GT indices from the head's own assigner (see the subclasses)."""
        raise NotImplementedError

    def decode_boxes(self, head: nn.Module, bbox_preds: Tensor, priors: Tensor, strides: Tensor) -> Tensor:
        """Boxes (x1, y1, x2, y2, px) the head predicts at some priors.

        Args:
            head (nn.Module): the head that produced ``bbox_preds`` (its current train/eval mode matters for FCOS).
            bbox_preds (Tensor): its raw box outputs at those priors [P, k].
            priors (Tensor): the priors [P, 4] or [P, 2].
            strides (Tensor): their strides [P].

        Returns:
            Tensor: [P, 4].
        """
        raise NotImplementedError

    def box_channels(self, head: nn.Module) -> int:
        """k, the box-output channels per prior."""
        return 4

    # ---- position masks (PFI baselines) ---------------------------------------------------------------------------
    def positive_position_masks(self, head: nn.Module, assignments: Sequence[PositiveAssignment],
                                featmap_sizes: Sequence[Tuple[int, int]], device: torch.device) -> List[Tensor]:
        """Per level, bool [N, H, W]: True where at least one prior of the position is positive."""
        per_prior = self.num_base_priors(head)
        num_positions = [h * w for h, w in featmap_sizes]
        flat = torch.zeros(len(assignments), sum(num_positions), dtype=torch.bool, device=device)
        for image, assignment in enumerate(assignments):
            # levels hold H·W·A priors each, so prior // A is the level-concatenated position index
            flat[image, assignment.pos_inds // per_prior] = True
        return [level.reshape(-1, h, w) for level, (h, w) in zip(flat.split(num_positions, dim=1), featmap_sizes)]

    def negative_position_masks(self, head: nn.Module, assignments: Sequence[PositiveAssignment],
                                featmap_sizes: Sequence[Tuple[int, int]], batch_img_metas: Sequence[dict],
                                device: torch.device) -> List[Tensor]:
        """Per level, bool [N, H, W]: True where every prior of the position is a negative of the assigner and the
        position's centre lies inside the image (``img_shape``), i.e. not positive, not ignored, not padding."""
        per_prior = self.num_base_priors(head)
        num_positions = [h * w for h, w in featmap_sizes]
        counts = torch.zeros(len(assignments), sum(num_positions), dtype=torch.long, device=device)
        for image, assignment in enumerate(assignments):
            if assignment.neg_inds is None:
                raise ValueError(f'{self.name}: the negative imitation mask needs the negatives of the assignment '
                                 f'(PositiveAssignment.neg_inds); this adapter does not give them.')
            counts[image].index_add_(0, assignment.neg_inds.to(device) // per_prior,
                                     torch.ones_like(assignment.neg_inds, device=device))
        all_negative = counts == per_prior
        centres = torch.cat(self.position_centres(head, featmap_sizes, device))  # [sum HW, 2]
        for image, meta in enumerate(batch_img_metas):
            height, width = meta['img_shape'][:2]
            all_negative[image] &= (centres[:, 0] < width) & (centres[:, 1] < height)
        return [level.reshape(-1, h, w) for level, (h, w) in zip(all_negative.split(num_positions, dim=1),
                                                                   featmap_sizes)]

    def gt_box_position_masks(self, head: nn.Module, batch_gt_instances: list,
                              featmap_sizes: Sequence[Tuple[int, int]], device: torch.device) -> List[Tensor]:
        """Per level, bool [N, H, W]: True where the position's centre lies inside (or on) some GT box."""
        from mmdet.structures.bbox import get_box_tensor
        masks = []
        for centres, (h, w) in zip(self.position_centres(head, featmap_sizes, device), featmap_sizes):
            per_image = []
            for gt in batch_gt_instances:
                boxes = get_box_tensor(gt.bboxes).to(centres)
                x, y = centres[:, None, 0], centres[:, None, 1]  # [HW, 1] against [1, G]
                inside = (x >= boxes[None, :, 0]) & (x <= boxes[None, :, 2]) & \
                    (y >= boxes[None, :, 1]) & (y <= boxes[None, :, 3])
                per_image.append(inside.any(dim=1).reshape(h, w))
            masks.append(torch.stack(per_image))
        return masks


def imitation_masks(adapter: DenseHeadAdapter, head: nn.Module, mode: str,
                    assignments: Optional[Sequence[PositiveAssignment]], batch_gt_instances: Optional[list],
                    featmap_sizes: Sequence[Tuple[int, int]], device: torch.device,
                    batch_img_metas: Optional[Sequence[dict]] = None) -> List[Tensor]:
    """The 0/1 maps of :class:`mmkd.PFILoss`'s hand-made modes (RM + PFI (AAAI 2022) Table 5), per level [N, H, W].

    Args:
        adapter (DenseHeadAdapter): the head's adapter.
        head (nn.Module): the (student) head.
        mode (str): ``'positive'`` (positions with a positive prior), ``'negative'`` (positions whose priors are all
            negatives, inside the image: ignored priors and padding excluded) or ``'gt_box'`` (positions whose centre
            is inside a GT box).
        assignments (Sequence[PositiveAssignment], optional): per image (used by ``positive``/``negative``).
        batch_gt_instances (list, optional): per image GT ``InstanceData`` (used by ``gt_box``).
        featmap_sizes (Sequence[tuple]): (H, W) per level.
        device (torch.device): device of the masks.
        batch_img_metas (Sequence[dict], optional): image metas (``img_shape``; used by ``negative``).

    Returns:
        list[Tensor]: per level [N, H, W] bool.
    """
    if mode == 'positive':
        return adapter.positive_position_masks(head, assignments, featmap_sizes, device)
    if mode == 'negative':
        if batch_img_metas is None:
            raise ValueError("imitation_masks(mode='negative') needs batch_img_metas (img_shape: padding is excluded).")
        return adapter.negative_position_masks(head, assignments, featmap_sizes, batch_img_metas, device)
    if mode == 'gt_box':
        return adapter.gt_box_position_masks(head, batch_gt_instances, featmap_sizes, device)
    raise ValueError(f"imitation_masks: mode must be 'positive', 'negative' or 'gt_box', got {mode!r}.")
