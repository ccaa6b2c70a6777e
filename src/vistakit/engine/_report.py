"""The end of a run: test metrics for summary.json and report.html.

The quality sections (the classification report as a table, cross-entropy with its
reading, confusion matrix, calibration, most-confident mistakes) are
:mod:`vistakit.metrics`'s; this module adds the learning curves and the run's facts.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import torch


def as_probabilities(probs: torch.Tensor) -> torch.Tensor:
    """float64 rows that sum to 1 to float64 precision (float32 softmax rows are off by ~1e-7)."""
    p = probs.double().clamp_min(0)
    return p / p.sum(1, keepdim=True)


def score_predictions(probs: torch.Tensor, targets: torch.Tensor) -> dict[str, Any]:
    """Accuracy, macro F1 and cross-entropy (with its plain-language reading) of test predictions."""
    from ..metrics import accuracy, cross_entropy_reading, f1_score, log_loss

    p = as_probabilities(probs).numpy()
    t = targets.numpy()
    k = p.shape[1]
    ce = float(log_loss(t, p, num_classes=k))
    return {
        "test_accuracy": float(accuracy(t, p.argmax(1))),
        "macro_f1": float(f1_score(t, p.argmax(1), average="macro", num_classes=k, zero_division=0)),
        "cross_entropy": ce,
        "cross_entropy_reading": cross_entropy_reading(ce),
    }


def learning_curves_png(history: Sequence[dict[str, Any]]) -> bytes:
    """Loss and accuracy per epoch (train and validation) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    members = sorted({r.get("member", 0) for r in history})  # an ensemble: one set of curves per network
    for member in members:
        rows = [r for r in history if r.get("member", 0) == member]
        epochs = [r["epoch"] for r in rows]
        tag = f"member {member} " if member else ""
        ax1.plot(epochs, [r["train_loss"] for r in rows], "o-", label=f"{tag}train", markersize=3)
        ax2.plot(epochs, [r["train_accuracy"] for r in rows], "o-", label=f"{tag}train (augmented)", markersize=3)
        if any(r["val_loss"] is not None for r in rows):
            ax1.plot(epochs, [r["val_loss"] for r in rows], "o-", label=f"{tag}validation", markersize=3)
        if any(r["val_accuracy"] is not None for r in rows):
            ax2.plot(epochs, [r["val_accuracy"] for r in rows], "o-", label=f"{tag}validation", markersize=3)
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("cross-entropy")
    ax1.legend(fontsize="small")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("accuracy")
    ax2.legend(fontsize="small")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def render_report(
    *,
    title: str,
    summary: dict[str, Any],
    history: Sequence[dict[str, Any]],
    probs: torch.Tensor,
    targets: torch.Tensor,
    images: torch.Tensor | None,
    class_names: Sequence[str] | None,
) -> str:
    """The run's self-contained HTML report (``RunDir.write_report`` writes it).

    Sections: the run's facts (a key/value table of ``summary``'s plain values), the learning
    curves (when there is a history), then the evaluated set: the classification report as a
    table, cross-entropy, confusion matrix, per-class scores, calibration and mistakes.
    """
    from ..metrics import HtmlReport, add_classification_sections

    report = HtmlReport(title)
    report.add_heading("Run")
    report.add_table([[k, _fmt_value(v)] for k, v in summary.items() if _is_fact(v)], header=["", "value"])
    if history:
        report.add_heading("Learning curves")
        report.add_png(
            learning_curves_png(history),
            caption="Per epoch; validation with the evaluated weights (EMA when on).",
            alt="learning curves",
        )
        member = ["member"] if any("member" in r for r in history) else []
        report.add_table(
            [
                [
                    *([r.get("member", "-")] if member else []),
                    r["epoch"],
                    _fmt(r["train_loss"]),
                    _fmt(r["val_loss"]),
                    _fmt(r["val_accuracy"]),
                    f"{r['lr']:.3g}",
                    f"{r['seconds']:.1f}",
                ]
                for r in history
            ],
            header=[*member, "epoch", "train loss", "val loss", "val accuracy", "lr", "seconds"],
        )
    evaluated = summary.get("evaluated_on", "test")
    report.add_heading(f"{evaluated.capitalize()} set")
    report.add_paragraph(
        f"{len(targets):,} images of the {evaluated} split, scored with the evaluated weights"
        + (" and flip TTA" if summary.get("tta") else "")
        + "."
    )
    imgs = None if images is None else images.numpy()
    add_classification_sections(
        report,
        targets.numpy(),
        y_prob=as_probabilities(probs).numpy(),
        target_names=list(class_names) if class_names else None,
        images=imgs,
        digits=4,
        level=3,
    )
    return report.render()


def _is_fact(v: Any) -> bool:
    """A value for the run's key/value table: a number, a short line, or a list of such
    (the classification report has its own table; nested records have no cell)."""
    if isinstance(v, str):
        return "\n" not in v
    if isinstance(v, list):
        return all(_is_fact(x) and not isinstance(x, list) for x in v)
    return not isinstance(v, dict)


def _fmt_value(v: Any) -> str:
    return ", ".join(_fmt(x) for x in v) if isinstance(v, list) else _fmt(v)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)
