# Copyright (c) mmkd contributors. All rights reserved.
"""Channel pruning by LASSO channel selection and least-squares reconstruction.

He, Zhang and Sun, "Channel Pruning for Accelerating Very Deep Neural Networks", ICCV 2017 (arXiv 1707.06168).

For one conv layer with weights ``W`` [n, c, kh, kw] and bias ``b`` [n], take S sampled output positions. At each
position s the input patch of channel i is ``x_si`` (kh·kw values) and the layer's output is
``y_s = sum_i W_i x_si + b`` ([n]). Write ``Z_i`` for the [S·n] vector of channel i's contributions ``W_i x_si``.
Channel pruning to c' < c input channels solves

.. math::
    \\min_\\beta \\frac{1}{2Sn} \\lVert Y - b - \\sum_{i=1}^{c} \\beta_i Z_i \\rVert^2 + \\alpha \\lVert\\beta\\rVert_1,

with ``Y`` the ORIGINAL network's outputs and ``x`` the inputs in the (already pruned) network, raising the L1
weight α (by bisection here) until exactly c' coefficients are non-zero; those channels are kept. The kept weights
(and the bias) are then refit by linear least squares,

.. math::
    W', b' = \\arg\\min_{W', b'} \\lVert Y - \\sum_{i \\in kept} W'_i x_{si} - b' \\rVert^2,

and the producer layer's matching output channels are removed. Layer by layer, each consumer reconstructs the
original network's output from the pruned previous layers, so errors do not accumulate unchecked.

Everything is computed from streamed sufficient statistics (:class:`ReconstructionStats`: X^T X, X^T Y, sums), so
the number of sampled positions costs no memory. The LASSO's Gram matrix ``G_ij = <Z_i, Z_j>`` follows from
``X^T X`` and ``W^T W`` without ever forming Z ([S, n, c] would take gigabytes for VGG16's conv5), and the
problem given to scikit-learn's ``Lasso`` is the equivalent c-row one ``||t - A beta||^2`` with ``A^T A = G``,
``A^T t = Z^T (Y - b)`` (eigendecomposition of G), which has the same minimiser as the S·n-row problem.

The LASSO is solved by scikit-learn's coordinate descent (``sklearn.linear_model.Lasso``); α is tuned by
bisection on log α to hit the requested channel count. Where the support jumps past it (ties), the channels with
the largest |β| at the smallest α that keeps at least c' channels are kept (reported as ``exact=False``).
"""
import copy
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import Tensor

try:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import Lasso
except ImportError:  # pragma: no cover - scikit-learn is a runtime requirement
    Lasso = None


def _check_conv(conv: nn.Module, what: str) -> nn.Conv2d:
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f'{what} must be an nn.Conv2d, got {type(conv).__name__}')
    if conv.groups != 1:
        raise ValueError(f'{what}: grouped/depthwise convs (groups={conv.groups}) cannot be channel-pruned here')
    if conv.padding_mode != 'zeros' or isinstance(conv.padding, str):
        raise ValueError(f'{what}: only explicit zero padding is supported, got padding={conv.padding!r} '
                         f'padding_mode={conv.padding_mode!r}')
    return conv


