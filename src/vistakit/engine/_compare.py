"""Few-label comparisons: test accuracy against labelled images per class, for several ways to train.

:func:`compare_label_budgets` runs :func:`finetune` once per (method, labels per class, repeat)
on nested labelled subsets (:func:`labelled_subset`: for a seed the 10-label set lies inside
the 30-label set) and collects test accuracy and seconds into a :class:`Comparison`, which
writes a plot, a Markdown table, JSON and an HTML page. Each :class:`Method` is a set of
:func:`finetune` arguments, so any transfer (a published backbone, a RUN_DIR, a linear probe)
can be compared with training from scratch; :func:`available_pretrained` says which published
weights are on this machine.

The experiments built on it live outside the library: ``benchmarks/transfer.py`` (ImageNet
backbones against training from scratch on Fashion-MNIST; a Fashion-MNIST backbone moved to
scikit-learn's digits) and ``vistakit demo`` (small versions of both).
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import Subset
from tqdm.auto import tqdm

from .._files import atomic_write
from ._finetune import FinetuneConfig, finetune
from ._prepared import dataset_targets, labelled_subset


@dataclass(frozen=True)
class Method:
    """One way to train, as :func:`finetune` arguments.

    Attributes:
        name: shown in tables and the plot.
        model: registry name (None: the RUN_DIR's model given as ``weights``).
        weights: None (from scratch), a published tag, a checkpoint file or a RUN_DIR.
        options: :class:`FinetuneConfig` fields (freeze, epochs, lr, image_size, train...);
            the seed is the comparison's.
    """

    name: str
    model: str | None
    weights: str | os.PathLike | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    """Results of :func:`compare_label_budgets`.

    Attributes:
        rows: one dict per run: method, labels_per_class, repeat, train_images,
            accuracy, macro_f1, seconds (wall time of the run, evaluation included).
        title: heading of the report and the plot.
        notes: lines for the report (settings, what was cached...).
        test_images: images the accuracy is measured on.
    """

    rows: list[dict[str, Any]]
    title: str
    notes: list[str] = field(default_factory=list)
    test_images: int = 0

    def methods(self) -> list[str]:
        return list(dict.fromkeys(r["method"] for r in self.rows))

    def budgets(self) -> list[int]:
        return sorted({r["labels_per_class"] for r in self.rows})

    def table(self) -> list[dict[str, Any]]:
        """Mean and standard deviation over repeats, per (method, labels per class)."""
        out = []
        for m in self.methods():
            for k in self.budgets():
                runs = [r for r in self.rows if r["method"] == m and r["labels_per_class"] == k]
                if not runs:
                    continue
                acc = np.array([r["accuracy"] for r in runs])
                out.append(
                    {
                        "method": m,
                        "labels_per_class": k,
                        "repeats": len(runs),
                        "accuracy": float(acc.mean()),
                        "accuracy_std": float(acc.std()),
                        "seconds": float(np.mean([r["seconds"] for r in runs])),
                    }
                )
        return out

    def accuracy(self, method: str, labels_per_class: int) -> float:
        """Mean test accuracy of ``method`` at ``labels_per_class``."""
        for r in self.table():
            if r["method"] == method and r["labels_per_class"] == labels_per_class:
                return r["accuracy"]
        raise KeyError(f"no runs of {method!r} with {labels_per_class} labels per class")

    def markdown(self) -> str:
        """Test accuracy (and seconds per run) as a Markdown table: methods down, labels per class across."""
        table = {(r["method"], r["labels_per_class"]): r for r in self.table()}
        ks = self.budgets()
        lines = ["| method | " + " | ".join(f"{k}/class" for k in ks) + " |", "|---|" + "---:|" * len(ks)]
        for m in self.methods():
            cells = []
            for k in ks:
                r = table.get((m, k))
                if r is None:
                    cells.append("-")
                    continue
                std = f" ± {100 * r['accuracy_std']:.1f}" if r["repeats"] > 1 else ""
                cells.append(f"{100 * r['accuracy']:.1f}%{std} ({r['seconds']:.0f} s)")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def plot_png(self) -> bytes:
        """Accuracy against labels per class (log scale), one line per method, as a PNG."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.2))
        rows = self.table()
        for m in self.methods():
            pts = [r for r in rows if r["method"] == m]
            ks = [r["labels_per_class"] for r in pts]
            acc = np.array([100 * r["accuracy"] for r in pts])
            std = np.array([100 * r["accuracy_std"] for r in pts])
            (line,) = ax.plot(ks, acc, "o-", label=m)
            if any(r["repeats"] > 1 for r in pts):
                ax.fill_between(ks, acc - std, acc + std, alpha=0.15, color=line.get_color())
        ax.set_xscale("log")
        ks = self.budgets()
        ax.set_xticks(ks)
        ax.set_xticklabels([str(k) for k in ks])
        ax.set_xlabel("labelled training images per class")
        ax.set_ylabel(f"test accuracy (%, {self.test_images:,} images)")
        ax.set_title(self.title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        return buf.getvalue()

    def save(self, out_dir: str | os.PathLike, *, stem: str = "comparison") -> dict[str, Path]:
        """Write ``{stem}.png``, ``{stem}.md``, ``{stem}.json`` and ``{stem}.html`` into ``out_dir``."""
        from ..metrics import HtmlReport

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        png = self.plot_png()
        paths = {
            "png": out / f"{stem}.png",
            "md": out / f"{stem}.md",
            "json": out / f"{stem}.json",
            "html": out / f"{stem}.html",
        }
        atomic_write(paths["png"], png)
        atomic_write(
            paths["md"], f"# {self.title}\n\n" + self.markdown() + "".join(f"\n- {n}" for n in self.notes) + "\n"
        )
        atomic_write(
            paths["json"],
            json.dumps(
                {
                    "title": self.title,
                    "notes": self.notes,
                    "test_images": self.test_images,
                    "table": self.table(),
                    "rows": self.rows,
                },
                indent=2,
            )
            + "\n",
        )
        report = HtmlReport(self.title)
        report.add_png(
            png,
            caption="Test accuracy against labelled training images per class "
            "(mean over repeats; the band is one standard deviation).",
            alt="accuracy against labels per class",
        )
        report.add_heading("Accuracy (seconds per run)")
        ks = self.budgets()
        table = {(r["method"], r["labels_per_class"]): r for r in self.table()}
        report.add_table(
            [[m] + [_cell(table.get((m, k))) for k in ks] for m in self.methods()],
            header=["method"] + [f"{k} / class" for k in ks],
        )
        if self.notes:
            report.add_heading("Settings")
            for n in self.notes:
                report.add_paragraph(n)
        report.save(paths["html"])
        return paths


def _cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    std = f" ± {100 * r['accuracy_std']:.1f}" if r["repeats"] > 1 else ""
    return f"{100 * r['accuracy']:.1f}%{std} ({r['seconds']:.1f} s)"


def compare_label_budgets(
    methods: Sequence[Method],
    train: Any,
    test: Any,
    *,
    labels_per_class: Sequence[int],
    repeats: int = 1,
    seed: int = 0,
    title: str = "Accuracy against labelled images per class",
    feature_cache: str | os.PathLike | None = None,
    progress: bool = False,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> Comparison:
    """Train every method on ``labels_per_class[i]`` labelled images per class and test it.

    Args:
        methods: the ways to train.
        train: training split (the labelled subsets are drawn from it).
        test: the test split every run is scored on.
        labels_per_class: labelled images per class.
        repeats: subsets per budget (seeds ``seed``, ``seed + 1``, ...); all methods see
            the same subsets.
        seed: first seed.
        title: of the plot and the report.
        feature_cache: folder for cached features (one subfolder per method), so linear
            probes and probe-initialised heads compute each image's features once.
        progress: one progress bar over all the runs (each run's own training is silent:
            a comparison of many short runs would otherwise print a bar and a line per epoch).
        on_run: called with each row as it is measured (e.g. to print it; the progress bar
            steps aside while it runs).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    targets = dataset_targets(train)
    smallest = int(np.bincount(targets.numpy()).min())
    too_many = [k for k in labels_per_class if k > smallest]
    if too_many:
        raise ValueError(f"labels per class {too_many} exceed the {smallest} images of the smallest class")
    rows = []
    bar = tqdm(
        total=len(labels_per_class) * repeats * len(methods),
        desc="comparison",
        unit="run",
        disable=not progress,
        dynamic_ncols=True,
        leave=False,
    )
    for k in labels_per_class:
        for rep in range(repeats):
            s = seed + rep
            idx = labelled_subset(targets, per_class=k, seed=s)
            sub = Subset(train, idx.tolist())
            for m in methods:
                bar.set_postfix_str(f"{m.name}, {k}/class" + (f", subset {rep + 1}/{repeats}" if repeats > 1 else ""))
                cache = None if feature_cache is None else Path(feature_cache) / _slug(m.name)
                t0 = time.perf_counter()
                res = finetune(
                    m.model,
                    sub,
                    None,
                    FinetuneConfig(**{**m.options, "seed": s}),
                    test=test,
                    weights=m.weights,
                    feature_cache=cache,
                    progress=False,
                )
                row = {
                    "method": m.name,
                    "labels_per_class": k,
                    "repeat": rep,
                    "train_images": len(sub),
                    "accuracy": res.summary["test_accuracy"],
                    "macro_f1": res.summary["macro_f1"],
                    "seconds": time.perf_counter() - t0,
                    "phase_seconds": res.summary["seconds"],
                }
                rows.append(row)
                bar.update(1)
                if on_run is not None:
                    with tqdm.external_write_mode():
                        on_run(row)
    bar.close()
    return Comparison(rows, title, test_images=len(test))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


# ----------------------------------------------------------------------------- published weights


def available_pretrained(names: Sequence[str], *, weights: str = "imagenet") -> tuple[list[str], list[str]]:
    """Which of ``names`` have their published ``weights`` on this machine (nothing is downloaded).

    Args:
        names: registry names.
        weights: the published tag.

    Returns:
        ``(usable, reasons)``: the usable names, and one line per other name saying why not.
    """
    from ..models import model_info, resolve_weights_file

    usable, reasons = [], []
    for name in names:
        try:
            spec = model_info(name)
            resolve_weights_file(spec, spec.get_weights(weights), download=False)
            usable.append(name)
        except (ValueError, FileNotFoundError, OSError) as e:
            reasons.append(f"{name} skipped: {str(e).splitlines()[0]}")
    return usable, reasons


__all__ = ["Comparison", "Method", "available_pretrained", "compare_label_budgets"]
