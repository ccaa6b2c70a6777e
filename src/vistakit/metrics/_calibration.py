"""Calibration: expected calibration error and reliability-diagram data.

A classifier is calibrated when, among the predictions made with confidence
0.8, 80 % are right. Predictions are grouped by the confidence of the
predicted class (the top-label probability) into ``n_bins`` equal-width bins;
bin ``i`` holds confidences in ``(i/n, (i+1)/n]`` and 0 falls in the first
bin, the same edges and rule as scikit-learn's ``calibration_curve``
(``np.linspace`` edges, ``np.searchsorted``).

ECE (Guo et al., 2017, "On Calibration of Modern Neural Networks") with the
L1 norm is ``sum_b (n_b / N) |acc_b - conf_b|``; ``norm="l2"`` gives the
root of the weighted squared gaps, ``norm="max"`` the largest gap (MCE).

The state is three numbers per bin: count, number correct and the exact sum
of confidences (:mod:`._exact`); the error is computed from them in exact
rational arithmetic and rounded once, so a streamed, merged evaluation gives
exactly the one-shot value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ._exact import exact_sums
from ._validation import (
    ArrayLike,
    as_numpy,
    check_label_range,
    check_nonempty,
    check_same_length,
    to_float_scores,
    to_int_labels,
)

__all__ = ["ReliabilityCurve", "calibration_curve", "expected_calibration_error", "reliability_curve"]

_NORMS = ("l1", "l2", "max")


@dataclass(frozen=True)
class ReliabilityCurve:
    """Per-bin data of a reliability diagram.

    Attributes:
        edges: (n_bins + 1,) bin edges from 0 to 1.
        count: (n_bins,) samples per bin.
        accuracy: (n_bins,) share of correct predictions per bin (NaN where count is 0).
        confidence: (n_bins,) mean confidence per bin (NaN where count is 0).
        ece: the L1 expected calibration error of these bins.
    """

    edges: np.ndarray
    count: np.ndarray
    accuracy: np.ndarray
    confidence: np.ndarray
    ece: float


def _top_label(y_true: ArrayLike, y_prob: ArrayLike, from_logits: bool):
    """(confidence of the predicted class, whether it is right), float64 and bool (N,)."""
    from ._crossentropy import _check_probabilities

    name = "logits" if from_logits else "y_prob"
    t = as_numpy(y_true, "y_true")
    if t.ndim != 1:
        raise ValueError(f"y_true must be 1-d class labels, got shape {t.shape}")
    check_nonempty(t, "y_true")
    t = to_int_labels(t, "y_true")
    p = to_float_scores(y_prob, name)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    if p.ndim not in (1, 2):
        raise ValueError(f"{name} must be (N,) binary or (N, C) probabilities, got shape {p.shape}")
    check_same_length(("y_true", t), (name, p))
    n_cls = 2 if p.ndim == 1 else p.shape[1]
    check_label_range(t, "y_true", n_cls)
    if p.ndim == 1:
        p64 = p.astype(np.float64)
        if from_logits:
            p64 = 1.0 / (1.0 + np.exp(-p64))
        else:
            _check_probabilities(p, name)
        pred = (p64 > 0.5).astype(np.int64)  # a tie at 0.5 goes to class 0, as argmax would
        conf = np.where(pred == 1, p64, 1.0 - p64)
        return conf, pred == t
    if from_logits:
        from ._ranking import _softmax

        p64 = _softmax(p)
    else:
        _check_probabilities(p, name)
        p64 = p
    pred = p64.argmax(axis=1)
    conf = p64[np.arange(p64.shape[0]), pred].astype(np.float64)
    return conf, pred == t


def _check_bins(n_bins: int) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive int, got {n_bins!r}")
    return int(n_bins)


def _bin_ids(conf: np.ndarray, n_bins: int) -> np.ndarray:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], conf)


def _bin_state(conf: np.ndarray, correct: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(count, correct, exact confidence sums) per bin."""
    ids = _bin_ids(conf, n_bins)
    count = np.bincount(ids, minlength=n_bins).astype(np.int64)
    hits = np.bincount(ids[correct], minlength=n_bins).astype(np.int64)
    return count, hits, exact_sums(conf, ids, n_bins)


