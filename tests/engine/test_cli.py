"""`vistakit train` / `lr-find`: bad names suggest close ones, RUN_DIR refusal, a whole tiny run end to end."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from vistakit.cli import main
from vistakit.models import create_model


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


def test_a_whole_run_writes_every_file_and_resumes(tmp_path, capsys):
    # scikit-learn's 8x8 digits: a real registered data set small enough for a test
    out = tmp_path / "run"
    aug = tmp_path / "aug.yaml"
    aug.write_text("- {name: BatchRandomCrop, padding: 1}\n")
    code = main(
        [
            "train",
            "--dataset",
            "digits",
            "--model",
            "fastnet_fmnist",
            "--epochs",
            "2",
            "--augment",
            str(aug),
            "--batch-size",
            "32",
            "--lr",
            "0.01",
            "--seed",
            "1",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "images/s" in printed
    assert "label smoothing 0.1" in printed and "0.094 on the hard labels" in printed  # -log(0.91)
    for name in ("config.yaml", "metrics.jsonl", "checkpoint.pt", "best.pt", "summary.json", "report.html"):
        assert (out / name).is_file(), name
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["model"] == "fastnet_fmnist" and config["train"]["epochs"] == 2 and config["num_classes"] == 10
    assert config["train"]["augment"] == [{"name": "BatchRandomCrop", "padding": 1}]  # inlined: the run stands alone
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "test_accuracy",
        "macro_f1",
        "cross_entropy",
        "cross_entropy_reading",
        "num_params",
        "train_seconds",
        "images_per_second",
    ):
        assert key in summary, key
    assert summary["test_accuracy"] > 0.5 and summary["num_params"] > 0  # chance is 0.1
    # the default recipe smooths labels by 0.1 over 10 classes: the hard-label floor is -log(0.91)
    assert summary["label_smoothing"] == 0.1
    assert summary["cross_entropy_floor"] == pytest.approx(-math.log(0.91))
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    assert "<img" in (out / "report.html").read_text()
    # best.pt loads into the zoo model as it is
    model = create_model("fastnet_fmnist", num_classes=10, in_chans=1, weights=out / "best.pt")
    assert model.fc.out_features == 10
    # --resume of a finished run only re-evaluates; options may not be changed on resume
    assert main(["train", "--resume", str(out), "--epochs", "5"]) == 2
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert json.loads((out / "summary.json").read_text())["epochs"] == 2


def test_lr_find_command(tmp_path, capsys):
    png = tmp_path / "lr.png"
    assert (
        main(
            [
                "lr-find",
                "--dataset",
                "digits",
                "--model",
                "fastnet_fmnist",
                "--batch-size",
                "32",
                "--steps",
                "20",
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    assert "suggested learning rate" in capsys.readouterr().out
    assert png.is_file()


def test_unknown_augmentation_op_is_refused_before_anything_is_written(tmp_path, capsys):
    aug = tmp_path / "aug.yaml"
    aug.write_text("- {name: BatchHorizontalFlop}\n")
    out = tmp_path / "run"
    assert main(["train", "--dataset", "digits", "--recipe", "fast", "--augment", str(aug), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown batch op 'BatchHorizontalFlop'" in err and "BatchHorizontalFlip" in err
    assert not out.exists()


def test_an_ensemble_run_trains_each_member_in_its_folder_and_resumes(tmp_path, capsys):
    out = tmp_path / "ens"
    code = main(
        [
            "train",
            "--dataset",
            "digits",
            "--model",
            "fastnet_fmnist",
            "--epochs",
            "1",
            "--ensemble",
            "2",
            "--batch-size",
            "32",
            "--lr",
            "0.01",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "test accuracy" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ensemble"] == 2 and summary["members"] == ["member-1", "member-2"]
    assert summary["num_params"] == 2 * sum(
        p.numel() for p in create_model("fastnet_fmnist", num_classes=10, in_chans=1).parameters()
    )
    for k in (1, 2):  # each member's best.pt loads into the zoo model as it is
        create_model("fastnet_fmnist", num_classes=10, in_chans=1, weights=out / f"member-{k}" / "best.pt")
    assert [json.loads(x)["member"] for x in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    report = (out / "report.html").read_text()
    assert "x2 (averaged)" in report and "member" in report
    assert main(["train", "--resume", str(out), "--quiet"]) == 0  # finished: reloads both members, re-evaluates
    assert json.loads((out / "summary.json").read_text())["test_accuracy"] == summary["test_accuracy"]
    # an ensemble has no single best.pt: transfer says which member folder to use instead
    assert main(["finetune", "--dataset", "digits", "--weights", str(out), "--out", str(tmp_path / "ft")]) == 2
    assert f"take one of its networks, e.g. {out / 'member-1'}" in capsys.readouterr().err
