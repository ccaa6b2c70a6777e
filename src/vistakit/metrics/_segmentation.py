"""Semantic segmentation: the pixel confusion matrix, pixel accuracy, per-class and mean IoU.

All scores come from one (K, K) confusion matrix of pixel counts (rows: true class,
columns: predicted class), so a streaming evaluation keeps only that matrix, sums it over
batches and processes, and gets exactly the numbers of one pass over every pixel.
Pixels whose true label is ``ignore_index`` (255 in Cityscapes, ADE20K, VOC) are left out.
"""

from __future__ import annotations

import numpy as np

from ._validation import ArrayLike, as_numpy

__all__ = ["mean_iou", "pixel_accuracy", "pixel_confusion_matrix", "per_class_iou"]


def pixel_confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, *, num_classes: int,
                           ignore_index: int | None = 255) -> np.ndarray:
    """Confusion matrix of pixel labels.

    Args:
        y_true: (..., H, W) integer true classes (``ignore_index`` pixels are skipped).
        y_pred: predicted classes of the same shape.
        num_classes: K.
        ignore_index: true label that marks pixels to skip (None: none).

    Returns:
        (K, K) int64 counts, ``cm[i, j]`` pixels of class i predicted as j.

    Raises:
        ValueError: shapes differ, or a label lies outside ``[0, K)`` (other than ``ignore_index``).
    """
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    t = as_numpy(y_true, "y_true").reshape(-1)
    p = as_numpy(y_pred, "y_pred").reshape(-1)
    if as_numpy(y_true, "y_true").shape != as_numpy(y_pred, "y_pred").shape:
        raise ValueError(f"y_true {as_numpy(y_true, 'y_true').shape} and y_pred "
                         f"{as_numpy(y_pred, 'y_pred').shape} differ in shape")
    keep = t != ignore_index if ignore_index is not None else np.ones(t.shape, bool)
    t, p = t[keep].astype(np.int64), p[keep].astype(np.int64)
    for name, arr in (("y_true", t), ("y_pred", p)):
        bad = (arr < 0) | (arr >= num_classes)
        if bad.any():
            raise ValueError(f"{name} holds {int(arr[bad][0])}, outside [0, {num_classes})"
                             + (f" (and it is not the ignore_index {ignore_index})" if name == "y_true" else ""))
    k = int(num_classes)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def pixel_accuracy(cm: ArrayLike) -> float:
    """Fraction of (non-ignored) pixels labelled correctly, from a pixel confusion matrix."""
    m = _cm(cm)
    total = m.sum()
    return float(np.trace(m) / total) if total else float("nan")


def per_class_iou(cm: ArrayLike) -> np.ndarray:
    """(K,) IoU of each class, ``TP / (TP + FP + FN)``; NaN for a class absent from both truth and prediction."""
    m = _cm(cm).astype(np.float64)
    tp = np.diag(m)
    union = m.sum(0) + m.sum(1) - tp
    return np.divide(tp, union, out=np.full(len(tp), np.nan), where=union > 0)


def mean_iou(cm: ArrayLike) -> float:
    """Mean IoU over the classes that occur in the truth or the prediction (the usual mIoU)."""
    iou = per_class_iou(cm)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def _cm(cm: ArrayLike) -> np.ndarray:
    m = as_numpy(cm, "cm")
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"cm must be a square (K, K) confusion matrix, got shape {m.shape}")
    return m
