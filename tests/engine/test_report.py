"""The training report: the classification report is a table, and no section is empty.

A tiny synthetic run (history, summary, predictions) is rendered with ``render_report`` and the
page is parsed back: the table's cells are checked against scikit-learn's report, and every
heading against the content of its section.
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest
import sklearn.metrics as skm
import torch

from vistakit.engine._report import render_report
from vistakit.metrics import HtmlReport, classification_report

NAMES = ["cat", "dog", "<bird>"]


class _Page(HTMLParser):
    """The body as a flat list of blocks: ("h2", text), ("table", {"thead": rows, "tbody": rows, "tfoot": rows}),
    ("p", text), ("figure", alt) ..."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[tuple[str, object]] = []
        self._text: list[str] | None = None
        self._table: dict[str, list[list[str]]] | None = None
        self._part = "tbody"
        self._row: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self._in_body = True
        elif not self._in_body:
            return
        elif tag in ("h1", "h2", "h3", "h4", "p", "pre", "th", "td"):
            self._text = []
        elif tag == "table":
            self._table = {"thead": [], "tbody": [], "tfoot": []}
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr":
            self._row = []
        elif tag == "img":
            self.blocks.append(("figure", dict(attrs)["alt"]))

    def handle_endtag(self, tag):
        if not self._in_body:
            return
        if tag in ("h1", "h2", "h3", "h4", "p", "pre"):
            self.blocks.append((tag, "".join(self._text)))
            self._text = None
        elif tag in ("th", "td"):
            self._row.append("".join(self._text))
            self._text = None
        elif tag == "tr":
            self._table[self._part].append(self._row)
        elif tag == "table":
            self.blocks.append(("table", self._table))
            self._table, self._part = None, "tbody"

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def _parse(page: str) -> list[tuple[str, object]]:
    parser = _Page()
    parser.feed(page)
    return parser.blocks


def _sections(blocks) -> dict[str, list]:
    """Each h2/h3 heading -> the blocks of its section (up to the next heading of its level or above)."""
    out = {}
    for i, (tag, text) in enumerate(blocks):
        if tag in ("h2", "h3"):
            level, body = int(tag[1]), []
            for other, value in blocks[i + 1 :]:
                if other in ("h1", "h2", "h3") and int(other[1]) <= level:
                    break
                body.append((other, value))
            out[text] = body
    return out


def _run(n=90, seed=0, history=True):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    z = rng.normal(size=(n, 3))
    z[np.arange(n), y] += 1.5
    probs = torch.from_numpy(z).softmax(1).float()
    report_text = classification_report(y, probs.argmax(1).numpy(), target_names=NAMES, digits=4)
    summary = {
        "dataset": "toy",
        "model": "fastnet_fmnist",
        "recipe": "fast",
        "epochs": 2,
        "best_epoch": 2,
        "best_val_accuracy": None,
        "test_accuracy": 0.8,
        "classification_report": report_text,
        "image_size": [12, 12],
        "num_params": 107_962,
        "member_val_accuracy": [0.7, 0.75],
        "evaluated_on": "test",
        "tta": True,
        "nested": {"a": 1},
    }
    rows = [
        {
            "epoch": e,
            "train_loss": 1.0 / e,
            "train_accuracy": 0.5 + 0.1 * e,
            "val_loss": None,
            "val_accuracy": None,
            "lr": 0.01,
            "seconds": 1.5,
            "images_per_second": 60.0,
        }
        for e in (1, 2)
    ]
    images = torch.from_numpy(rng.integers(0, 255, (n, 1, 12, 12), dtype=np.uint8))
    return dict(
        summary=summary,
        history=rows if history else [],
        probs=probs,
        targets=torch.from_numpy(y),
        images=images,
        class_names=NAMES,
    )


def test_the_classification_report_is_a_table_with_the_averages_below(tmp_path):
    run = _run()
    (tmp_path / "report.html").write_text(render_report(title="toy run", **run))
    blocks = _parse((tmp_path / "report.html").read_text(encoding="utf-8"))
    section = _sections(blocks)["Classification report"]
    assert [tag for tag, _ in section] == ["table"]  # the table, no preformatted text
    table = section[0][1]
    assert table["thead"] == [["class", "precision", "recall", "F1", "support"]]
    y, pred = run["targets"].numpy(), run["probs"].argmax(1).numpy()
    ref = skm.classification_report(y, pred, target_names=NAMES, output_dict=True, zero_division=0)
    assert [row[0] for row in table["tbody"]] == NAMES  # "<bird>" escaped in the page, plain text once parsed
    for row in table["tbody"]:
        want = ref[row[0]]
        assert row[1:] == [
            f"{want['precision']:.4f}",
            f"{want['recall']:.4f}",
            f"{want['f1-score']:.4f}",
            f"{want['support']:.0f}",
        ]
    assert [row[0] for row in table["tfoot"]] == ["accuracy", "macro avg", "weighted avg"]
    assert table["tfoot"][0] == ["accuracy", "", "", f"{ref['accuracy']:.4f}", "90"]
    assert table["tfoot"][1][1:4] == [f"{ref['macro avg'][k]:.4f}" for k in ("precision", "recall", "f1-score")]
    # the run's facts no longer carry the report as a flattened string, nor nested records
    facts = {row[0]: row[1] for row in _sections(blocks)["Run"][0][1]["tbody"]}
    assert "classification_report" not in facts and "nested" not in facts
    assert facts["image_size"] == "12, 12" and facts["best_val_accuracy"] == "-" and facts["model"] == "fastnet_fmnist"
    assert facts["num_params"] == "107,962" and facts["tta"] == "True"


@pytest.mark.parametrize("history", [True, False])
def test_every_section_of_the_report_has_content(tmp_path, history):
    (tmp_path / "report.html").write_text(render_report(title="toy run", **_run(history=history)))
    blocks = _parse((tmp_path / "report.html").read_text(encoding="utf-8"))
    sections = _sections(blocks)
    assert all(body for body in sections.values()), [h for h, body in sections.items() if not body]
    expected = {
        "Run",
        "Test set",
        "Classification report",
        "Cross-entropy",
        "Confusion matrix",
        "Per-class scores",
        "Calibration",
        "Most confident mistakes",
    } | ({"Learning curves"} if history else set())
    assert set(sections) == expected
    # the evaluated set's own heading says what was scored, its quality sections sit under it
    assert sections["Test set"][0] == (
        "p",
        "90 images of the test split, scored with the evaluated weights and flip TTA.",
    )
    assert ("h3", "Classification report") in sections["Test set"]
    if history:
        assert [tag for tag, _ in sections["Learning curves"]] == ["figure", "table"]


def test_a_heading_with_nothing_under_it_is_left_out():
    report = HtmlReport("t")
    report.add_heading("Empty")
    report.add_heading("Parent")  # holds only a sub-section with content: kept
    report.add_heading("Child", level=3).add_paragraph("child text")
    report.add_heading("Empty child", level=3)
    report.add_heading("Last")
    report.add_table([["a", 1]], header=["k", "v"], footer=[["total", 1]])
    report.add_heading("Trailing")
    blocks = _parse(report.render())
    headings = [text for tag, text in blocks if tag in ("h2", "h3")]
    assert headings == ["Parent", "Child", "Last"]
    table = [value for tag, value in blocks if tag == "table"][0]
    assert table == {"thead": [["k", "v"]], "tbody": [["a", "1"]], "tfoot": [["total", "1"]]}
