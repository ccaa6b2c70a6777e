"""fit(): learning, run files, exact resume, frozen parameters, divergence, run-dir refusal, checkpoints."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from torch import nn

from vistakit.engine import (
    RunDirError,
    TrainConfig,
    TrainingDiverged,
    evaluate,
    fit,
    load_training_checkpoint,
    save_atomic,
)

from ._toy import ItemDataset, small_cnn, stripes

FAST = dict(batch_size=32, lr=0.05, optimizer="sgd", weight_decay=1e-4, warmup_epochs=0.5, log_every=2)


def _cfg(**kw) -> TrainConfig:
    return TrainConfig(**{**FAST, **kw})


def test_fit_learns_and_writes_the_run(tmp_path):
    train, val = stripes(256, seed=0), stripes(128, seed=1)
    res = fit(small_cnn(), train, val, _cfg(epochs=4, label_smoothing=0.1), run_dir=tmp_path, progress=False)
    assert res.history[-1]["val_accuracy"] >= 0.9  # chance is 0.25
    assert res.history[-1]["train_loss"] < res.history[0]["train_loss"]
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2, 3, 4]
    assert {"train_loss", "val_loss", "val_accuracy", "lr", "seconds"} <= set(lines[0])
    assert (tmp_path / "config.yaml").is_file()
    ck = load_training_checkpoint(tmp_path / "checkpoint.pt")
    assert ck["epoch"] == 4 and ck["step"] == 4 * (256 // 32)
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert best["epoch"] == res.best_epoch
    assert best["val_accuracy"] == pytest.approx(max(r["val_accuracy"] for r in lines))
    # the returned model is what evaluate() measures
    ev = evaluate(res.model, val, mean=res.mean, std=res.std)
    assert ev.accuracy == pytest.approx(res.history[-1]["val_accuracy"])


def _kill_after(epoch: int):
    def hook(record, _model):
        if record["epoch"] == epoch:
            raise KeyboardInterrupt  # the process dies after writing this epoch's checkpoint

    return hook


@pytest.mark.parametrize(
    "options",
    [
        dict(
            ema_decay=0.9,
            label_smoothing=0.1,
            augment=[{"name": "BatchHorizontalFlip"}, {"name": "BatchRandomCrop", "padding": 1}],
        ),
        dict(optimizer="adamw", lr=3e-3, schedule="cosine", grad_clip=1.0, accum_steps=2, tta=True),
        dict(whiten_stem=True),  # the resumed run keeps its trained first layer (no second whitening)
    ],
)
def test_resume_reaches_the_same_weights_bit_for_bit(tmp_path, options):
    train, val = stripes(192, seed=0), stripes(64, seed=1)
    cfg = _cfg(epochs=4, seed=7, **options)
    full = fit(small_cnn(seed=3), train, val, cfg, run_dir=tmp_path / "a", progress=False)

    with pytest.raises(KeyboardInterrupt):
        fit(small_cnn(seed=3), train, val, cfg, run_dir=tmp_path / "b", progress=False, on_epoch=_kill_after(2))
    assert load_training_checkpoint(tmp_path / "b" / "checkpoint.pt")["epoch"] == 2
    # a fresh process would build the model from scratch with another random state
    torch.manual_seed(1234)
    resumed = fit(small_cnn(seed=99), train, val, cfg, run_dir=tmp_path / "b", resume=True, progress=False)

    for (k, a), b in zip(full.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), k
    assert [r["val_loss"] for r in full.history] == [r["val_loss"] for r in resumed.history]
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2, 3, 4]


def test_resume_refuses_changed_options_and_other_class_counts(tmp_path):
    train = stripes(64)
    fit(small_cnn(), train, None, _cfg(epochs=1), run_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="lr: 0.05 -> 0.1"):
        fit(small_cnn(), train, None, _cfg(epochs=2, lr=0.1), run_dir=tmp_path, resume=True, progress=False)
    model = small_cnn(classes=4)
    model[-1] = nn.Linear(32, 7)
    with pytest.raises(ValueError, match="trained for 4 classes|4, 32"):
        fit(model, train, None, _cfg(epochs=2), run_dir=tmp_path, resume=True, progress=False)


def test_frozen_parameters_get_no_state_and_do_not_move(tmp_path):
    model = small_cnn()
    for p in model[0].parameters():
        p.requires_grad_(False)
    before = {k: v.clone() for k, v in model[0].state_dict().items()}
    fit(model, stripes(64), None, _cfg(epochs=1, optimizer="adamw", lr=1e-2), run_dir=tmp_path, progress=False)
    for k, v in model[0].state_dict().items():
        assert torch.equal(v, before[k]), k
    ck = load_training_checkpoint(tmp_path / "checkpoint.pt")
    n_trainable = sum(1 for p in model.parameters() if p.requires_grad)
    assert len(ck["optimizer"]["state"]) == n_trainable
    assert sum(len(g["params"]) for g in ck["optimizer"]["param_groups"]) == n_trainable


def test_no_trainable_parameters_is_a_clear_error():
    model = small_cnn().requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit(model, stripes(64), None, _cfg(epochs=1), progress=False)


def test_diverging_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    def poison(record, model):
        if record["epoch"] == 1:  # a learning rate gone wild, in effect
            with torch.no_grad():
                model[-1].weight.fill_(float("inf"))

    with pytest.raises(TrainingDiverged, match=r"diverged.*epoch 2.*checkpoint.pt \(end of epoch 1\) is kept"):
        fit(small_cnn(), stripes(64), None, _cfg(epochs=3), run_dir=tmp_path, progress=False, on_epoch=poison)
    ck = load_training_checkpoint(tmp_path / "checkpoint.pt")
    assert ck["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in ck["model"].values() if v.is_floating_point())
    assert len((tmp_path / "metrics.jsonl").read_text().splitlines()) == 1


def test_exploding_loss_stops_with_a_clear_message():
    with pytest.raises(TrainingDiverged, match="Lower the learning rate"):
        fit(
            small_cnn(bn=False),
            stripes(128),
            None,
            _cfg(epochs=2, lr=1e4, warmup_epochs=0, log_every=1),
            progress=False,
        )


def test_run_dir_holding_another_run_is_refused(tmp_path):
    train = stripes(64)
    fit(small_cnn(), train, None, _cfg(epochs=1), run_dir=tmp_path, progress=False)
    before = (tmp_path / "checkpoint.pt").read_bytes()
    with pytest.raises(RunDirError, match="already holds a run.*overwrite"):
        fit(small_cnn(), train, None, _cfg(epochs=1), run_dir=tmp_path, progress=False)
    assert (tmp_path / "checkpoint.pt").read_bytes() == before  # nothing lost
    fit(small_cnn(), train, None, _cfg(epochs=1, seed=5), run_dir=tmp_path, overwrite=True, progress=False)
    assert load_training_checkpoint(tmp_path / "checkpoint.pt")["config"]["seed"] == 5


def test_checkpoints_are_written_atomically(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    save_atomic({"a": torch.ones(3)}, path)

    class Boom:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_atomic({"a": torch.zeros(3), "b": Boom()}, path)
    assert torch.equal(torch.load(path, weights_only=True)["a"], torch.ones(3))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint.pt"]  # no temporary left behind

    # the new file appears only through one rename
    renames = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((Path(a).name, Path(b).name)), real(a, b)))
    save_atomic({"a": torch.zeros(3)}, path)
    assert len(renames) == 1 and renames[0][1] == "checkpoint.pt" and renames[0][0] != "checkpoint.pt"


def test_in_memory_and_item_paths_give_the_same_run():
    data = stripes(96)
    cfg = _cfg(epochs=2, augment=[{"name": "BatchHorizontalFlip"}])
    a = fit(small_cnn(), data, None, cfg, progress=False)
    b = fit(small_cnn(), ItemDataset(data), None, cfg, progress=False, num_classes=4)
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        assert torch.equal(x, y)


def test_accumulation_matches_one_big_batch():
    data = stripes(128)
    a = fit(small_cnn(bn=False), data, None, _cfg(epochs=1), progress=False)
    b = fit(small_cnn(bn=False), data, None, _cfg(epochs=1, accum_steps=4), progress=False)
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)


def test_early_stopping_and_bf16_autocast(tmp_path):
    data = stripes(64)
    res = fit(small_cnn(), data, data, _cfg(epochs=6, lr=1e-9, early_stop_patience=2, amp="bf16"), progress=False)
    assert res.stopped_early and len(res.history) == 3
    assert all(r["train_loss"] == r["train_loss"] for r in res.history)  # finite, not NaN


def test_any_module_with_soft_targets_from_mixup(tmp_path):
    pytest.importorskip("vistakit.transforms")
    res = fit(
        small_cnn(),
        stripes(128),
        stripes(64, seed=1),
        _cfg(epochs=2, mixup_alpha=0.4, cutmix_alpha=1.0),
        progress=False,
    )
    assert res.history[-1]["val_accuracy"] > 0.3
