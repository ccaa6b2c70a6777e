"""Random and edge-case inputs shared by the metric tests (tests only).

Every case is reproducible from its seed. Kinds cover what the issue asks:
binary, multi-class, classes missing from y_true or from y_pred, one sample,
all correct, all wrong, non-contiguous and negative labels, and sample weights.
"""

from __future__ import annotations

import numpy as np

KINDS = (
    "binary",
    "multiclass",
    "missing_in_true",
    "missing_in_pred",
    "one_sample",
    "all_correct",
    "all_wrong",
    "sparse_labels",
    "negative_labels",
    "single_class",
)


def label_case(seed: int) -> dict:
    """y_true, y_pred (ints), sample_weight (or None), n_classes (a bound on the labels) and kind."""
    rng = np.random.default_rng(seed)
    kind = KINDS[seed % len(KINDS)]
    n = int(rng.integers(2, 60))
    k = int(rng.integers(3, 7))
    if kind == "binary":
        k = 2
        t, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    elif kind == "multiclass":
        t, p = rng.integers(0, k, n), rng.integers(0, k, n)
    elif kind == "missing_in_true":
        t, p = rng.integers(0, k - 2, n), rng.integers(0, k, n)
    elif kind == "missing_in_pred":
        t, p = rng.integers(0, k, n), rng.integers(1, k - 1, n)
    elif kind == "one_sample":
        n = 1
        t, p = rng.integers(0, k, 1), rng.integers(0, k, 1)
    elif kind == "all_correct":
        t = rng.integers(0, k, n)
        p = t.copy()
    elif kind == "all_wrong":
        t = rng.integers(0, k, n)
        p = (t + rng.integers(1, k, n)) % k
    elif kind == "sparse_labels":
        values = np.array([3, 7, 100, 1000])
        k = 1001
        t, p = values[rng.integers(0, 4, n)], values[rng.integers(0, 4, n)]
    elif kind == "negative_labels":
        values = np.array([-5, -1, 2])
        t, p = values[rng.integers(0, 3, n)], values[rng.integers(0, 3, n)]
        k = None
    else:  # single_class
        t = np.full(n, 2)
        p = np.where(rng.random(n) < 0.7, 2, 1)
    w = rng.random(n) * 3 if rng.random() < 0.4 else None
    if w is not None and rng.random() < 0.3:
        w[rng.random(n) < 0.3] = 0.0  # zero weights are allowed
    return {"y_true": t, "y_pred": p, "sample_weight": w, "n_classes": k, "kind": kind, "seed": seed}


def prob_case(seed: int, *, ties: bool = False) -> dict:
    """y_true (N,) in [0, k) and y_prob (N, k) rows summing to 1; with ties, scores are coarse."""
    rng = np.random.default_rng(10_000 + seed)
    n = int(rng.integers(5, 80))
    k = int(rng.integers(2, 6))
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present (scikit-learn needs it without labels=)
    rng.shuffle(y)
    logits = rng.normal(size=(n, k)) * rng.uniform(0.2, 4)
    logits[np.arange(n), y] += rng.uniform(0, 2)
    if ties:
        logits = np.round(logits)
    prob = np.exp(logits - logits.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    w = rng.random(n) * 2 if rng.random() < 0.4 else None
    return {"y_true": y, "y_prob": prob, "logits": logits, "sample_weight": w, "k": k}


def close(a, b, tol: float = 1e-12) -> None:
    """Equal to 1e-12 (relative, or absolute near zero); NaN matches NaN; None matches None."""
    if a is None or b is None:
        assert a is None and b is None, (a, b)
        return
    np.testing.assert_allclose(
        np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=tol, atol=tol, equal_nan=True
    )
