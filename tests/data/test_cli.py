"""``vistakit datasets ...`` through the CLI entry point."""

from __future__ import annotations

import pytest
from PIL import Image

from vistakit.cli import main

from ._formats import solid, write_image, write_mnist_like


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list(capsys):
    code, out, _ = run(capsys, "datasets", "list")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "TASK", "IMAGES", "CLASSES", "ON", "DISK"]
    by_name = {r.split()[0]: r for r in rows}
    assert set(by_name) >= {
        "mnist",
        "fashion-mnist",
        "cifar10",
        "cifar100",
        "imagefolder",
        "imagenet",
        "flowers102",
        "celeba",
        "digits",
    }
    assert "1,797" in by_name["digits"] and "yes (system)" in by_name["digits"]
    assert by_name["cifar10"].rstrip().endswith("no")


def test_info(capsys):
    code, out, _ = run(capsys, "datasets", "info", "fashion-mnist")
    assert code == 0
    assert "T-shirt/top, Trouser" in out and "Ankle boot" in out and "license: MIT" in out
    assert "8d4fb7e6c68d591d4c3dfef9ec88bf0d" in out and "train 60,000, test 10,000" in out
    code, _, err = run(capsys, "datasets", "info", "nope")
    assert code == 2 and "unknown dataset 'nope'" in err


def test_fetch(capsys, tmp_path):
    write_mnist_like(tmp_path)
    code, out, _ = run(capsys, "datasets", "fetch", "mnist", "--root", str(tmp_path), "--split", "test")
    assert code == 0 and "t10k-images-idx3-ubyte.gz" in out and "(root)" in out
    code, _, err = run(capsys, "datasets", "fetch", "cifar10", "--offline")
    assert (
        code == 2
        and "cifar-10-python.tar.gz" in err
        and "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in err
    )


def test_preview_writes_png(capsys, tmp_path):
    out_path = tmp_path / "grid.png"
    code, out, _ = run(
        capsys, "datasets", "preview", "digits", "--split", "test", "--out", str(out_path), "--per-class", "2"
    )
    assert code == 0 and "wrote" in out
    assert Image.open(out_path).format == "PNG"


def test_stats(capsys):
    code, out, _ = run(capsys, "datasets", "stats", "digits", "--split", "all")
    assert code == 0 and "1,797 images" in out and "mean (" in out and "class balance" in out


def test_check_exit_status(capsys, tmp_path):
    code, out, _ = run(capsys, "datasets", "check", "digits")
    assert code == 0 and "result: OK" in out
    for split in ("train", "test"):
        write_image(tmp_path / split / "x" / "0.png", solid(1))
    write_image(tmp_path / "train" / "y" / "0.png", solid(2))
    code, out, _ = run(capsys, "datasets", "check", "imagefolder", "--root", str(tmp_path))
    assert code == 1 and "leak train -> test: 1 image(s)" in out and "train[0]=test[0]" in out


@pytest.mark.parametrize("sub", ["list", "info", "fetch", "preview", "stats", "check"])
def test_every_subcommand_has_an_example(capsys, sub):
    with pytest.raises(SystemExit):
        main(["datasets", sub, "--help"])
    out = capsys.readouterr().out
    assert "vistakit datasets " + sub in out


def test_bare_datasets_prints_its_help(capsys):
    code, out, _ = run(capsys, "datasets")
    assert code == 2 and "SUBCOMMAND" in out and "preview" in out
