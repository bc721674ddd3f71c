# Copyright (c) mmkd contributors. All rights reserved.
from typing import List, Optional

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd.models.utils import align_teacher_features, check_segmentation_labels
from mmkd.registry import MODELS
from .utils import l2_normalize_channels, masked_class_prototypes, resize_labels_nearest


def _gather_from_all_ranks(tensor: Tensor) -> Tensor:
    """Concatenate ``tensor`` from every process along dim 0; the tensor itself in a single process."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts, dim=0)


@MODELS.register_module()
class CIRKDMemoryLoss(nn.Module):
    r"""CIRKD memory-based pixel-to-pixel and pixel-to-region distillation.

    From "Cross-Image Relational Knowledge Distillation for Semantic Segmentation" (Yang et al., CVPR 2022), the
    memory-based terms. Per class k the loss keeps two queues of L2-normalised *teacher* embeddings gathered over past
    iterations (and over all processes): a pixel queue (``pixels_per_class_per_image`` random pixels of class k per
    image) and a region queue (one normalised class-mean embedding per image that contains k). Each step samples
    anchors from every class's queue, ``num_pixel_contrast // K + 1`` pixel and ``num_region_contrast // K + 1``
    region entries per class, and scores every non-ignored pixel's student and teacher embedding (:math:`s_a, t_a`,
    channel-L2-normalised) against the same teacher anchors :math:`m_1..m_A`:

    .. math::
        z^s_a = [s_a^\top m_1, \dots, s_a^\top m_A] / \tau_c,\quad z^t_a = [t_a^\top m_1, \dots] / \tau_c,\qquad
        L_{anchors} = \frac{\tau_{kd}^2}{|V|} \sum_{a \in V}
            \mathrm{KL}\big(\sigma(z^t_a / \tau_{kd})\ \|\ \sigma(z^s_a / \tau_{kd})\big)

    and returns :math:`\lambda_p L_{pixel\ anchors} + \lambda_r L_{region\ anchors}` (V = non-ignored pixels, labels
    nearest-resized to the feature map). mmrazor's distiller accepts a tensor or a list of tensors from a loss (not a
    dict), so the two terms come back summed; the last values of each, detached, are in ``last_pixel_loss`` and
    ``last_region_loss``.

    Where this differs from the official code (winycg/CIRKD ``losses/cirkd_memory.py``):

    - The queues start **empty** (the official ones start with random unit vectors) and only filled entries are
      sampled; a class with an empty queue gives no anchors, and while every queue is empty (the first step) both terms
      are an exact 0 that is still connected to the student's graph, never NaN.
    - The current batch is enqueued **after** the loss is computed (the official code enqueues it first), under
      ``torch.no_grad``, and only in training mode.
    - The pixel queue is a true ring buffer (the official one, on overflow, overwrites its last slots and restarts at
      0); the pointers ``*_queue_ptr`` and fill counts ``*_queue_count`` are buffers too, so checkpoints restore them.
    - Each class draws its own random anchor indices (the official code draws one index set for all classes).
    - Teacher embeddings are all-gathered before enqueueing only when ``torch.distributed`` is initialised with more
      than one process, so the loss also runs in a single process.

    The student projection to the teacher width (the official loss owns it) is a connector here
    (``mmkd.ProjectionHeadConnector``, ``connector=`` in this loss's ``loss_forward_mappings``); it feeds this loss
    only, as in the official code (the mini-batch loss takes the raw student features).

    Randomness (anchor sampling, which pixels are enqueued): with ``seed`` set, a private ``torch.Generator`` seeded
    once makes the sequence of draws reproducible and independent of the global RNG; with ``seed=None`` the global
    torch RNG is used (reproducible when the run is seeded, e.g. mmengine's ``randomness=dict(seed=...)``). The
    generator's state is not checkpointed: after a resume the queues are restored exactly but the draws restart from
    the seed.

    Args:
        num_classes (int): number of classes K.
        feat_channels (int): embedding width D (the teacher's feature width; the student is projected to it).
        pixel_queue_size (int): entries per class in the pixel queue. Defaults to 20000.
        region_queue_size (int): entries per class in the region queue. Defaults to 2000.
        pixels_per_class_per_image (int): teacher pixels of each class enqueued per image. Defaults to 16.
        num_pixel_contrast (int): total pixel anchors per step; ``num_pixel_contrast // K + 1`` per class.
            Defaults to 4096.
        num_region_contrast (int): total region anchors per step; ``num_region_contrast // K + 1`` per class.
            Defaults to 1024.
        contrast_tau (float): temperature τ_c of the similarity logits. Defaults to 0.1.
        kd_tau (float): temperature τ_kd of the KL between similarity distributions. Defaults to 1.0.
        pixel_weight (float): λ_memory-pixel. Defaults to 0.1.
        region_weight (float): λ_memory-region. Defaults to 0.1.
        ignore_index (int): label of ignored pixels. Defaults to 255.
        seed (int, optional): seed of a private generator for the random draws. Defaults to None (global RNG).
    """

    def __init__(self,
                 num_classes: int,
                 feat_channels: int,
                 pixel_queue_size: int = 20000,
                 region_queue_size: int = 2000,
                 pixels_per_class_per_image: int = 16,
                 num_pixel_contrast: int = 4096,
                 num_region_contrast: int = 1024,
                 contrast_tau: float = 0.1,
                 kd_tau: float = 1.0,
                 pixel_weight: float = 0.1,
                 region_weight: float = 0.1,
                 ignore_index: int = 255,
                 seed: Optional[int] = None) -> None:
        super().__init__()
        for name, value in dict(num_classes=num_classes, feat_channels=feat_channels,
                                pixel_queue_size=pixel_queue_size, region_queue_size=region_queue_size,
                                pixels_per_class_per_image=pixels_per_class_per_image,
                                num_pixel_contrast=num_pixel_contrast,
                                num_region_contrast=num_region_contrast).items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got {value!r}.')
        if pixels_per_class_per_image > pixel_queue_size:
            raise ValueError(f'pixels_per_class_per_image={pixels_per_class_per_image} exceeds '
                             f'pixel_queue_size={pixel_queue_size}.')
        for name, value in dict(contrast_tau=contrast_tau, kd_tau=kd_tau).items():
            if value <= 0:
                raise ValueError(f'{name} must be positive, got {value}.')
        for name, value in dict(pixel_weight=pixel_weight, region_weight=region_weight).items():
            if value < 0:
                raise ValueError(f'{name} must be non-negative, got {value}.')
        self.num_classes = num_classes
        self.feat_channels = feat_channels
        self.pixels_per_class_per_image = pixels_per_class_per_image
        self.pixel_anchors_per_class = num_pixel_contrast // num_classes + 1
        self.region_anchors_per_class = num_region_contrast // num_classes + 1
        self.contrast_tau = contrast_tau
        self.kd_tau = kd_tau
        self.pixel_weight = pixel_weight
        self.region_weight = region_weight
        self.ignore_index = ignore_index
        self._generator = torch.Generator().manual_seed(seed) if seed is not None else None

        # Buffers, not plain tensors: they follow .to(device) and live in the algorithm's state_dict (resume).
        self.register_buffer('pixel_queue', torch.zeros(num_classes, pixel_queue_size, feat_channels))
        self.register_buffer('pixel_queue_ptr', torch.zeros(num_classes, dtype=torch.long))
        self.register_buffer('pixel_queue_count', torch.zeros(num_classes, dtype=torch.long))
        self.register_buffer('region_queue', torch.zeros(num_classes, region_queue_size, feat_channels))
        self.register_buffer('region_queue_ptr', torch.zeros(num_classes, dtype=torch.long))
        self.register_buffer('region_queue_count', torch.zeros(num_classes, dtype=torch.long))
        self.last_pixel_loss: Optional[Tensor] = None
        self.last_region_loss: Optional[Tensor] = None

    def _randperm(self, n: int, device: torch.device) -> Tensor:
        # Drawn on the CPU so that a given seed gives the same draws on every device.
        return torch.randperm(n, generator=self._generator).to(device)

    def _sample_anchors(self, queue: Tensor, counts: Tensor, per_class: int) -> Tensor:
        """Up to ``per_class`` random filled entries of every class's queue, concatenated: [A, D]."""
        anchors: List[Tensor] = []
        for class_id, filled in enumerate(counts.tolist()):
            if filled == 0:
                continue
            # Entries [0, filled) are the filled ones: writes start at slot 0 and only wrap once the queue is full.
            picked = self._randperm(filled, queue.device)[:per_class]
            anchors.append(queue[class_id, picked])
        if not anchors:
            return queue.new_zeros((0, queue.shape[-1]))
        return torch.cat(anchors, dim=0)

    def _relation_kd(self, student_pixels: Tensor, teacher_pixels: Tensor, anchors: Tensor) -> Tensor:
        """KL between teacher and student similarity distributions over the anchors, mean over pixels."""
        anchors = anchors.to(student_pixels.dtype)
        student_logits = student_pixels @ anchors.t() / self.contrast_tau
        teacher_logits = teacher_pixels @ anchors.t() / self.contrast_tau
        student_log_prob = F.log_softmax(student_logits / self.kd_tau, dim=1)
        teacher_prob = F.softmax(teacher_logits / self.kd_tau, dim=1)
        return F.kl_div(student_log_prob, teacher_prob, reduction='batchmean') * self.kd_tau**2

    @staticmethod
    def _push(queue: Tensor, ptr: Tensor, count: Tensor, class_id: int, entries: Tensor) -> None:
        """Write ``entries`` [m, D] into the ring buffer of ``class_id``, advancing its pointer and fill count."""
        size = queue.shape[1]
        num_entries = entries.shape[0]
        start = int(ptr[class_id])
        slots = (start + torch.arange(num_entries, device=queue.device)) % size
        queue[class_id, slots] = entries.to(queue.dtype)
        ptr[class_id] = (start + num_entries) % size
        count[class_id] = min(int(count[class_id]) + num_entries, size)

    @torch.no_grad()
    def _enqueue(self, teacher_embeddings: Tensor, labels: Tensor) -> None:
        """Enqueue the batch's teacher embeddings [N, D, h, w] (unit length) with their labels [N, h, w]."""
        teacher_embeddings = _gather_from_all_ranks(teacher_embeddings)
        labels = _gather_from_all_ranks(labels)
        class_means, class_pixel_counts = masked_class_prototypes(teacher_embeddings, labels, self.num_classes,
                                                                  self.ignore_index)
        region_entries = F.normalize(class_means, p=2, dim=-1)  # [N, K, D]
        pixel_embeddings = teacher_embeddings.flatten(2).transpose(1, 2)  # [N, hw, D]
        flat_labels = labels.flatten(1)
        for image in range(labels.shape[0]):
            present = torch.nonzero(class_pixel_counts[image] > 0).flatten().tolist()
            for class_id in present:
                self._push(self.region_queue, self.region_queue_ptr, self.region_queue_count, class_id,
                           region_entries[image, class_id:class_id + 1])
                class_pixels = torch.nonzero(flat_labels[image] == class_id).flatten()
                picked = self._randperm(class_pixels.numel(), class_pixels.device)[:self.pixels_per_class_per_image]
                self._push(self.pixel_queue, self.pixel_queue_ptr, self.pixel_queue_count, class_id,
                           pixel_embeddings[image, class_pixels[picked]])

    def forward(self, feats_S: Tensor, feats_T: Tensor, gt_labels: Tensor) -> Tensor:
        """Compute the weighted memory pixel-to-pixel + pixel-to-region loss, then enqueue the teacher's batch.

        Args:
            feats_S (Tensor): student features [N, D, h, w], projected to ``feat_channels``.
            feats_T (Tensor): teacher features [N, D, h', w'] (no gradient; resized to (h, w) if needed).
            gt_labels (Tensor): long labels [N, H, W], ``ignore_index`` = ignore.

        Returns:
            Tensor: scalar loss ``pixel_weight * pixel term + region_weight * region term``.
        """
        if feats_S.dim() == 4 and feats_S.shape[1] != self.feat_channels:
            raise ValueError(f'student feature width D_s={feats_S.shape[1]} differs from feat_channels='
                             f'{self.feat_channels} (the teacher width): project the student features with a '
                             f'connector first.')
        feats_T = align_teacher_features(feats_S, feats_T, same_width=True)
        check_segmentation_labels(gt_labels, self.num_classes, self.ignore_index)
        if gt_labels.shape[0] != feats_S.shape[0]:
            raise ValueError(f'gt_labels batch size {gt_labels.shape[0]} differs from the features\' '
                             f'{feats_S.shape[0]}.')
        labels = resize_labels_nearest(gt_labels, feats_S.shape[2:])
        student_embeddings = l2_normalize_channels(feats_S)
        teacher_embeddings = l2_normalize_channels(feats_T)

        valid = (labels != self.ignore_index).flatten()
        student_pixels = student_embeddings.permute(0, 2, 3, 1).reshape(-1, self.feat_channels)[valid]
        teacher_pixels = teacher_embeddings.permute(0, 2, 3, 1).reshape(-1, self.feat_channels)[valid]

        # An exact zero that keeps the student in the graph (DDP expects every used parameter to get a gradient);
        # starting from +0.0 keeps the logged value from printing as -0.0.
        zero = feats_S.new_zeros(()) + feats_S.sum() * 0
        terms = []
        for queue, counts, per_class in ((self.pixel_queue, self.pixel_queue_count, self.pixel_anchors_per_class),
                                         (self.region_queue, self.region_queue_count, self.region_anchors_per_class)):
            anchors = self._sample_anchors(queue, counts, per_class)
            if anchors.shape[0] == 0 or student_pixels.shape[0] == 0:
                terms.append(zero)
            else:
                terms.append(self._relation_kd(student_pixels, teacher_pixels, anchors))
        pixel_loss, region_loss = terms
        self.last_pixel_loss, self.last_region_loss = pixel_loss.detach(), region_loss.detach()

        if self.training:
            self._enqueue(teacher_embeddings, labels)
        return self.pixel_weight * pixel_loss + self.region_weight * region_loss