def _error_from_state(count: np.ndarray, hits: np.ndarray, conf_sums: list[int], norm: str) -> float:
    """Calibration error from per-bin state, exact until one final rounding."""
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS}, got {norm!r}")
    n = int(count.sum())
    if n == 0:
        raise ValueError("the calibration error needs at least one sample")
    one = 1 << 1074  # conf_sums are in units of 2**-1074
    gaps = [(int(h) * one - c, int(k)) for h, c, k in zip(hits, conf_sums, count) if k > 0]
    if norm == "l1":
        return sum(abs(g) for g, _ in gaps) / (n * one)
    if norm == "max":
        return float(max(Fraction(abs(g), k * one) for g, k in gaps))
    return math.sqrt(float(sum(Fraction(g * g, k) for g, k in gaps) / (n * one * one)))


def _curve_from_state(count: np.ndarray, hits: np.ndarray, conf_sums: list[int]) -> ReliabilityCurve:
    n_bins = count.size
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(count > 0, hits / np.maximum(count, 1), np.nan)
    conf = np.array([c / (int(k) << 1074) if k else math.nan for c, k in zip(conf_sums, count)])
    return ReliabilityCurve(
        edges=np.linspace(0.0, 1.0, n_bins + 1),
        count=count.copy(),
        accuracy=acc,
        confidence=conf,
        ece=_error_from_state(count, hits, conf_sums, "l1"),
    )


def expected_calibration_error(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    n_bins: int = 15,
    norm: str = "l1",
    from_logits: bool = False,
) -> float:
    """Expected calibration error of the top-label confidence.

    Args:
        y_true: (N,) labels in ``[0, C)``.
        y_prob: (N, C) class probabilities (rows summing to 1) or (N,)
            probability of class 1; logits with ``from_logits=True``. The
            prediction is the argmax (first index on ties; class 1 only when
            p > 0.5 for 1-d input), its probability the confidence.
        n_bins: number of equal-width confidence bins over [0, 1].
        norm: ``"l1"`` (ECE), ``"l2"`` (RMS calibration error) or ``"max"``
            (maximum calibration error over non-empty bins).
        from_logits: apply softmax (sigmoid for 1-d) first.

    Returns:
        The calibration error in [0, 1].
    """
    n_bins = _check_bins(n_bins)
    if norm not in _NORMS:
        raise ValueError(f"norm must be one of {_NORMS}, got {norm!r}")
    conf, correct = _top_label(y_true, y_prob, from_logits)
    return _error_from_state(*_bin_state(conf, correct, n_bins), norm)


def reliability_curve(
    y_true: ArrayLike, y_prob: ArrayLike, *, n_bins: int = 15, from_logits: bool = False
) -> ReliabilityCurve:
    """Reliability-diagram data: per confidence bin, accuracy, mean confidence and count.

    Same inputs and binning as :func:`expected_calibration_error`.
    """
    n_bins = _check_bins(n_bins)
    conf, correct = _top_label(y_true, y_prob, from_logits)
    return _curve_from_state(*_bin_state(conf, correct, n_bins))


def calibration_curve(
    y_true: ArrayLike, y_prob: ArrayLike, *, n_bins: int = 5, strategy: str = "uniform"
) -> tuple[np.ndarray, np.ndarray]:
    """Binary calibration curve (scikit-learn's ``calibration_curve``, labels 0/1).

    Args:
        y_true: (N,) 0/1 labels.
        y_prob: (N,) probabilities of class 1.
        n_bins: number of bins.
        strategy: ``"uniform"`` (equal width) or ``"quantile"`` (equal counts).

    Returns:
        (prob_true, prob_pred): fraction of positives and mean probability
        in each non-empty bin.
    """
    n_bins = _check_bins(n_bins)
    t = as_numpy(y_true, "y_true")
    check_nonempty(t, "y_true")
    t = to_int_labels(t, "y_true")
    p = to_float_scores(y_prob, "y_prob").astype(np.float64)
    if t.ndim != 1 or p.ndim != 1:
        raise ValueError(f"calibration_curve takes 1-d labels and probabilities, got {t.shape} and {p.shape}")
    check_same_length(("y_true", t), ("y_prob", p))
    check_label_range(t, "y_true", 2)
    if p.min() < 0 or p.max() > 1:
        raise ValueError("y_prob has values outside [0, 1]")
    if strategy == "uniform":
        bins = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        bins = np.percentile(p, np.linspace(0, 1, n_bins + 1) * 100)
    else:
        raise ValueError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    ids = np.searchsorted(bins[1:-1], p)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    true = np.bincount(ids, weights=t, minlength=n_bins)
    total = np.bincount(ids, minlength=n_bins)
    nz = total != 0
    return true[nz] / total[nz], sums[nz] / total[nz]
