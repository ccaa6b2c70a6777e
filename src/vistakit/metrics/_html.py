"""Self-contained HTML reports: text, tables and matplotlib figures as base64 PNG in one file.

:class:`HtmlReport` is a small builder (headings, paragraphs, tables,
preformatted text, figures) that renders one HTML file with no external
files, so it can be mailed or attached to a run. The figure functions return
matplotlib ``Figure`` objects drawn with the Agg backend (no display, no
pyplot state), so other reports (training) can reuse them.

:func:`add_classification_sections` adds the standard quality sections of a
classifier: the classification report as a table (per-class precision, recall,
F1 and support, then the averages), cross-entropy with its reading, the
confusion matrix as a heat map, per-class bars, the reliability diagram and a
grid of the most confident mistakes (when images are given). :func:`html_report`
builds a whole report from predictions in one call.

A page never shows an empty section: a heading with nothing under it before the
next heading of its level (or above) is left out when the page is rendered.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._calibration import ReliabilityCurve, reliability_curve
from ._classification import confusion_matrix, precision_recall_fscore_support
from ._crossentropy import CROSS_ENTROPY_BANDS, cross_entropy_reading, log_loss
from ._report import classification_report
from ._validation import ArrayLike, as_numpy, check_same_length, to_int_labels

__all__ = [
    "HtmlReport",
    "add_classification_sections",
    "confusion_matrix_figure",
    "html_report",
    "mistakes_figure",
    "per_class_figure",
    "reliability_figure",
]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #eee; }
pre { background: #f6f8fa; padding: .8em 1em; overflow-x: auto; font-size: 90%; }
table { border-collapse: collapse; margin: .6em 0; }
td, th { border: 1px solid #ddd; padding: .25em .7em; text-align: right; }
th { background: #f6f8fa; } td:first-child, th:first-child { text-align: left; }
tfoot td { background: #fafbfc; } tfoot tr:first-child td { border-top: 2px solid #bbb; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 90%; }
.meta { color: #777; font-size: 85%; }
"""


def _new_figure(width: float, height: float, layout: str | None = "constrained"):
    from matplotlib.figure import Figure  # Agg is the default canvas of a bare Figure: no display needed

    return Figure(figsize=(width, height), dpi=100, layout=layout)