def sample_conv_positions(conv: nn.Conv2d,
                          inputs: Tensor,
                          outputs: Tensor,
                          positions_per_image: int,
                          generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
    """Input patches and outputs of ``conv`` at random output positions (``positions_per_image`` per image).

    Args:
        conv (nn.Conv2d): The layer; its kernel, stride, padding and dilation locate the patches.
        inputs (Tensor): What the layer sees in the pruned network, [N, c, H, W].
        outputs (Tensor): The target outputs (the original network's), [N, n, H', W'] with H', W' the conv output
            size of H, W.
        positions_per_image (int): Positions drawn per image, without replacement (all if fewer exist).
        generator (torch.Generator, optional): Random source. Defaults to None (torch's global one).

    Returns:
        tuple[Tensor, Tensor]: patches [S, c·kh·kw] (channel-major, the layout of ``conv.weight.flatten(1)``) and
        targets [S, n], S = N·min(positions_per_image, H'·W').
    """
    _check_conv(conv, 'sample_conv_positions: conv')
    if inputs.dim() != 4 or outputs.dim() != 4 or inputs.shape[0] != outputs.shape[0]:
        raise ValueError(f'inputs [N, c, H, W] and outputs [N, n, H\', W\'] must be batches of the same images, got '
                         f'{tuple(inputs.shape)} and {tuple(outputs.shape)}')
    if inputs.shape[1] != conv.in_channels or outputs.shape[1] != conv.out_channels:
        raise ValueError(f'conv has {conv.in_channels} -> {conv.out_channels} channels but inputs have '
                         f'{inputs.shape[1]} and outputs {outputs.shape[1]}')
    if positions_per_image < 1:
        raise ValueError(f'positions_per_image must be >= 1, got {positions_per_image}')
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = conv.kernel_size, conv.stride, conv.padding, conv.dilation
    num_images, out_h, out_w = outputs.shape[0], outputs.shape[2], outputs.shape[3]
    expected = ((inputs.shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
                (inputs.shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
    if expected != (out_h, out_w):
        raise ValueError(f'outputs {out_h}x{out_w} are not the conv output size {expected} of inputs '
                         f'{tuple(inputs.shape[2:])}')
    padded = F.pad(inputs, (pw, pw, ph, ph))
    count = min(positions_per_image, out_h * out_w)
    device = inputs.device
    kernel_rows = torch.arange(kh, device=device).repeat_interleave(kw) * dh  # [kh*kw], the weight's row-major
    kernel_cols = torch.arange(kw, device=device).repeat(kh) * dw
    patches, targets = [], []
    for image in range(num_images):
        flat = torch.randperm(out_h * out_w, generator=generator)[:count].to(device)
        rows, cols = flat // out_w, flat % out_w
        in_rows = (rows * sh)[:, None] + kernel_rows[None]  # [count, kh*kw]
        in_cols = (cols * sw)[:, None] + kernel_cols[None]
        patch = padded[image][:, in_rows, in_cols]  # [c, count, kh*kw]
        patches.append(patch.permute(1, 0, 2).reshape(count, -1))
        targets.append(outputs[image][:, rows, cols].t())
    return torch.cat(patches), torch.cat(targets)


class ReconstructionStats:
    """Streamed sufficient statistics of a linear layer's reconstruction problem on sampled positions.

    Accumulates, in float64, ``X^T X`` [d, d], ``X^T Y`` [d, n], the column sums of X [d] and Y [n], ``Y^T Y``
    and the sample count S, for patches X [S, d] (d = c·kh·kw) and targets Y [S, n].

    Args:
        in_channels (int): Input channels c.
        kernel_numel (int): kh·kw.
        out_channels (int): Output channels n.
    """

    def __init__(self, in_channels: int, kernel_numel: int, out_channels: int) -> None:
        dim = in_channels * kernel_numel
        self.in_channels, self.kernel_numel, self.out_channels = in_channels, kernel_numel, out_channels
        self.xtx = torch.zeros(dim, dim, dtype=torch.float64)
        self.xty = torch.zeros(dim, out_channels, dtype=torch.float64)
        self.x_sum = torch.zeros(dim, dtype=torch.float64)
        self.y_sum = torch.zeros(out_channels, dtype=torch.float64)
        self.yty = 0.0
        self.num_samples = 0

    def update(self, patches: Tensor, targets: Tensor) -> None:
        """Add samples: patches [S, c·kh·kw], targets [S, n]."""
        if patches.shape != (targets.shape[0], self.xtx.shape[0]) or targets.shape[1] != self.out_channels:
            raise ValueError(f'expected patches [S, {self.xtx.shape[0]}] and targets [S, {self.out_channels}], got '
                             f'{tuple(patches.shape)} and {tuple(targets.shape)}')
        # accumulated on the CPU in float64 whatever the model's device (the normal equations need the precision)
        x, y = (t.detach().to(self.xtx.device, torch.float64) for t in (patches, targets))
        self.xtx += x.t() @ x
        self.xty += x.t() @ y
        self.x_sum += x.sum(0)
        self.y_sum += y.sum(0)
        self.yty += float((y * y).sum())
        self.num_samples += x.shape[0]


def channel_contribution_gram(weight: Tensor, bias: Optional[Tensor],
                              stats: ReconstructionStats) -> Tuple[np.ndarray, np.ndarray, float]:
    """Gram matrix of the per-channel contributions Z_i and their correlation with the bias-free targets.

    With P = X^T X and Q = W^T W, both [c, k, c, k] (W as [n, c·k]): ``G_ij = <Z_i, Z_j> = sum_ab P_iajb Q_iajb``
    and ``r_i = <Z_i, Y - b> = sum_a sum_o (X^T (Y - b))_{ia,o} W_{o,ia}``.

    Args:
        weight (Tensor): The original layer's weights [n, c, kh, kw].
        bias (Tensor, optional): Its bias [n] (subtracted from the targets).
        stats (ReconstructionStats): Samples of the pruned network's inputs and the original outputs.

    Returns:
        tuple: G [c, c], r [c] (numpy float64) and ``||Y - b||^2``.
    """
    n, c = weight.shape[:2]
    k = weight[0, 0].numel()
    if (c, k, n) != (stats.in_channels, stats.kernel_numel, stats.out_channels):
        raise ValueError(f'weight {tuple(weight.shape)} does not match the statistics ({stats.in_channels} channels, '
                         f'{stats.kernel_numel} kernel values, {stats.out_channels} outputs)')
    w = weight.detach().cpu().double().reshape(n, c * k)
    gram = (stats.xtx * (w.t() @ w)).reshape(c, k, c, k).sum(dim=(1, 3))
    xty, yty = stats.xty, stats.yty
    if bias is not None:
        b = bias.detach().cpu().double()
        xty = xty - stats.x_sum[:, None] * b[None]
        yty = yty - 2 * float(stats.y_sum @ b) + stats.num_samples * float(b @ b)
    correlation = (xty * w.t()).reshape(c, k, n).sum(dim=(1, 2))
    return gram.numpy(), correlation.numpy(), yty


@dataclass
class ChannelSelection:
    """Result of :func:`lasso_channel_selection`.

    Attributes:
        indices (list[int]): The kept input channels, ascending.
        beta (np.ndarray): LASSO coefficients [c] at ``alpha``.
        alpha (float): The L1 weight used, in the normalisation of the module docstring (1 / (2 S n)).
        exact (bool): True when the LASSO support at ``alpha`` has exactly the requested size.
        bisections (int): LASSO solves spent.
    """
    indices: List[int]
    beta: np.ndarray
    alpha: float
    exact: bool
    bisections: int


def lasso_channel_selection(gram: np.ndarray,
                            correlation: np.ndarray,
                            num_keep: int,
                            num_rows: int,
                            max_bisections: int = 60,
                            tol: float = 1e-7) -> ChannelSelection:
    """Choose ``num_keep`` of c channels by LASSO with its L1 weight tuned by bisection.

    Solves ``min_beta 1/(2M) ||t - Z beta||^2 + alpha ||beta||_1`` (M = ``num_rows``, Z given only through
    ``G = Z^T Z`` and ``r = Z^T t``) with scikit-learn's ``Lasso`` on the equivalent c-row problem
    ``A = diag(sqrt(e)) V^T``, ``t' = diag(1/sqrt(e)) V^T r`` (G = V diag(e) V^T; zero eigenvalues dropped), whose
    objective differs from the original one by a constant only.

    Args:
        gram (np.ndarray): G [c, c], symmetric positive semi-definite.
        correlation (np.ndarray): r [c].
        num_keep (int): Channels to keep, 1 <= num_keep <= c.
        num_rows (int): M, the number of rows of Z (S·n), for the reported α.
        max_bisections (int): LASSO solves allowed. Defaults to 60.
        tol (float): Coordinate-descent tolerance of ``Lasso``. Defaults to 1e-7.

    Returns:
        ChannelSelection: kept channels and the LASSO solution.
    """
    if Lasso is None:  # pragma: no cover
        raise ImportError('channel pruning needs scikit-learn (pip install scikit-learn, see requirements/runtime.txt)')
    num_channels = gram.shape[0]
    if gram.shape != (num_channels, num_channels) or correlation.shape != (num_channels, ):
        raise ValueError(f'gram must be [c, c] and correlation [c], got {gram.shape} and {correlation.shape}')
    if not 1 <= num_keep <= num_channels:
        raise ValueError(f'num_keep must be in [1, {num_channels}], got {num_keep}')
    if num_keep == num_channels:
        return ChannelSelection(list(range(num_channels)), np.ones(num_channels), 0.0, True, 0)

    eigvals, eigvecs = (array.numpy() for array in torch.linalg.eigh(torch.from_numpy((gram + gram.T) / 2)))
    positive = eigvals > eigvals.max() * 1e-12
    scale = np.sqrt(eigvals[positive])
    design = scale[:, None] * eigvecs[:, positive].T  # A [r, c]
    target = (eigvecs[:, positive].T @ correlation) / scale  # t' [r]
    rows = design.shape[0]
    # sklearn's objective is 1/(2 rows) ||t' - A beta||^2 + a ||beta||_1: a = alpha * M / rows.
    to_sklearn = num_rows / rows
    alpha_max = float(np.abs(correlation).max()) / num_rows  # every beta is 0 from here on
    if alpha_max == 0:
        raise ValueError('the layer has no signal on the sampled positions (all channel contributions are 0)')

    def solve(alpha: float) -> np.ndarray:
        lasso = Lasso(alpha=alpha * to_sklearn, fit_intercept=False, max_iter=20000, tol=tol, selection='cyclic')
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', ConvergenceWarning)
            lasso.fit(design, target)
        return lasso.coef_

    low, high = math.log(alpha_max * 1e-8), math.log(alpha_max)
    best_over: Optional[Tuple[float, np.ndarray]] = None  # smallest-count solution with >= num_keep channels
    for step in range(1, max_bisections + 1):
        alpha = math.exp((low + high) / 2)
        beta = solve(alpha)
        count = int(np.count_nonzero(beta))
        if count == num_keep:
            return ChannelSelection(np.flatnonzero(beta).tolist(), beta, alpha, True, step)
        if count > num_keep:
            low = math.log(alpha)
            if best_over is None or alpha > best_over[0]:
                best_over = (alpha, beta)
        else:
            high = math.log(alpha)
    if best_over is None:
        best_over = (math.exp(low), solve(math.exp(low)))
    alpha, beta = best_over
    kept = np.sort(np.argsort(-np.abs(beta), kind='stable')[:num_keep])
    return ChannelSelection(kept.tolist(), beta, alpha, False, max_bisections)


def least_squares_refit(stats: ReconstructionStats,
                        kept_channels: Sequence[int],
                        kernel_size: Tuple[int, int],
                        with_bias: bool = True,
                        ridge: float = 1e-9) -> Tuple[Tensor, Optional[Tensor]]:
    """Weights on the kept input channels that best reproduce the targets (linear least squares).

    Solves the normal equations of ``min ||Y - X_kept W'^T - b'||^2`` from the streamed statistics (Cholesky), with
    a ridge of ``ridge · trace / d`` for numerical safety (far below the data's scale: the solution is the
    least-squares one whenever there are more sampled positions than unknowns).

    Args:
        stats (ReconstructionStats): Samples (pruned-network patches, original outputs).
        kept_channels (Sequence[int]): Input channels kept.
        kernel_size (tuple[int, int]): (kh, kw) of the layer.
        with_bias (bool): Fit a bias too. Defaults to True.
        ridge (float): Relative ridge. Defaults to 1e-9.

    Returns:
        tuple: weight [n, c', kh, kw] and bias [n] (None without bias), float32.
    """
    k = stats.kernel_numel
    if kernel_size[0] * kernel_size[1] != k:
        raise ValueError(f'kernel_size {kernel_size} does not match the statistics ({k} kernel values)')
    cols = (torch.as_tensor(list(kept_channels))[:, None] * k + torch.arange(k)[None]).reshape(-1)
    num_unknowns = cols.numel() + int(with_bias)
    if stats.num_samples < num_unknowns:
        warnings.warn(f'least-squares refit from {stats.num_samples} sampled positions for {num_unknowns} unknowns '
                      'per output channel: under-determined, sample more positions (positions_per_image) or images')
    lhs = stats.xtx[cols][:, cols]
    rhs = stats.xty[cols]
    if with_bias:
        x_sum = stats.x_sum[cols]
        lhs = torch.cat([torch.cat([lhs, x_sum[:, None]], 1),
                         torch.cat([x_sum, x_sum.new_tensor([stats.num_samples])])[None]], 0)
        rhs = torch.cat([rhs, stats.y_sum[None]], 0)
    lhs = lhs + torch.eye(lhs.shape[0], dtype=lhs.dtype) * (ridge * float(lhs.diagonal().sum()) / lhs.shape[0])
    factor, info = torch.linalg.cholesky_ex(lhs)
    if int(info) == 0:
        solution = torch.cholesky_solve(rhs, factor)  # [d' (+1), n]
    else:  # numerically indefinite despite the ridge: fall back to a rank-revealing solver
        solution = torch.linalg.lstsq(lhs, rhs, driver='gelsd').solution
    weight = solution[:cols.numel()].t().reshape(stats.out_channels, len(kept_channels), *kernel_size)
    bias = solution[-1] if with_bias else None
    return weight.float(), (bias.float() if bias is not None else None)


def reconstruction_error(stats: ReconstructionStats, weight: Tensor, bias: Optional[Tensor],
                         kept_channels: Optional[Sequence[int]] = None) -> float:
    """Relative squared error ``||Y - X_kept W^T - b||^2 / ||Y - mean(Y)||^2`` on the sampled positions.

    Args:
        stats (ReconstructionStats): The samples.
        weight (Tensor): [n, c', kh, kw] weights on ``kept_channels`` (all channels when None).
        bias (Tensor, optional): [n].
        kept_channels (Sequence[int], optional): The input channels ``weight`` reads.

    Returns:
        float: 0 for a perfect reconstruction, 1 for predicting the per-channel mean.
    """
    k = stats.kernel_numel
    if kept_channels is None:
        kept_channels = range(stats.in_channels)
    cols = (torch.as_tensor(list(kept_channels))[:, None] * k + torch.arange(k)[None]).reshape(-1)
    w = weight.detach().cpu().double().reshape(weight.shape[0], -1)  # [n, d']
    xtx, xty, x_sum = stats.xtx[cols][:, cols], stats.xty[cols], stats.x_sum[cols]
    # ||Y - XW^T - 1b^T||^2 expanded in the accumulated statistics.
    error = stats.yty - 2 * float((xty * w.t()).sum()) + float((w @ xtx * w).sum())
    if bias is not None:
        b = bias.detach().cpu().double()
        error += -2 * float(stats.y_sum @ b) + 2 * float((w @ x_sum) @ b) + stats.num_samples * float(b @ b)
    variance = stats.yty - float(stats.y_sum @ stats.y_sum) / stats.num_samples
    return max(error, 0.0) / variance


@dataclass
class PruningStep:
    """One producer → consumer pair of :func:`prune_channels_layer_by_layer` (module names in the model).

    Attributes:
        producer (str): Conv whose output channels are removed.
        consumer (str): Conv reading the producer's output (through elementwise ops and pooling only): its input
            channels are selected by LASSO and its weights refit.
        num_keep (int): Channels kept.
        side_consumers (list[str]): Other convs reading the producer's output (RCF's side 1×1 convs): they lose the
            same input channels and are refit by least squares to their original outputs.
    """
    producer: str
    consumer: str
    num_keep: int
    side_consumers: List[str] = field(default_factory=list)


@dataclass
class LayerPruningReport:
    """What one :class:`PruningStep` did (errors are relative, see :func:`reconstruction_error`)."""
    step: PruningStep
    in_channels: int
    kept: List[int]
    alpha: float
    exact: bool
    num_samples: int
    error_before_refit: float  # pruned-network input with the original weights, all channels
    error_after_refit: float
    side_errors: Dict[str, float] = field(default_factory=dict)


class _StopForward(Exception):
    """Raised by a hook once everything needed from a forward pass has been recorded."""


class _Recorder:
    """Forward hooks recording module inputs or outputs; stops the forward once all have fired."""

    def __init__(self, modules: Dict[str, nn.Module], record_inputs: bool, stop_when_done: bool) -> None:
        self.records: Dict[str, Tensor] = {}
        self.names = set(modules)
        self.stop_when_done = stop_when_done
        self.handles = []
        for name, module in modules.items():
            if record_inputs:
                self.handles.append(module.register_forward_pre_hook(self._pre_hook(name)))
            else:
                self.handles.append(module.register_forward_hook(self._hook(name)))

    def _done(self) -> None:
        if self.stop_when_done and self.names <= set(self.records):
            raise _StopForward

    def _pre_hook(self, name: str) -> Callable:

        def hook(module, args):
            self.records[name] = args[0].detach().clone()  # later in-place ops (ReLU) must not alter it
            self._done()

        return hook

    def _hook(self, name: str) -> Callable:

        def hook(module, args, output):
            self.records[name] = output.detach().clone()  # an in-place ReLU follows the convs in VGG16
            self._done()

        return hook

    def run(self, forward: Callable[[Tensor], object], batch: Tensor) -> Dict[str, Tensor]:
        self.records = {}
        try:
            forward(batch)
        except _StopForward:
            pass
        missing = self.names - set(self.records)
        if missing:
            raise RuntimeError(f'modules {sorted(missing)} were not called by the forward pass')
        return self.records

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _replace_conv(conv: nn.Conv2d, weight: Tensor, bias: Optional[Tensor]) -> None:
    conv.weight = nn.Parameter(weight.to(conv.weight.device, conv.weight.dtype).contiguous())
    if conv.bias is not None:
        conv.bias = nn.Parameter(bias.to(conv.bias.device, conv.bias.dtype).contiguous())
    conv.out_channels, conv.in_channels = weight.shape[0], weight.shape[1]


def _collect(original: nn.Module, pruned: nn.Module, conv_names: Sequence[str], batches: Iterable[Tensor],
             positions_per_image: int, generator: torch.Generator) -> Dict[str, ReconstructionStats]:
    originals = {name: _check_conv(original.get_submodule(name), name) for name in conv_names}
    pruneds = {name: _check_conv(pruned.get_submodule(name), name) for name in conv_names}
    stats = {
        name: ReconstructionStats(conv.in_channels, conv.kernel_size[0] * conv.kernel_size[1], conv.out_channels)
        for name, conv in pruneds.items()
    }
    output_recorder = _Recorder(originals, record_inputs=False, stop_when_done=True)
    input_recorder = _Recorder(pruneds, record_inputs=True, stop_when_done=True)
    try:
        for batch in batches:
            outputs = output_recorder.run(original, batch)
            inputs = input_recorder.run(pruned, batch)
            for name, conv in pruneds.items():
                patches, targets = sample_conv_positions(conv, inputs[name], outputs[name], positions_per_image,
                                                         generator)
                stats[name].update(patches, targets)
    finally:
        output_recorder.remove()
        input_recorder.remove()
    if any(s.num_samples == 0 for s in stats.values()):
        raise ValueError('no data: the batches iterable was empty')
    return stats


@torch.no_grad()
def prune_channels_layer_by_layer(model: nn.Module,
                                  steps: Sequence[PruningStep],
                                  batches: Callable[[], Iterable[Tensor]],
                                  positions_per_image: int = 10,
                                  seed: int = 0,
                                  logger: Optional[str] = 'current') -> List[LayerPruningReport]:
    """Channel-prune ``model`` in place, step by step (He et al., ICCV 2017).

    For each step, in order: sample the consumer's (and side consumers') inputs in the network pruned so far and
    their outputs in the ORIGINAL network (a frozen copy taken at the start) on the same positions; select the
    producer's channels to keep by LASSO on the consumer; remove the other channels from the producer's outputs and
    from the consumers' inputs; refit the consumers by least squares.

    Args:
        model (nn.Module): The network, modified in place; ``model(batch)`` must run it (eval mode is used).
        steps (Sequence[PruningStep]): Producer → consumer pairs, in network order (a step's consumer may be the
            next step's producer).
        batches (Callable[[], Iterable[Tensor]]): Returns a fresh iterable of input batches [N, ...] (called once
            per step, so the same images are used for every layer).
        positions_per_image (int): Output positions sampled per image and layer (the paper: 10). Defaults to 10.
        seed (int): Seed of the position sampling. Defaults to 0.
        logger (str, optional): mmengine logger for per-layer progress; None for silence. Defaults to 'current'.

    Returns:
        list[LayerPruningReport]: One report per step.
    """
    was_training = model.training
    model.eval()
    original = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(seed)
    reports = []
    for position, step in enumerate(steps, 1):
        producer = _check_conv(model.get_submodule(step.producer), step.producer)
        consumer = _check_conv(model.get_submodule(step.consumer), step.consumer)
        num_channels = producer.out_channels
        if consumer.in_channels != num_channels:
            raise ValueError(f'{step.consumer} reads {consumer.in_channels} channels but {step.producer} writes '
                             f'{num_channels}: they are not a producer -> consumer pair')
        if not 1 <= step.num_keep <= num_channels:
            raise ValueError(f'{step.producer}: num_keep must be in [1, {num_channels}], got {step.num_keep}')
        names = [step.consumer] + list(step.side_consumers)
        stats = _collect(original, model, names, batches(), positions_per_image, generator)

        original_consumer = original.get_submodule(step.consumer)
        gram, correlation, _ = channel_contribution_gram(original_consumer.weight, original_consumer.bias,
                                                         stats[step.consumer])
        num_rows = stats[step.consumer].num_samples * consumer.out_channels
        selection = lasso_channel_selection(gram, correlation, step.num_keep, num_rows)
        kept = selection.indices
        error_before = reconstruction_error(stats[step.consumer], original_consumer.weight, original_consumer.bias)

        kept_index = torch.as_tensor(kept, device=producer.weight.device)
        _replace_conv(producer, producer.weight[kept_index],
                      producer.bias[kept_index] if producer.bias is not None else None)
        side_errors = {}
        for name in names:
            conv = model.get_submodule(name)
            weight, bias = least_squares_refit(stats[name], kept, conv.kernel_size, with_bias=conv.bias is not None)
            _replace_conv(conv, weight, bias)
            if name != step.consumer:
                side_errors[name] = reconstruction_error(stats[name], weight, bias, kept)
        error_after = reconstruction_error(stats[step.consumer], consumer.weight, consumer.bias, kept)
        report = LayerPruningReport(step, num_channels, kept, selection.alpha, selection.exact,
                                    stats[step.consumer].num_samples, error_before, error_after, side_errors)
        reports.append(report)
        if logger is not None:
            print_log(
                f'[channel pruning {position}/{len(steps)}] {step.producer}: {num_channels} -> {len(kept)} channels '
                f'(LASSO alpha={selection.alpha:.3g}{"" if selection.exact else ", top-|beta| tie-break"}); '
                f'{step.consumer} relative error {error_before:.4f} (unpruned) -> {error_after:.4f} (pruned, refit)'
                + ''.join(f'; {name} {err:.4f}' for name, err in side_errors.items()),
                logger=logger)
    model.train(was_training)
    return reports
