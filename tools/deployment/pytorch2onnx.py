# Copyright (c) mmkd contributors. All rights reserved.
"""Export an edge model (RCF, HED, Model, SO Model) or an mmseg segmentation student to ONNX, then check it.

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT --out model.onnx [--shape H W] [--static]
        [--outputs final|all] [--opset 17] [--no-verify] [--cfg-options k=v ...]

Edge networks export with dynamic batch/height/width (``--static`` fixes the ``--shape``); segmentors only at the
fixed ``--shape`` (their pyramid pooling is traced for it). The graph is the deploy form (re-orderings, BN folded;
``mmkd.deploy``). Unless ``--no-verify``, ONNX Runtime runs the file on a random ``--shape`` input (and, for dynamic
edge graphs, on a second odd size) and the tool prints the largest probability difference to PyTorch eager
(sigmoid for edges, softmax for segmentors); above 1e-4 it fails. CHECKPOINT ``none`` exports random weights
(for speed checks). The exported edge file runs through the BSDS evaluation with
``python tools/test.py CONFIG model.onnx --backend onnxruntime``.

Why not mmdeploy: OpenMMLab's deployment tool is the ecosystem's exporter, but its last release (mmdeploy 1.3.1,
2023-12) requires ``protobuf<=3.20.2`` while the onnx / onnxruntime wheels that install with torch 2.13 and numpy 2
need ``protobuf>=6.31.1`` / ``>=4.25.8``; it predates this stack. The models here are plain convolutional graphs that
``torch.onnx.export`` converts without custom ops.
"""
import argparse
import copy
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PARITY_TOLERANCE = 1e-4


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config (an edge config or an mmseg segmentor config)')
    parser.add_argument('checkpoint', help='checkpoint to export, or "none" for random weights')
    parser.add_argument('--out', required=True, help='output .onnx file')
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 512], metavar=('H', 'W'),
                        help='input size traced (segmentors: the only size the file accepts)')
    parser.add_argument('--static', action='store_true', help='edge networks: fixed --shape instead of dynamic H/W')
    parser.add_argument('--outputs', choices=['final', 'all'], default='final',
                        help='edge networks: the final/fused logits only (default) or the side outputs too')
    parser.add_argument('--opset', type=int, default=None, help='ONNX opset (default 17)')
    parser.add_argument('--no-verify', action='store_true', help='skip the ONNX Runtime parity check')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    return parser.parse_args(argv)


def build_model(config: str, checkpoint: str, cfg_options=None):
    """The config's model (its own scope) with the checkpoint loaded (strictly), in eval mode."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmkd  # noqa: F401
    from mmkd.registry import MODELS
    from mmkd.utils import safe_torch_load
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} does not exist')
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ValueError(f'{config} has no "model" to export')
    from mmkd.deploy.onnx_export import model_kind
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmseg')):
        model = MODELS.build(cfg.model)
    model_kind(model, config)  # an unsupported model fails here, before any weights are read
    if checkpoint.lower() == 'none':
        model.init_weights()
    else:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
        state = safe_torch_load(checkpoint, map_location='cpu')
        model.load_state_dict(state.get('state_dict', state), strict=True)
    return model.eval()


def max_probability_diff(eager, onnx_file: str, kind: str, shape) -> float:
    """Largest |p_ORT − p_PyTorch| on a random [1, 3, H, W] input (sigmoid / softmax of every output)."""
    import numpy as np
    import torch

    from mmkd.deploy import BackendSession
    from mmkd.deploy.onnx_export import export_wrapper
    torch.manual_seed(0)
    inputs = torch.randn(1, 3, *shape) * 50
    session = BackendSession(onnx_file)
    outputs = session.run(inputs.numpy())
    wrapper, _ = export_wrapper(eager, 'all' if len(outputs) > 1 else 'final')
    with torch.no_grad():
        reference = wrapper(inputs)
    reference = reference if isinstance(reference, tuple) else (reference, )
    activation = torch.sigmoid if kind == 'edge' else (lambda t: torch.softmax(t, dim=1))
    return max(float((activation(torch.from_numpy(np.asarray(o))) - activation(r)).abs().max())
               for o, r in zip(outputs, reference))


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, REPO_ROOT)
    from mmkd.deploy import DEFAULT_OPSET, ONNXExportError, export_onnx
    from mmkd.deploy.onnx_export import model_kind
    try:
        model = build_model(args.config, args.checkpoint, args.cfg_options)
        eager = copy.deepcopy(model)
        kind = model_kind(model, args.config)
        dynamic = (kind == 'edge') and not args.static
        names = export_onnx(model, args.out, args.shape, dynamic=dynamic, outputs=args.outputs,
                            opset=args.opset or DEFAULT_OPSET, source=args.config)
    except (ONNXExportError, FileNotFoundError, ValueError, TypeError, KeyError) as err:
        print(f'pytorch2onnx: error: {err}', file=sys.stderr)
        return 2
    print(f'wrote {args.out}: {"dynamic" if dynamic else "fixed"} input [N, 3, '
          f'{"H, W" if dynamic else "%d, %d" % tuple(args.shape)}], outputs {names}')
    if args.no_verify:
        return 0
    shapes = [tuple(args.shape)] + ([(args.shape[0] + 33, args.shape[1] + 17)] if dynamic else [])
    worst = 0.0
    for shape in shapes:
        diff = max_probability_diff(eager, args.out, kind, shape)
        worst = max(worst, diff)
        print(f'ONNX Runtime vs PyTorch eager at {shape[0]}x{shape[1]}: max |probability diff| = {diff:.2e}')
    if worst > PARITY_TOLERANCE:
        print(f'pytorch2onnx: error: parity check failed ({worst:.2e} > {PARITY_TOLERANCE:.0e})', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