def _png(fig: Any, dpi: int = 100) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class HtmlReport:
    """Builder of one self-contained HTML page.

    Example::

        report = HtmlReport("Evaluation")
        report.add_heading("Scores")
        report.add_table([["accuracy", "0.91"]], header=["metric", "value"])
        report.add_figure(confusion_matrix_figure(cm))
        report.save("report.html")
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._parts: list[str] = []
        self._levels: list[int | None] = []  # per part: its heading level, None for content

    def _add(self, fragment: str, *, level: int | None = None) -> HtmlReport:
        self._parts.append(fragment)
        self._levels.append(level)
        return self

    def add_heading(self, text: str, *, level: int = 2) -> HtmlReport:
        """Start a section (left out of the page if nothing is added under it)."""
        level = min(max(int(level), 1), 6)
        return self._add(f"<h{level}>{html.escape(text)}</h{level}>", level=level)

    def add_paragraph(self, text: str) -> HtmlReport:
        return self._add(f"<p>{html.escape(text)}</p>")

    def add_preformatted(self, text: str) -> HtmlReport:
        return self._add(f"<pre>{html.escape(text)}</pre>")

    def add_table(
        self,
        rows: Sequence[Sequence[Any]],
        *,
        header: Sequence[str] | None = None,
        footer: Sequence[Sequence[Any]] = (),
    ) -> HtmlReport:
        """A table of ``rows`` (cells as text, escaped); ``footer`` rows (totals, averages) close it."""

        def tr(cells: Sequence[Any], tag: str = "td") -> str:
            return "<tr>" + "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in cells) + "</tr>"

        out = ["<table>"]
        if header:
            out.append("<thead>" + tr(header, "th") + "</thead>")
        out.append("<tbody>" + "".join(tr(row) for row in rows) + "</tbody>")
        if footer:
            out.append("<tfoot>" + "".join(tr(row) for row in footer) + "</tfoot>")
        out.append("</table>")
        return self._add("".join(out))

    def add_png(self, png: bytes, *, caption: str | None = None, alt: str = "") -> HtmlReport:
        data = base64.b64encode(png).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        return self._add(
            f'<figure><img alt="{html.escape(alt or caption or "figure")}" src="data:image/png;base64,{data}">{cap}</figure>'
        )

    def add_figure(self, fig: Any, *, caption: str | None = None, alt: str = "", dpi: int = 100) -> HtmlReport:
        """Embed a matplotlib figure as a PNG."""
        return self.add_png(_png(fig, dpi), caption=caption, alt=alt)

    def add_html(self, fragment: str) -> HtmlReport:
        """Add raw, trusted HTML (escape anything user-given yourself)."""
        return self._add(fragment)

    def _shown(self) -> list[str]:
        """The parts to render: all content, and each heading whose section holds some (its section
        runs to the next heading of its level or above, so content under a sub-heading counts)."""
        shown = []
        for i, (part, level) in enumerate(zip(self._parts, self._levels)):
            if level is not None:
                section = itertools.takewhile(lambda lv: lv is None or lv > level, self._levels[i + 1 :])
                if not any(lv is None for lv in section):
                    continue
            shown.append(part)
        return shown

    def render(self) -> str:
        stamp = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        body = "\n".join(self._shown())
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            f"<h1>{html.escape(self.title)}</h1>\n{body}\n"
            f'<p class="meta">made by vistakit on {stamp}</p>\n</body></html>\n'
        )

    def save(self, path: str | Path) -> Path:
        """Write the page (atomically) and return its path."""
        from .._files import atomic_write

        path = Path(path)
        atomic_write(path, self.render().encode("utf-8"))
        return path


# --------------------------------------------------------------------------- figures


def _names(n: int, target_names: Sequence[str] | None) -> list[str]:
    return [str(v) for v in target_names] if target_names is not None else [str(i) for i in range(n)]


def confusion_matrix_figure(cm: np.ndarray, *, target_names: Sequence[str] | None = None, normalize: bool = True):
    """Heat map of a confusion matrix (rows: true class, columns: predicted).

    Args:
        cm: (K, K) counts.
        target_names: K class names (tick labels up to 50 classes).
        normalize: colour by the share of each true class (row), so rare
            classes show as clearly as common ones; the counts are written in
            the cells up to 25 classes.
    """
    cm = np.asarray(cm)
    k = cm.shape[0]
    names = _names(k, target_names)
    with np.errstate(invalid="ignore", divide="ignore"):
        shown = np.nan_to_num(cm / cm.sum(axis=1, keepdims=True)) if normalize else cm
    side = min(max(4.5, 0.45 * k + 2.5), 14)
    fig = _new_figure(side + 1, side)
    ax = fig.add_subplot()
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label="share of the true class" if normalize else "samples")
    if k <= 50:
        ax.set_xticks(range(k), names, rotation=90 if k > 8 else 45, ha="right" if k <= 8 else "center", fontsize=8)
        ax.set_yticks(range(k), names, fontsize=8)
    if k <= 25:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(
                        j,
                        i,
                        f"{cm[i, j]:g}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if shown[i, j] > 0.5 * (shown.max() or 1) else "black",
                    )
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix")
    return fig


def per_class_figure(
    precision: np.ndarray, recall: np.ndarray, f1: np.ndarray, *, target_names: Sequence[str] | None = None
):
    """Per-class precision, recall and F1 as grouped bars (sorted lines above 60 classes)."""
    p, r, f = (np.asarray(a, dtype=float) for a in (precision, recall, f1))
    k = p.size
    names = _names(k, target_names)
    if k <= 60:
        fig = _new_figure(min(max(6, 0.35 * k + 3), 16), 4.2)
        ax = fig.add_subplot()
        x = np.arange(k)
        width = 0.27
        ax.bar(x - width, p, width, label="precision", color="#4c72b0")
        ax.bar(x, r, width, label="recall", color="#55a868")
        ax.bar(x + width, f, width, label="F1", color="#c44e52")
        ax.set_xticks(x, names, rotation=90 if k > 10 else 0, fontsize=8)
        ax.set_xlim(-0.6, k - 0.4)
    else:
        order = np.argsort(f)
        fig = _new_figure(10, 4.2)
        ax = fig.add_subplot()
        ax.plot(p[order], ".", ms=2, label="precision", color="#4c72b0")
        ax.plot(r[order], ".", ms=2, label="recall", color="#55a868")
        ax.plot(f[order], "-", label="F1", color="#c44e52")
        ax.set_xlabel(f"{k} classes, sorted by F1")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("Per-class scores")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return fig


def reliability_figure(curve: ReliabilityCurve):
    """Reliability diagram: accuracy against confidence per bin, with the sample count below."""
    fig = _new_figure(5.5, 6)
    ax, ax_count = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    edges = curve.edges
    width = np.diff(edges)
    filled = curve.count > 0
    ax.bar(
        edges[:-1][filled],
        curve.accuracy[filled],
        width[filled],
        align="edge",
        color="#4c72b0",
        edgecolor="white",
        label="accuracy",
    )
    acc, conf = curve.accuracy[filled], curve.confidence[filled]
    ax.bar(
        edges[:-1][filled],
        np.abs(conf - acc),
        width[filled],
        bottom=np.minimum(acc, conf),
        align="edge",
        facecolor=(0.77, 0.31, 0.32, 0.25),
        edgecolor="#c44e52",
        hatch="//",
        lw=0.8,
        label="gap to mean confidence",
    )
    ax.plot([0, 1], [0, 1], "--", color="gray", lw=1, label="perfect calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability diagram (ECE {curve.ece:.4f})")
    ax.legend(loc="upper left", fontsize=8)
    ax_count.bar(edges[:-1], curve.count, width, align="edge", color="#8172b2", edgecolor="white")
    ax_count.set_xlabel("confidence of the predicted class")
    ax_count.set_ylabel("samples")
    return fig


def _display_image(img: np.ndarray) -> np.ndarray:
    """HWC or HW array ready for imshow: uint8 kept, floats scaled to [0, 1] when outside it."""
    if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
        img = np.moveaxis(img, 0, -1)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.dtype == np.uint8:
        return img
    img = img.astype(np.float64)
    lo, hi = float(img.min()), float(img.max())
    if lo < 0 or hi > 1:
        img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img


def mistakes_figure(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    confidence: np.ndarray | None = None,
    target_names: Sequence[str] | None = None,
    max_images: int = 24,
    columns: int = 6,
):
    """Grid of the most confident mistakes (or the first ones when there is no confidence).

    Args:
        images: (N, H, W), (N, H, W, C) or (N, C, H, W) images, uint8 or float.
        y_true: (N,) true labels; y_pred: (N,) predicted labels.
        confidence: (N,) confidence of each prediction, or None.
        target_names: class names for the titles.
        max_images: at most this many mistakes.
        columns: images per row.

    Returns:
        The figure, or None when there is no mistake.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)
    if wrong.size == 0:
        return None
    if confidence is not None:
        conf = np.asarray(confidence)
        wrong = wrong[np.argsort(-conf[wrong], kind="stable")]
    picked = wrong[:max_images]
    n = picked.size
    cols = min(columns, n)
    rows = (n + cols - 1) // cols
    # one mosaic image in one axes (a subplot per image is ~10x slower to draw)
    tiles = [_as_rgb(_display_image(np.asarray(images[i]))) for i in picked]
    h = max(t.shape[0] for t in tiles)
    w = max(t.shape[1] for t in tiles)
    pad, top = max(2, w // 16), max(h // 2, 12)  # room for two lines of title above each tile
    mosaic = np.ones((rows * (h + top + pad), cols * (w + pad), 3))
    k = int(max(y_true.max(), y_pred.max())) + 1
    names = _names(k, target_names) if target_names is not None and len(target_names) >= k else _names(k, None)
    fig_w = 1.9 * cols
    fig = _new_figure(fig_w, fig_w * mosaic.shape[0] / mosaic.shape[1], layout=None)
    ax = fig.add_axes((0, 0, 1, 1))
    for slot, (i, tile) in enumerate(zip(picked, tiles)):
        r, c = divmod(slot, cols)
        y0, x0 = r * (h + top + pad) + top, c * (w + pad) + pad // 2
        mosaic[y0 : y0 + tile.shape[0], x0 : x0 + tile.shape[1]] = tile
        title = f"#{i} true {names[y_true[i]]}\npred {names[y_pred[i]]}"
        if confidence is not None:
            title += f" ({confidence[i]:.2f})"
        ax.text(x0 + w / 2, y0 - 2, title, ha="center", va="bottom", fontsize=7)
    ax.imshow(mosaic, interpolation="nearest")
    ax.axis("off")
    return fig


def _as_rgb(img: np.ndarray) -> np.ndarray:
    """Float RGB in [0, 1] from a display image (gray or RGB, uint8 or float)."""
    img = img.astype(np.float64) / (255.0 if img.dtype == np.uint8 else 1.0)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return img[..., :3]


# --------------------------------------------------------------------------- classification report


def add_classification_sections(
    report: HtmlReport,
    y_true: ArrayLike,
    y_pred: ArrayLike | None = None,
    *,
    y_prob: ArrayLike | None = None,
    from_logits: bool = False,
    target_names: Sequence[str] | None = None,
    images: ArrayLike | None = None,
    digits: int = 2,
    n_bins: int = 15,
    max_mistakes: int = 24,
    level: int = 2,
) -> dict[str, float]:
    """Add the quality sections of a classifier to ``report``; returns the headline numbers.

    Args:
        report: the page to add to.
        y_true: (N,) true labels in ``[0, K)``.
        y_pred: (N,) predicted labels; when None, the argmax of ``y_prob``.
        y_prob: (N, K) class probabilities (logits with ``from_logits``):
            enables cross-entropy, the reliability diagram and the ranking of
            mistakes by confidence.
        target_names: K class names.
        images: (N, ...) images of the samples, for the mistakes grid.
        digits: decimals of the scores in the classification report.
        n_bins: confidence bins of the reliability diagram.
        max_mistakes: images in the mistakes grid.
        level: heading level of the sections (3 under a report's own "Test set" heading).

    Returns:
        {"accuracy": ..., "macro_f1": ..., and with probabilities
        "cross_entropy": ..., "ece": ...}.
    """
    t = to_int_labels(as_numpy(y_true, "y_true"), "y_true")
    prob = None
    if y_prob is not None:
        prob = as_numpy(y_prob, "y_prob")
        if prob.ndim != 2:
            raise ValueError(f"y_prob must be (N, K) class scores, got shape {prob.shape}")
        check_same_length(("y_true", t), ("y_prob", prob))
    if y_pred is None:
        if prob is None:
            raise ValueError("give y_pred, y_prob, or both")
        p = prob.argmax(axis=1)
    else:
        p = to_int_labels(as_numpy(y_pred, "y_pred"), "y_pred")
    k = prob.shape[1] if prob is not None else (len(target_names) if target_names is not None else None)
    if k is None:
        k = int(max(t.max(), p.max())) + 1
    names = _names(k, target_names)
    if len(names) != k:
        raise ValueError(f"target_names has {len(names)} names but there are {k} classes")

    scores = classification_report(
        t, p, target_names=names, digits=digits, zero_division=0, num_classes=k, output_dict=True
    )
    p_cls, r_cls, f_cls, _ = precision_recall_fscore_support(t, p, num_classes=k, zero_division=0)
    cm = confusion_matrix(t, p, num_classes=k)
    out = {"accuracy": float(np.trace(cm) / cm.sum()), "macro_f1": float(np.mean(f_cls))}

    report.add_heading("Classification report", level=level)
    rows, averages = _report_rows(scores, names, digits)
    report.add_table(rows, header=["class", "precision", "recall", "F1", "support"], footer=averages)
    if prob is not None:
        ce = log_loss(t, prob, from_logits=from_logits)
        reading = cross_entropy_reading(ce)
        out["cross_entropy"] = ce
        report.add_heading("Cross-entropy", level=level)
        report.add_paragraph(f"Mean cross-entropy {ce:.4f} nats: {reading}.")
        report.add_table(
            [[band, text_] for band, _, _, text_ in CROSS_ENTROPY_BANDS], header=["cross-entropy", "reading"]
        )
    report.add_heading("Confusion matrix", level=level)
    report.add_figure(
        confusion_matrix_figure(cm, target_names=names),
        caption="Rows: true class; columns: predicted class.",
        alt="confusion matrix heat map",
    )
    report.add_heading("Per-class scores", level=level)
    report.add_figure(
        per_class_figure(p_cls, r_cls, f_cls, target_names=names), alt="per-class precision, recall and F1"
    )
    confidence = None
    if prob is not None:
        curve = reliability_curve(t, prob, n_bins=n_bins, from_logits=from_logits)
        out["ece"] = curve.ece
        report.add_heading("Calibration", level=level)
        report.add_figure(
            reliability_figure(curve),
            caption=f"Expected calibration error over {n_bins} bins: {curve.ece:.4f}.",
            alt="reliability diagram",
        )
        confidence = _pred_confidence(prob, p, from_logits)
    if images is not None:
        imgs = as_numpy(images, "images")
        check_same_length(("y_true", t), ("images", imgs))
        fig = mistakes_figure(imgs, t, p, confidence=confidence, target_names=names, max_images=max_mistakes)
        report.add_heading("Most confident mistakes" if confidence is not None else "Mistakes", level=level)
        if fig is None:
            report.add_paragraph("No mistakes.")
        else:
            report.add_figure(
                fig,
                caption="Highest confidence first."
                if confidence is not None
                else "No probabilities were given: the first mistakes in file order.",
                alt="grid of misclassified images",
            )
    return out


def _report_rows(scores: dict[str, Any], names: Sequence[str], digits: int) -> tuple[list[list[str]], list[list[str]]]:
    """(one row per class, the average rows) of a :func:`classification_report` dict, as table cells.

    The accuracy row shows its value in the F1 column and the number of samples, as scikit-learn's text does.
    """

    def row(name: str, v: dict[str, float]) -> list[str]:
        return [name, *(f"{v[key]:.{digits}f}" for key in ("precision", "recall", "f1-score")), f"{v['support']:,.0f}"]

    classes = [row(n, scores[n]) for n in names]
    total = sum(scores[n]["support"] for n in names)
    averages = [
        ["accuracy", "", "", f"{value:.{digits}f}", f"{total:,.0f}"] if key == "accuracy" else row(key, value)
        for key, value in scores.items()
        if key not in names
    ]
    return classes, averages


def _pred_confidence(prob: np.ndarray, pred: np.ndarray, from_logits: bool) -> np.ndarray:
    if from_logits:
        from ._ranking import _softmax

        prob = _softmax(prob)
    return prob[np.arange(pred.size), pred].astype(np.float64)


def html_report(
    y_true: ArrayLike,
    y_pred: ArrayLike | None = None,
    *,
    y_prob: ArrayLike | None = None,
    from_logits: bool = False,
    target_names: Sequence[str] | None = None,
    images: ArrayLike | None = None,
    title: str = "Classification quality",
    path: str | Path | None = None,
    digits: int = 2,
    n_bins: int = 15,
    max_mistakes: int = 24,
) -> str:
    """One self-contained HTML quality report of a classifier's predictions.

    See :func:`add_classification_sections` for the arguments. When ``path``
    is given the page is written there as well.

    Returns:
        The HTML text.
    """
    report = HtmlReport(title)
    add_classification_sections(
        report,
        y_true,
        y_pred,
        y_prob=y_prob,
        from_logits=from_logits,
        target_names=target_names,
        images=images,
        digits=digits,
        n_bins=n_bins,
        max_mistakes=max_mistakes,
    )
    if path is not None:
        report.save(path)
    return report.render()
