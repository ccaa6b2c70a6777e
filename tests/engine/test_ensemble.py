"""fit_ensemble() and Ensemble: members from their own seeds, averaged probabilities, the run folder, exact resume."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from torch import nn

from vistakit.engine import Ensemble, RunDirError, TrainConfig, evaluate, fit, fit_ensemble

from ._toy import stripes

FAST = dict(batch_size=32, lr=0.05, optimizer="sgd", weight_decay=1e-4, warmup_epochs=0.5, log_every=2)


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(**{**FAST, **kw})


def _net(_k: int = 0) -> nn.Module:
    """A tiny classifier whose initial weights follow the global random state (fit_ensemble seeds it)."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Linear(32, 4),
    )


class _Fixed(nn.Module):
    """Returns the same logits for every image."""

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.tensor(logits))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(len(x), -1)


def test_ensemble_predicts_the_mean_of_the_members_probabilities():
    a, b = _Fixed([4.0, 0.0, 0.0]), _Fixed([0.0, 3.0, 2.9])
    x = torch.zeros(5, 1, 2, 2)
    out = Ensemble([a, b])(x)
    expected = (a(x).softmax(1) + b(x).softmax(1)) / 2
    assert torch.allclose(out.softmax(1), expected, atol=1e-6)
    assert torch.allclose(out.exp().sum(1), torch.ones(5), atol=1e-6)  # already log-probabilities
    assert out.argmax(1).tolist() == expected.argmax(1).tolist()
    assert torch.allclose(Ensemble([b])(x).softmax(1), b(x).softmax(1), atol=1e-6)
    with pytest.raises(ValueError, match="at least one member"):
        Ensemble([])


def test_members_are_plain_fits_from_their_own_seeds_and_the_run_folder_holds_them(tmp_path):
    train, val = stripes(256, seed=0), stripes(96, seed=1)
    cfg = _cfg(epochs=4, seed=5, ensemble=2, ema_decay=0.9, tta=True)
    res = fit_ensemble(_net, train, val, cfg, run_dir=tmp_path, meta={"dataset": "stripes"}, progress=False)

    assert isinstance(res.model, Ensemble) and len(res.model.members) == 2 and not res.model.training
    for k, member in enumerate(res.model.members):  # member k is exactly fit() with seed 5 + k
        torch.manual_seed(5 + k)
        alone = fit(_net(), train, val, cfg.replace(seed=5 + k, ensemble=1), progress=False)
        for (name, a), b in zip(alone.model.state_dict().items(), member.state_dict().values()):
            assert torch.equal(a, b), (k, name)
    first, second = (dict(m.named_parameters()) for m in res.model.members)
    assert not torch.equal(first["0.weight"], second["0.weight"])  # different seeds, different networks

    ev = evaluate(res.model, val, mean=res.mean, std=res.std, tta=True)
    assert res.best_val_accuracy == pytest.approx(ev.accuracy) and ev.accuracy >= 0.9  # chance is 0.25
    assert res.extra["ensemble"] == 2 and len(res.extra["member_val_accuracy"]) == 2
    assert res.num_params == 2 * sum(p.numel() for p in _net().parameters())
    assert [(r["member"], r["epoch"]) for r in res.history] == [(m, e) for m in (1, 2) for e in (1, 2, 3, 4)]

    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["dataset"] == "stripes" and config["train"]["ensemble"] == 2
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines == json.loads(json.dumps(res.history))
    for k in (1, 2):
        folder = tmp_path / f"member-{k}"
        for name in ("config.yaml", "metrics.jsonl", "checkpoint.pt", "best.pt", "final.pt"):
            assert (folder / name).is_file(), (k, name)
        assert yaml.safe_load((folder / "config.yaml").read_text())["train"]["seed"] == 5 + k - 1


def test_an_ensemble_of_one_is_fit_itself(tmp_path):
    train = stripes(96, seed=0)
    res = fit_ensemble(_net, train, None, _cfg(epochs=1, seed=3), run_dir=tmp_path, progress=False)
    assert not isinstance(res.model, Ensemble)
    assert (tmp_path / "checkpoint.pt").is_file() and not list(tmp_path.glob("member-*"))


@pytest.mark.parametrize("kill_at", [(1, 2), (2, 1)])  # (member, epoch) after which the process dies
def test_resume_reaches_the_same_members(tmp_path, kill_at):
    train, val = stripes(160, seed=0), stripes(64, seed=1)
    cfg = _cfg(epochs=2, seed=1, ensemble=2, ema_decay=0.8, augment=[{"name": "BatchHorizontalFlip"}])
    full = fit_ensemble(_net, train, val, cfg, run_dir=tmp_path / "a", progress=False)

    def die(record, _model):
        if (record["member"], record["epoch"]) == kill_at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_ensemble(_net, train, val, cfg, run_dir=tmp_path / "b", progress=False, on_epoch=die)
    torch.manual_seed(999)  # a new process: another random state
    resumed = fit_ensemble(_net, train, val, cfg, run_dir=tmp_path / "b", resume=True, progress=False)
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    assert [r["val_loss"] for r in full.history] == [r["val_loss"] for r in resumed.history]
    lines = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [(r["member"], r["epoch"]) for r in lines] == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_fit_refuses_an_ensemble_and_the_field_is_checked():
    with pytest.raises(ValueError, match="fit_ensemble"):
        fit(_net(), stripes(32), None, _cfg(ensemble=2), progress=False)
    with pytest.raises(ValueError, match="ensemble"):
        TrainConfig(ensemble=0)


def test_another_run_is_kept_unless_overwritten_and_old_members_go(tmp_path):
    train = stripes(64, seed=0)
    fit_ensemble(_net, train, None, _cfg(epochs=1, ensemble=3), run_dir=tmp_path, progress=False)
    with pytest.raises(RunDirError):
        fit_ensemble(_net, train, None, _cfg(epochs=1, ensemble=2), run_dir=tmp_path, progress=False)
    assert (tmp_path / "member-3" / "final.pt").is_file()
    fit_ensemble(_net, train, None, _cfg(epochs=1, ensemble=2), run_dir=tmp_path, overwrite=True, progress=False)
    assert sorted(p.name for p in tmp_path.glob("member-*")) == ["member-1", "member-2"]
