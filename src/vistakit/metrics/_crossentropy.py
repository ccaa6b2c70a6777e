"""Cross-entropy (log loss) from probabilities or logits, and its plain-language reading.

Binary: ``-(y log p + (1 - y) log(1 - p))``; multi-class: ``-sum_c y_oc log p_oc``
(only the true class's term is non-zero), averaged over samples.

* From probabilities (the default) the value matches scikit-learn's
  ``log_loss``: probabilities are clipped to ``[eps, 1 - eps]`` with ``eps``
  the machine epsilon of the input dtype, so a zero probability on the true
  class costs ``-log(eps)`` (36.04 for float64, 15.94 for float32) instead of
  infinity. Rows must sum to 1 within ``sqrt(eps) + 1e-8`` (scikit-learn's
  tolerance, where it only warns); otherwise a ``ValueError`` says by how much
  they miss. Logs are taken in float64 whatever the input dtype.
* From logits (``from_logits=True``) nothing is clipped: the log-probability
  of the true class is ``z_y - logsumexp(z)`` (log-softmax; log-sigmoid,
  ``-log(1 + exp(-z))``, for binary 1-d logits), computed in float64 with the
  row maximum subtracted, so very confident logits give exact tiny losses
  and very wrong ones large finite ones.

The mean is an exact sum (:mod:`._exact`) divided once, so the streaming
:class:`~vistakit.metrics.CrossEntropy` gives the same bits on any split.
"""

from __future__ import annotations

import math

import numpy as np

from ._exact import exact_sums
from ._validation import (
    ArrayLike,
    as_numpy,
    check_finite,
    check_label_range,
    check_nonempty,
    check_num_classes,
    check_same_length,
    check_sample_weight,
    to_float_scores,
    to_int_labels,
)

__all__ = ["CROSS_ENTROPY_BANDS", "cross_entropy", "cross_entropy_reading", "log_loss"]

_ROW_CHUNK_ELEMENTS = 1 << 22  # rows per log-softmax chunk: ~4M entries (32 MB in float64)


def _check_probabilities(p: np.ndarray, name: str) -> None:
    """Entries in [0, 1] and, for 2-d input, rows summing to 1."""
    lo, hi = float(p.min()), float(p.max())
    if math.isnan(lo) or math.isnan(hi):
        check_finite(p, name)
    if lo < 0 or hi > 1:
        bad = (p < 0) | (p > 1)
        where = np.argwhere(bad)[0]
        at = f"sample {where[0]}" + (f", class {where[1]}" if p.ndim == 2 else "")
        raise ValueError(
            f"{name} holds {p[tuple(where)].item()!r} at {at}: probabilities must lie in [0, 1] "
            "(if these are logits, pass from_logits=True)"
        )
    if p.ndim == 1:
        return
    eps = np.finfo(p.dtype).eps
    tol = math.sqrt(eps) + 1e-8
    sums = np.einsum("ij->i", p)  # row sums; much faster than p.sum(1) for few columns
    if max(float(sums.max()) - 1.0, 1.0 - float(sums.min())) > tol:
        off = np.abs(sums.astype(np.float64) - 1.0)
        bad = np.flatnonzero(off > tol)
        worst = int(bad[np.argmax(off[bad])])
        first = int(bad[0])
        raise ValueError(
            f"{name} rows must sum to 1 (they are probabilities over the classes); "
            f"row {first} sums to {float(sums[first]):.6g}, off by {off[first]:.3g}"
            + (f"; {bad.size} rows are off, the worst by {off[worst]:.3g} (row {worst})" if bad.size > 1 else "")
            + f" (tolerance {tol:.2g} for {p.dtype}). If these are logits, pass from_logits=True"
        )


