"""The loop's parts against closed forms: EMA, the batch order across processes, normalization stats."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vistakit.engine import EMA, DistInfo, channel_stats
from vistakit.engine._data import batch_indices

from ._toy import stripes


def test_ema_closed_form_with_warmup():
    model = nn.BatchNorm1d(2)
    ema = EMA(model, decay=0.9)
    e_w = model.weight.detach().clone()
    e_rm = model.running_mean.clone()
    for n in range(1, 30):
        with torch.no_grad():
            model.weight.add_(1.0)
            model.running_mean.add_(0.5)
            model.num_batches_tracked += 1
        ema.update(model)
        d = min(0.9, (1 + n) / (10 + n))
        e_w = d * e_w + (1 - d) * model.weight.detach()
        e_rm = d * e_rm + (1 - d) * model.running_mean
    torch.testing.assert_close(ema.module.weight, e_w)
    torch.testing.assert_close(ema.module.running_mean, e_rm)
    assert int(ema.module.num_batches_tracked) == 29
    assert not any(p.requires_grad for p in ema.module.parameters())


def test_processes_together_see_the_single_process_batches():
    one = batch_indices(103, batch_size=12, seed=4, epoch=2, shuffle=True, drop_last=True)
    three = [
        batch_indices(
            103, batch_size=12, seed=4, epoch=2, shuffle=True, drop_last=True, info=DistInfo(rank=r, world_size=3)
        )
        for r in range(3)
    ]
    assert len(one) == 103 // 12
    for i, batch in enumerate(one):
        union = torch.cat([three[r][i] for r in range(3)])
        assert sorted(union.tolist()) == sorted(batch.tolist())
        assert all(len(three[r][i]) == 4 for r in range(3))
    # a new epoch, a new order; the same epoch, the same order
    assert not torch.equal(one[0], batch_indices(103, batch_size=12, seed=4, epoch=3, shuffle=True, drop_last=True)[0])
    assert torch.equal(one[0], batch_indices(103, batch_size=12, seed=4, epoch=2, shuffle=True, drop_last=True)[0])
    # evaluation order keeps every image exactly once, the last batch short
    ev = batch_indices(10, batch_size=4, seed=0, epoch=0, shuffle=False, drop_last=False)
    assert [b.tolist() for b in ev] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_channel_stats_match_numpy():
    data = stripes(50)
    mean, std = channel_stats(data)
    x = data.tensors[0].double() / 255
    assert mean[0] == pytest.approx(x.mean().item(), rel=1e-9)
    assert std[0] == pytest.approx(x.std(unbiased=False).item(), rel=1e-6)
