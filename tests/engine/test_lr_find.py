"""lr-find on a toy problem: the suggestion lies where the loss falls, and the weights come back."""

from __future__ import annotations

import torch
from torch import nn

from vistakit.engine import TrainConfig, lr_find
from vistakit.engine._lr_find import suggest_lr

from ._toy import stripes


def test_suggestion_on_a_toy_problem_and_weights_restored(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, 4))  # softmax regression on the stripes
    before = {k: v.clone() for k, v in model.state_dict().items()}
    cfg = TrainConfig(batch_size=32, optimizer="sgd", momentum=0.0, channels_last=False)
    res = lr_find(model, stripes(512), cfg, start_lr=1e-5, end_lr=100.0, num_steps=60, progress=False)
    # plain SGD on normalized inputs: too small below ~1e-3 (the loss barely moves), divergent above ~10
    assert 1e-3 <= res.suggestion <= 3.0, res.suggestion
    i = res.lrs.index(res.suggestion)
    assert res.losses[i + 3] < res.losses[max(i - 3, 0)]  # the loss is falling there
    assert min(res.losses) < res.losses[0] * 0.5
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    res.plot(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 1000


def test_suggest_lr_on_a_known_curve():
    lrs = [10 ** (-5 + i * 0.1) for i in range(60)]
    # flat, then a drop centred at 1e-2 (index 30), then blow-up after 1e0
    losses = [2.0 - 1.5 / (1 + 10 ** (-(i - 30) / 3)) + (0.0 if i < 50 else (i - 50) ** 2) for i in range(60)]
    assert abs(suggest_lr(lrs, losses) - 1e-2) / 1e-2 < 0.3
