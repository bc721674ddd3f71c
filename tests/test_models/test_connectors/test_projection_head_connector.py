# Copyright (c) mmkd contributors. All rights reserved.
import pytest
import torch

from mmkd.models.connectors import ProjectionHeadConnector


def test_built_by_configurable_distiller_connectors():
    # imported here: mmrazor imports only after mmkd's compat layer (applied by the import above) is in place
    from mmrazor.models.architectures.connectors.base_connector import BaseConnector
    from mmrazor.registry import MODELS as MMRAZOR_MODELS
    distiller = MMRAZOR_MODELS.build(
        dict(_scope_='mmrazor', type='ConfigurableDistiller',
             connectors=dict(proj_S=dict(type='mmkd.ProjectionHeadConnector', in_channels=32, out_channels=64))))
    connector = distiller.connectors['proj_S']
    assert isinstance(connector, ProjectionHeadConnector) and isinstance(connector, BaseConnector)
    assert connector(torch.randn(2, 32, 4, 5)).shape == (2, 64, 4, 5)


def test_layers_and_mid_channels():
    connector = ProjectionHeadConnector(8, 16, mid_channels=12)
    assert connector.conv_in.weight.shape == (12, 8, 1, 1)
    assert isinstance(connector.norm, torch.nn.BatchNorm2d) and connector.norm.num_features == 12
    assert connector.conv_out.weight.shape == (16, 12, 1, 1)
    assert ProjectionHeadConnector(8, 16).conv_in.out_channels == 16  # mid defaults to out_channels


def test_it_trains():
    torch.manual_seed(0)
    connector = ProjectionHeadConnector(4, 6)
    optimizer = torch.optim.SGD(connector.parameters(), lr=0.1)
    feats, target = torch.randn(4, 4, 3, 3), torch.randn(4, 6, 3, 3)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = ((connector(feats) - target)**2).mean()
        loss.backward()
        if not losses:
            assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in connector.parameters())
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match='in_channels'):
        ProjectionHeadConnector(0, 4)
    with pytest.raises(ValueError, match=r'\[N, 4, H, W\].*\(2, 5, 3, 3\)'):
        ProjectionHeadConnector(4, 8)(torch.randn(2, 5, 3, 3))
