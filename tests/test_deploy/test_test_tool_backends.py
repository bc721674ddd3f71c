# Copyright (c) mmkd contributors. All rights reserved.
"""tools/test.py on the synthetic BSDS with a student: ``--deploy`` and ``--backend onnxruntime`` on the exported file
give eager's probability maps (<= 1e-4) and the BSDS evaluation (mmkd.EdgeMetric) runs on each."""
import pickle
import re
import sys

import pytest
import torch

pytest.importorskip('onnxruntime')

from mmkd.deploy import export_onnx  # noqa: E402
from mmkd.testing.synthetic.bsds import generate_synthetic_bsds  # noqa: E402
from tests.helpers.tools import REPO_ROOT, run_tool  # noqa: E402
from tests.helpers.torch_threads import one_torch_thread  # noqa: F401,E402  (autouse)
from .conftest import EDGE_CONFIGS  # noqa: E402


@pytest.mark.slow
def test_bsds_evaluation_on_eager_deploy_and_onnxruntime(edge_model, tmp_path):
    data_root = tmp_path / 'bsds'
    generate_synthetic_bsds(str(data_root), num_train=1, num_test=2, height=48, width=72, seed=2)
    model = edge_model('SO Model')
    checkpoint = tmp_path / 'student.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    # eager, in this process: what tools/test.py computes per image without flags
    from mmengine.config import Config
    from mmengine.registry import DATASETS, DefaultScope
    cfg = Config.fromfile(f'{REPO_ROOT}/{EDGE_CONFIGS["SO Model"]}')
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(dict(cfg.test_dataloader.dataset, data_root=str(data_root)))
    eager = []
    with torch.no_grad():
        for index in range(len(dataset)):
            data = model.data_preprocessor({k: [v] for k, v in dataset[index].items()}, training=False)
            eager.append(model(**data, mode='predict')[0].pred_edge_map.data)
    onnx_file = tmp_path / 'student.onnx'
    export_onnx(model, str(onnx_file), shape=(64, 96))  # modifies `model` (deploy form): used above before
    runs = {'deploy': ['--deploy'], 'onnxruntime': ['--backend', 'onnxruntime', '--backend-threads', '1']}
    predictions, metrics = {'eager': eager}, {}
    for name, flags in runs.items():
        config = tmp_path / f'test_{name}.py'
        dump = tmp_path / f'{name}.pkl'
        config.write_text(
            f"_base_ = ['{REPO_ROOT}/{EDGE_CONFIGS['SO Model']}']\n"
            f"test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(data_root='{data_root}'))\n"
            f"test_evaluator = [dict(type='mmkd.EdgeMetric', num_workers=1), "
            f"dict(type='DumpResults', out_file_path='{dump}')]\n")
        weights = onnx_file if name == 'onnxruntime' else checkpoint
        result = run_tool([sys.executable, 'tools/test.py', str(config), str(weights), '--work-dir',
                           str(tmp_path / f'work_{name}'), *flags], env_extra=dict(OMP_NUM_THREADS='1'))
        assert result.returncode == 0, (name, result.stderr[-4000:])
        found = re.search(r'edge/ODS: ([0-9.]+)', result.stdout + result.stderr)
        assert found, (name, (result.stdout + result.stderr)[-3000:])
        metrics[name] = float(found.group(1))
        with open(dump, 'rb') as f:
            predictions[name] = [sample['pred_edge_map']['data'] for sample in pickle.load(f)]
    assert [p.shape for p in predictions['eager']] == [(1, 48, 72)] * 2  # cropped back from the padded 64x96
    for name in ('deploy', 'onnxruntime'):
        diff = max(float((a - b).abs().max()) for a, b in zip(predictions[name], predictions['eager']))
        assert diff <= 1e-4, (name, diff)
    assert abs(metrics['deploy'] - metrics['onnxruntime']) <= 1e-3, metrics
