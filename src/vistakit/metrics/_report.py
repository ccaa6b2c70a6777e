"""``classification_report``: per-class precision, recall, F1 and support, in scikit-learn's layout.

The text is laid out character for character as scikit-learn's
``classification_report`` (the tests compare the strings), so a report can
be pasted next to one from scikit-learn. The counts are taken once and every
row and average is computed from them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._classification import _codes, _prf_from_counts, _prf_inputs
from ._validation import ArrayLike, as_numpy, check_num_classes, targets, to_int_labels

__all__ = ["classification_report"]

_HEADERS = ["precision", "recall", "f1-score", "support"]


def _report_labels(kind, t, p, labels, num_classes):
    """(labels, labels_given, labels present in the data)."""
    if kind == "multilabel":
        present = list(range(t.shape[1]))
    else:
        classes, yt, yp, _ = _codes(t, p, None)
        seen = (np.bincount(yt, minlength=classes.size) > 0) | (np.bincount(yp, minlength=classes.size) > 0)
        present = classes[seen].tolist()
    if labels is not None:
        return [int(v) for v in to_int_labels(as_numpy(labels, "labels"), "labels").ravel()], True, present
    if num_classes is not None and kind == "multiclass":
        return list(range(num_classes)), False, present
    return present, False, present


def classification_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    target_names: Sequence[str] | None = None,
    sample_weight: ArrayLike | None = None,
    digits: int = 2,
    output_dict: bool = False,
    zero_division: Any = "warn",
    num_classes: int | None = None,
) -> str | dict:
    """Text (or dict) summary of precision, recall, F1 and support per class and averaged.

    Rows: one per class, then ``accuracy`` (the micro average, when it equals
    accuracy: single-label targets with every class listed), ``macro avg``,
    ``weighted avg`` (and ``micro avg`` / ``samples avg`` where scikit-learn
    shows them).

    Args:
        y_true: (N,) true labels or (N, L) 0/1 indicators.
        y_pred: (N,) predicted labels or (N, L) 0/1 indicators.
        labels: classes to list, in this order.
        target_names: display names of the listed classes (same length).
        sample_weight: (N,) non-negative weights.
        digits: decimals of the scores in the text.
        output_dict: return ``{name: {"precision": ..., ...}, "accuracy": ..., ...}``.
        zero_division: see :func:`~vistakit.metrics.precision_recall_fscore_support`.
        num_classes: list all ``num_classes`` classes (labels must lie below it).

    Returns:
        The report text, or the dict.
    """
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 0:
        raise ValueError(f"digits must be a non-negative int, got {digits!r}")
    num_classes = check_num_classes(num_classes)
    kind, t, p = targets(y_true, y_pred)
    labels, labels_given, present = _report_labels(kind, t, p, labels, num_classes)
    micro_is_accuracy = kind == "multiclass" and (not labels_given or set(labels) >= set(present))
    if target_names is not None:
        target_names = [str(n) for n in target_names]
        if len(labels) != len(target_names):
            if labels_given:
                warnings.warn(
                    f"labels size, {len(labels)}, does not match size of target_names, {len(target_names)}",
                    UserWarning,
                    stacklevel=2,
                )
            else:
                raise ValueError(
                    f"Number of classes, {len(labels)}, does not match size of target_names, "
                    f"{len(target_names)}. Try specifying the labels parameter"
                )
    else:
        target_names = [f"{v}" for v in labels]

    common = dict(labels=labels, pos_label=1, sample_weight=sample_weight, num_classes=num_classes)
    tp, pred, true, _ = _prf_inputs(t, p, average=None, **common)
    prec, rec, f1, support = _prf_from_counts(tp, pred, true, beta=1.0, average=None, zero_division=zero_division)
    rows = list(zip(target_names, prec, rec, f1, support))

    averages = ("micro", "macro", "weighted") + (("samples",) if kind == "multilabel" else ())
    summary = []
    for average in averages:
        if average == "samples":
            s_tp, s_pred, s_true, s_w = _prf_inputs(t, p, average="samples", **common)
            avg = _prf_from_counts(
                s_tp, s_pred, s_true, beta=1.0, average="samples", zero_division=zero_division, avg_weights=s_w
            )
        else:
            avg = _prf_from_counts(tp, pred, true, beta=1.0, average=average, zero_division=zero_division)
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        summary.append((heading, avg[0], avg[1], avg[2], np.sum(support)))

    if output_dict:
        report: dict[str, Any] = {name: dict(zip(_HEADERS, [float(v) for v in values])) for name, *values in rows}
        for heading, *values in summary:
            report[heading] = dict(zip(_HEADERS, [float(v) for v in values]))
        if "accuracy" in report:
            report["accuracy"] = report["accuracy"]["precision"]
        return report

    width = max(max(len(n) for n in target_names), len("weighted avg"), digits)
    head_fmt = "{:>{width}s} " + " {:>9}" * len(_HEADERS)
    text = head_fmt.format("", *_HEADERS, width=width) + "\n\n"
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    for row in rows:
        text += row_fmt.format(*row, width=width, digits=digits)
    text += "\n"
    for heading, *values in summary:
        if heading == "accuracy":
            acc_fmt = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n"
            text += acc_fmt.format(heading, "", "", *values[2:], width=width, digits=digits)
        else:
            text += row_fmt.format(heading, *values, width=width, digits=digits)
    return text
