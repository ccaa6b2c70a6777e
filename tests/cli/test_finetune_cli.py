"""``vistakit finetune`` through the entry point, on scikit-learn's digits (offline, 8x8)."""

from __future__ import annotations

import json

import pytest

from vistakit.cli import main
from vistakit.engine._checkpoint import load_training_checkpoint

FAST = ["--dataset", "digits", "--amp", "off", "--batch-size", "32", "--quiet"]


pytestmark = pytest.mark.usefixtures("one_thread")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_scratch_then_transfer_from_the_run_dir(tmp_path, capsys):
    src = tmp_path / "src"
    code, out, err = run(
        capsys,
        "finetune",
        *FAST,
        "--model",
        "fastnet_fmnist",
        "--freeze",
        "none",
        "--head-epochs",
        "2",
        "--labels-per-class",
        "10",
        "--out",
        src,
    )
    assert code == 0, err
    assert "from scratch: test accuracy" in out and "100 training images" in out
    for name in ("config.yaml", "metrics.jsonl", "best.pt", "summary.json", "report.html"):
        assert (src / name).is_file(), name
    summary = json.loads((src / "summary.json").read_text())
    assert summary["evaluated_images"] == 297 and summary["labels_per_class"] == 10

    # --weights RUN_DIR: the model comes from the run; head phase, then two stages unfrozen
    ft = tmp_path / "ft"
    code, out, err = run(
        capsys,
        "finetune",
        *FAST,
        "--weights",
        src,
        "--freeze",
        "stages:1",
        "--head-epochs",
        "1",
        "--unfreeze-epochs",
        "1",
        "--unfreeze-stages",
        "2",
        "--lr-mult",
        "0.5",
        "--bn-stats",
        "frozen",
        "--labels-per-class",
        "5",
        "--out",
        ft,
    )
    assert code == 0, err
    assert "fine-tuned: test accuracy" in out
    assert [json.loads(x)["phase"] for x in (ft / "metrics.jsonl").read_text().splitlines()] == ["head", "unfreeze"]
    ck = load_training_checkpoint(ft / "unfreeze" / "checkpoint.pt")
    lrs = {g["name"]: g["lr_scale"] for g in ck["optimizer"]["param_groups"]}
    assert lrs == {
        "stage1": 0.25,
        "stage1.no_decay": 0.25,
        "stage2": 0.5,
        "stage2.no_decay": 0.5,
        "head": 1.0,
        "head.no_decay": 1.0,
    }
    facts = load_training_checkpoint(ft / "best.pt")["meta"]
    assert facts["model"] == "fastnet_fmnist" and facts["freeze_bn_stats"] is True

    # the same folder again: refused without --overwrite, and left as it was
    before = (ft / "best.pt").read_bytes()
    code, out, err = run(capsys, "finetune", *FAST, "--weights", src, "--out", ft)
    assert code == 2 and "already holds a run" in err and "--overwrite" in err
    assert (ft / "best.pt").read_bytes() == before
    # a model that is not the run's
    code, out, err = run(
        capsys, "finetune", *FAST, "--weights", src, "--model", "mobilenet_v2", "--out", tmp_path / "x"
    )
    assert code == 2 and "holds a fastnet_fmnist checkpoint" in err
    assert not (tmp_path / "x").exists()


def test_linear_probe_caches_its_features(tmp_path, capsys):
    out_dir = tmp_path / "probe"
    args = [
        "finetune",
        *FAST,
        "--model",
        "mobilenet_v2",
        "--weights",
        "imagenet",
        "--image-size",
        "32",
        "--labels-per-class",
        "5",
        "--linear-probe",
        "--out",
        out_dir,
    ]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "linear probe: test accuracy" in out and "from the cache" not in out
    assert (out_dir / "features_train.npz").is_file() and (out_dir / "features_test.npz").is_file()
    first = json.loads((out_dir / "summary.json").read_text())
    code, out, err = run(capsys, *args, "--overwrite")
    assert code == 0, err
    assert "features read from the cache: train, test" in out
    again = json.loads((out_dir / "summary.json").read_text())
    assert again["test_accuracy"] == first["test_accuracy"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--model", "fastnet_fmnst"], "did you mean fastnet_fmnist"),
        (["--model", "fastnet_fmnist", "--freeze", "layers:2"], "not understood"),
        (["--model", "mobilenet_v2", "--weights", "imagenett"], "no weights 'imagenett'"),
        (["--model", "fastnet_fmnist", "--head-epochs", "0"], "nothing to train"),
    ],
)
def test_clear_errors(tmp_path, capsys, argv, message):
    code, out, err = run(capsys, "finetune", *FAST, *argv, "--out", tmp_path / "run")
    assert code == 2 and message in err
    assert not (tmp_path / "run").exists()


def test_unknown_dataset_and_help(tmp_path, capsys):
    code, out, err = run(
        capsys, "finetune", "--dataset", "fashion_mnistt", "--model", "fastnet_fmnist", "--out", tmp_path / "run"
    )
    assert code == 2 and "fashion" in err
    with pytest.raises(SystemExit):
        main(["finetune", "--help"])
    out = capsys.readouterr().out
    assert "vistakit finetune --dataset fashion-mnist --model efficientnet_lite0 --weights imagenet" in out
    assert "--bn-stats" in out and "--linear-probe" in out
