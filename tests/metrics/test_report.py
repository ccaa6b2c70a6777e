"""HTML report, prediction files and the ``vistakit evaluate`` command line."""

from __future__ import annotations

import base64
import csv
import re
import stat
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm

from vistakit import metrics as vm
from vistakit.cli import main

pytestmark = pytest.mark.filterwarnings("ignore")

NAMES = ["cat", "dog", "<bird>"]


def _predictions(n=120, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    z = rng.normal(size=(n, k))
    z[np.arange(n), y] += 1.2
    prob = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    return y, z, prob


def _pngs(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_html_report_is_self_contained_with_all_sections(tmp_path):
    y, _, prob = _predictions()
    images = np.random.default_rng(1).random((y.size, 1, 12, 12)).astype(np.float32)  # CHW floats
    page = vm.html_report(y, y_prob=prob, target_names=NAMES, images=images, path=tmp_path / "sub" / "r.html")
    assert (tmp_path / "sub" / "r.html").read_text(encoding="utf-8") == page
    assert stat.S_IMODE((tmp_path / "sub" / "r.html").stat().st_mode) & 0o044  # readable by others (umask)
    pngs = _pngs(page)
    assert len(pngs) == 4 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)  # cm, bars, reliability, mistakes
    for section in (
        "Classification report",
        "Cross-entropy",
        "Confusion matrix",
        "Per-class scores",
        "Calibration",
        "Most confident mistakes",
    ):
        assert f"<h2>{section}</h2>" in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    assert "&lt;bird&gt;" in page and "<bird>" not in page  # names are escaped
    ce = vm.log_loss(y, prob)
    assert f"Mean cross-entropy {ce:.4f} nats: {vm.cross_entropy_reading(ce)}." in page


def test_html_report_from_labels_only_and_builder():
    y, _, prob = _predictions(n=30)
    pred = prob.argmax(1)
    report = vm.HtmlReport("Run 7")
    numbers = vm.add_classification_sections(report, y, pred, images=np.zeros((30, 8, 8), np.uint8))
    report.add_heading("Training").add_table([["epochs", 3]], header=["setting", "value"])
    page = report.render()
    assert numbers["accuracy"] == vm.accuracy(y, pred) and "cross_entropy" not in numbers
    assert "Cross-entropy" not in page and "Calibration" not in page
    assert "the first mistakes in file order" in page and "<td>epochs</td><td>3</td>" in page
    assert len(_pngs(page)) == 3
    with pytest.raises(ValueError, match="target_names has 2 names but there are 3 classes"):
        vm.add_classification_sections(vm.HtmlReport("x"), y, y_prob=prob, target_names=["a", "b"])


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_cli_evaluate_npz_prints_report_and_cross_entropy(tmp_path, capsys):
    y, _, prob = _predictions()
    np.savez(tmp_path / "p.npz", y_true=y, y_prob=prob, target_names=np.array(NAMES))
    assert main(["evaluate", "--predictions", str(tmp_path / "p.npz"), "--html", str(tmp_path / "r.html")]) == 0
    out = capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = skm.classification_report(y, prob.argmax(1), target_names=NAMES, zero_division=0)
    assert expected in out
    ce = skm.log_loss(y, prob)
    assert f"cross-entropy: {ce:.4f} ({vm.cross_entropy_reading(ce)})" in out
    assert f"expected calibration error (15 bins): {vm.expected_calibration_error(y, prob):.4f}" in out
    assert "top-5" not in out  # only 3 classes
    assert len(_pngs((tmp_path / "r.html").read_text())) == 3


def test_cli_evaluate_csv_labels_and_probabilities(tmp_path, capsys):
    y, z, prob = _predictions(n=40, k=7, seed=3)
    pred = prob.argmax(1)
    _write_csv(tmp_path / "labels.csv", ["y_true", "y_pred"], zip(y, pred))
    assert main(["evaluate", "--predictions", str(tmp_path / "labels.csv"), "--digits", "3"]) == 0
    out = capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert skm.classification_report(y, pred, digits=3, zero_division=0) in out
    assert "cross-entropy: not available" in out

    names = [f"c{i}" for i in range(7)]
    _write_csv(tmp_path / "probs.csv", ["y_true", *names], [[t, *map(float, row)] for t, row in zip(y, prob)])
    assert main(["evaluate", "--predictions", str(tmp_path / "probs.csv")]) == 0
    out = capsys.readouterr().out
    assert "c6" in out and f"top-5 accuracy: {vm.top_k_accuracy(y, prob, k=5):.4f}" in out
    # names on the command line override the header; a file of names works too
    (tmp_path / "names.txt").write_text("\n".join(f"n{i}" for i in range(7)) + "\n")
    assert (
        main(["evaluate", "--predictions", str(tmp_path / "probs.csv"), "--target-names", str(tmp_path / "names.txt")])
        == 0
    )
    assert "          n6" in capsys.readouterr().out
    # logits in an .npz
    np.savez(tmp_path / "logits.npz", y_true=y, logits=z)
    assert main(["evaluate", "--predictions", str(tmp_path / "logits.npz")]) == 0
    assert f"cross-entropy: {vm.log_loss(y, z, from_logits=True):.4f}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "content, message",
    [
        ("y_true,y_pred\n0,1\n1,x\n", "line 3, column 'y_pred': 'x' is not a number"),
        ("y_true,a,b\n0,0.5,0.4\n1,0.2,0.8\n", r"line 2: the class probabilities sum to 0.9 \(off by 0.1\)"),
        ("y_true,y_pred\n0,1\n1.5,0\n", "line 3, column y_true: 1.5 is not a class label"),
        ("label,y_pred\n0,1\n", "no column 'y_true'"),
        ("y_true\n0\n", "needs a y_pred column"),
    ],
)
def test_cli_evaluate_reports_bad_files_with_line_and_column(tmp_path, capsys, content, message):
    (tmp_path / "bad.csv").write_text(content)
    assert main(["evaluate", "--predictions", str(tmp_path / "bad.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vistakit evaluate: error: ") and re.search(message, err), err


def test_cli_evaluate_other_errors(tmp_path, capsys):
    assert main(["evaluate", "--predictions", str(tmp_path / "missing.npz")]) == 2
    assert "no such file" in capsys.readouterr().err
    np.savez(tmp_path / "p.npz", y_true=[0, 1], y_pred=[0, 1])
    assert main(["evaluate", "--predictions", str(tmp_path / "p.npz"), "--images", "x.npz"]) == 2
    assert "give --html" in capsys.readouterr().err
    np.savez(tmp_path / "q.npz", y_true=[0, 1], y_prob=[[0.5, 0.5], [np.nan, 1.0]])
    assert main(["evaluate", "--predictions", str(tmp_path / "q.npz")]) == 2
    assert "sample 1, y_prob of class 0: nan is not a finite number" in capsys.readouterr().err
    np.savez(tmp_path / "imgs.npz", images=np.zeros((3, 4, 4)))
    assert (
        main(
            [
                "evaluate",
                "--predictions",
                str(tmp_path / "p.npz"),
                "--html",
                str(tmp_path / "r.html"),
                "--images",
                str(tmp_path / "imgs.npz"),
            ]
        )
        == 2
    )
    assert "3 images but 2 predictions" in capsys.readouterr().err


def test_cli_help_has_runnable_example(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    out = capsys.readouterr().out
    assert "vistakit evaluate --predictions preds.npz" in out and "--task" in out
