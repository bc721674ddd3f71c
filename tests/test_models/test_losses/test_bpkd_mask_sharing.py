# Copyright (c) mmkd contributors. All rights reserved.
"""BPKD's edge and body terms share one mask given once: no mask parameter exists twice, one mask computation per
call, no module-global cache; mmkd.MultiTermDistiller logs the terms separately."""
import pytest
import torch
from mmrazor.models.distillers import ConfigurableDistiller

from mmkd.models.distillers import MultiTermDistiller
from mmkd.models.losses import BPKDLoss
from mmkd.models.losses.bpkd_body_loss import BPKDBodyLoss
from mmkd.models.losses.bpkd_edge_loss import BPKDEdgeLoss
from mmkd.models.utils import boundary_mask, bpkd_edge_mask
from mmkd.registry import MODELS


def test_mask_parameters_exist_once_and_the_terms_cannot_be_configured_apart():
    loss = BPKDLoss(edge_width=5, compute_iters=2, ignore_index=7)
    assert (loss.edge_width, loss.compute_iters, loss.ignore_index) == (5, 2, 7)
    for term in (loss.edge, loss.body):
        assert not any(hasattr(term, name) for name in ('edge_width', 'compute_iters', 'ignore_index'))
    # the terms take a mask, not labels, and are not registered: no config can give them a mask of their own
    assert MODELS.get('BPKDEdgeLoss') is None and MODELS.get('BPKDBodyLoss') is None
    assert MODELS.get('BPKDLoss') is BPKDLoss


def test_one_mask_per_call_handed_to_both_terms(monkeypatch):
    calls, seen = [], {}
    real_mask = boundary_mask.bpkd_edge_mask

    def counting_mask(*args, **kwargs):
        calls.append(args)
        return real_mask(*args, **kwargs)

    monkeypatch.setattr('mmkd.models.losses.bpkd_loss.bpkd_edge_mask', counting_mask)
    real_edge, real_body = BPKDEdgeLoss.forward, BPKDBodyLoss.forward
    monkeypatch.setattr(BPKDEdgeLoss, 'forward',
                        lambda self, s, t, mask: seen.setdefault('edge', mask) is None or real_edge(self, s, t, mask))
    monkeypatch.setattr(BPKDBodyLoss, 'forward',
                        lambda self, s, t, mask: seen.setdefault('body', mask) is None or real_body(self, s, t, mask))
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (2, 16, 16), generator=generator)
    labels[0, :3] = 255
    BPKDLoss(edge_width=3, ignore_index=255)(torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8), labels)
    assert len(calls) == 1
    edge_mask, valid = bpkd_edge_mask(labels, 3, (8, 8), 3, 255)
    assert torch.equal(seen['edge'], edge_mask) and torch.equal(seen['body'], (1 - edge_mask) * valid)


def test_no_module_global_cache():
    # the mask is a pure function: equal inputs give equal, freshly computed tensors; no module-level dict/weakref
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[:, :, 2:] = 1
    first, second = bpkd_edge_mask(labels, 2, (2, 2), 3), bpkd_edge_mask(labels, 2, (2, 2), 3)
    assert first[0] is not second[0] and torch.equal(first[0], second[0])
    labels[:] = 0  # in-place change: the new mask reflects it
    assert bpkd_edge_mask(labels, 2, (2, 2), 3)[0].sum() == 0
    from mmkd.models.utils import solov2_instance_masks
    for module in (boundary_mask, solov2_instance_masks):
        state = [name for name, value in vars(module).items()
                 if isinstance(value, dict) and not name.startswith('__')]
        assert state == [], (module.__name__, state)  # the caches that were there: _last_edge_mask, _last_targets


def test_multi_term_distiller_flattens_dict_losses(monkeypatch):
    distiller = MultiTermDistiller()
    edge, body, cwd = torch.tensor(1.0), torch.tensor(2.0), torch.tensor(3.0)
    monkeypatch.setattr(ConfigurableDistiller, 'compute_distill_losses',
                        lambda self: dict(loss_bpkd=dict(edge=edge, body=body), loss_cwd=cwd))
    assert distiller.compute_distill_losses() == dict(loss_bpkd_edge=edge, loss_bpkd_body=body, loss_cwd=cwd)
    monkeypatch.setattr(ConfigurableDistiller, 'compute_distill_losses',
                        lambda self: dict(loss_bpkd=dict(edge=edge), loss_bpkd_edge=cwd))
    with pytest.raises(KeyError, match="'loss_bpkd_edge' is produced twice"):
        distiller.compute_distill_losses()