def _sample_losses(y: np.ndarray, scores: np.ndarray, *, from_logits: bool) -> np.ndarray:
    """Per-sample cross-entropy, float64 (N,). Inputs already validated."""
    n = y.shape[0]
    if scores.ndim == 1:
        if from_logits:
            z = scores.astype(np.float64)
            # -log sigmoid(z) for y = 1, -log sigmoid(-z) for y = 0, both as log(1 + exp(.))
            return np.logaddexp(0.0, np.where(y == 1, -z, z))
        eps = np.finfo(scores.dtype).eps
        q = np.where(y == 1, scores, 1 - scores)  # 1 - p in the input dtype, as scikit-learn
        return -np.log(np.clip(q.astype(np.float64), eps, 1 - eps))
    if not from_logits:
        eps = np.finfo(scores.dtype).eps
        flat = scores.reshape(-1)  # a view when contiguous: one 1-d gather of the true-class column
        p_true = flat[np.arange(n) * scores.shape[1] + y].astype(np.float64)
        np.clip(p_true, eps, 1 - eps, out=p_true)
        np.log(p_true, out=p_true)
        return np.negative(p_true, out=p_true)
    out = np.empty(n, dtype=np.float64)
    step = max(1, _ROW_CHUNK_ELEMENTS // scores.shape[1])
    for s in range(0, n, step):
        z = scores[s : s + step].astype(np.float64)
        m = z.max(axis=1)
        z -= m[:, None]
        z_true = z[np.arange(z.shape[0]), y[s : s + step]]  # <= 0
        np.exp(z, out=z)
        # loss = logsumexp(z) - z_y = (m - z_y) + log(sum exp(z - m)), both terms >= 0
        out[s : s + step] = np.log(z.sum(axis=1)) - z_true
    return out


def _validated(y_true: ArrayLike, y_proba: ArrayLike, from_logits: bool, num_classes: int | None):
    """(labels, scores) checked for shape, range and sums."""
    name = "logits" if from_logits else "y_proba"
    t = as_numpy(y_true, "y_true")
    if t.ndim != 1:
        raise ValueError(f"y_true must be a 1-d array of class labels, got shape {t.shape}")
    check_nonempty(t, "y_true")
    t = to_int_labels(t, "y_true")
    s = to_float_scores(y_proba, name, check=from_logits)  # probabilities: checked below in one go
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim not in (1, 2):
        raise ValueError(f"{name} must be (N,) for binary or (N, C) for C classes, got shape {s.shape}")
    check_same_length(("y_true", t), (name, s))
    n_cls = 2 if s.ndim == 1 else s.shape[1]
    num_classes = check_num_classes(num_classes)
    if num_classes is not None and num_classes != n_cls:
        raise ValueError(f"num_classes={num_classes} but {name} has {n_cls} classes (shape {s.shape})")
    check_label_range(t, "y_true", n_cls)
    if not from_logits:
        _check_probabilities(s, name)
    return t, s


def log_loss(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    from_logits: bool = False,
    normalize: bool = True,
    sample_weight: ArrayLike | None = None,
    num_classes: int | None = None,
) -> float:
    """Cross-entropy of predicted class probabilities (or logits) against true labels.

    Args:
        y_true: (N,) integer class labels in ``[0, C)`` (0/1 for binary).
        y_proba: (N, C) class probabilities (rows summing to 1), or (N,)
            probabilities of class 1 for a binary problem; with
            ``from_logits=True``, (N, C) logits or (N,) binary logits.
        from_logits: treat ``y_proba`` as logits: stable log-softmax, no clipping.
        normalize: mean over samples (True) or the sum.
        sample_weight: (N,) non-negative weights (weighted mean).
        num_classes: if given, must equal C.

    Returns:
        The mean (or summed) cross-entropy in nats.

    Raises:
        ValueError: mismatched lengths, empty input, labels outside ``[0, C)``,
            NaN or infinite scores, probabilities outside [0, 1] or rows not
            summing to 1 (the message says by how much), zero total weight.
    """
    t, s = _validated(y_true, y_proba, from_logits, num_classes)
    losses = _sample_losses(t, s, from_logits=from_logits)
    w = check_sample_weight(sample_weight, t.shape[0])
    if w is None:
        total = exact_sums(losses)[0]
        return total / ((1 << 1074) * (t.shape[0] if normalize else 1))
    total, weight = exact_sums(losses * w)[0], exact_sums(w)[0]
    if not normalize:
        return total / (1 << 1074)
    if weight == 0:
        raise ValueError("sample_weight sums to zero: the weighted mean cross-entropy is undefined")
    return total / weight


def cross_entropy(
    y_true: ArrayLike,
    y_proba: ArrayLike,
    *,
    from_logits: bool = False,
    normalize: bool = True,
    sample_weight: ArrayLike | None = None,
    num_classes: int | None = None,
) -> float:
    """The same as :func:`log_loss` (its other name); see there."""
    return log_loss(
        y_true,
        y_proba,
        from_logits=from_logits,
        normalize=normalize,
        sample_weight=sample_weight,
        num_classes=num_classes,
    )


# (as taught, comparison, bound, reading): a value takes the first band whose bound
# it stays under ("<") or at ("<="); the first column is how the band is written.
CROSS_ENTROPY_BANDS: tuple[tuple[str, str, float, str], ...] = (
    ("0.00", "<", 0.005, "perfect probabilities"),  # shows as 0.00 at two decimals
    ("< 0.02", "<", 0.02, "great"),
    ("< 0.05", "<", 0.05, "on the right track"),
    ("< 0.20", "<", 0.20, "fine"),
    ("0.20 to 0.30", "<=", 0.30, "between fine and not great"),
    ("> 0.30", "<=", 1.00, "not great"),
    ("> 1.00", "<=", 2.00, "terrible"),
    ("> 2.00", "<=", math.inf, "something is broken"),
)


def cross_entropy_reading(value: float) -> str:
    """Plain-language reading of a mean cross-entropy (nats), in the bands as taught.

    0.00 perfect probabilities; < 0.02 great; < 0.05 on the right track;
    < 0.20 fine; 0.20 to 0.30 between fine and not great; > 0.30 not great;
    > 1.00 terrible; > 2.00 something is broken. "0.00" means the value shows
    as 0.00 at two decimals (below 0.005).

    Raises:
        ValueError: for NaN or negative values, which no cross-entropy takes.
    """
    v = float(value)
    if math.isnan(v) or v < 0:
        raise ValueError(f"a cross-entropy is a non-negative number, got {value!r}")
    for _, op, bound, text in CROSS_ENTROPY_BANDS:
        if (v < bound) if op == "<" else (v <= bound):
            return text
    raise AssertionError("unreachable: the last band is unbounded")
