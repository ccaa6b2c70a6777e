"""`vistakit train` / `lr-find`: bad names suggest close ones, RUN_DIR refusal, a whole tiny run end to end."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from vistakit.cli import main
from vistakit.engine import _run
from vistakit.models import create_model

from ._toy import stripes


class _Named(torch.utils.data.TensorDataset):
    classes = ["top", "upper", "lower", "bottom"]


def _tiny_split(name, split, *, root=None):
    base = stripes({"train": 320, "test": 96}[split], size=16, seed={"train": 0, "test": 1}[split])
    return _Named(*base.tensors)


@pytest.fixture
def tiny_dataset(monkeypatch):
    monkeypatch.setattr(_run, "load_split", _tiny_split)
    monkeypatch.setattr(_run, "check_dataset_name", lambda name: None)
    monkeypatch.setattr(_run, "_splits", lambda name: ["train", "test"])


def test_unknown_dataset_and_model_suggest_close_names(tmp_path, capsys):
    assert main(["train", "--dataset", "fashion-mnsit", "--model", "fastnet_fmnist", "--out", str(tmp_path / "r")]) == 2
    assert "fashion-mnist" in capsys.readouterr().err
    assert main(["train", "--dataset", "fashion-mnist", "--model", "fastnet_fmnst", "--out", str(tmp_path / "r")]) == 2
    assert "did you mean fastnet_fmnist" in capsys.readouterr().err
    assert main(["train", "--dataset", "fashion-mnist", "--recipe", "fats", "--out", str(tmp_path / "r")]) == 2
    assert "did you mean fast" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_run_dir_with_another_run_is_refused(tmp_path, capsys):
    (tmp_path / "config.yaml").write_text("keep me\n")
    assert main(["train", "--dataset", "fashion-mnist", "--recipe", "fast", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--overwrite" in err
    assert (tmp_path / "config.yaml").read_text() == "keep me\n"
    assert main(["train", "--resume", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_whole_run_writes_every_file_and_resumes(tmp_path, tiny_dataset, capsys):
    out = tmp_path / "run"
    code = main(["train", "--dataset", "tiny", "--model", "fastnet_fmnist", "--recipe", "fast", "--epochs", "2",
                 "--batch-size", "64", "--lr", "0.05", "--seed", "1", "--out", str(out), "--quiet"])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "images/s" in printed
    for name in ("config.yaml", "metrics.jsonl", "checkpoint.pt", "best.pt", "summary.json", "report.html"):
        assert (out / name).is_file(), name
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["model"] == "fastnet_fmnist" and config["train"]["epochs"] == 2 and config["num_classes"] == 4
    summary = json.loads((out / "summary.json").read_text())
    for key in ("test_accuracy", "macro_f1", "cross_entropy", "cross_entropy_reading", "num_params",
                "train_seconds", "images_per_second"):
        assert key in summary, key
    assert 0 <= summary["test_accuracy"] <= 1 and summary["num_params"] > 0
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    assert "<img" in (out / "report.html").read_text()
    # best.pt loads into the zoo model as it is
    model = create_model("fastnet_fmnist", num_classes=4, in_chans=1, weights=out / "best.pt")
    assert model.fc.out_features == 4
    # --resume of a finished run only re-evaluates; options may not be changed on resume
    assert main(["train", "--resume", str(out), "--epochs", "5"]) == 2
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert json.loads((out / "summary.json").read_text())["epochs"] == 2


def test_lr_find_command(tmp_path, tiny_dataset, capsys):
    png = tmp_path / "lr.png"
    assert main(["lr-find", "--dataset", "tiny", "--model", "fastnet_fmnist", "--batch-size", "32",
                 "--steps", "20", "--plot", str(png)]) == 0
    assert "suggested learning rate" in capsys.readouterr().out
    assert png.is_file()
