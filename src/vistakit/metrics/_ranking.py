"""Score-based metrics: ROC AUC, average precision, their curves, and top-k accuracy.

Scores are per-class probabilities or any monotone confidence (logits,
margins), stated per function. One sort per binary problem gives every
threshold at once; no Python loop runs over samples.

The binary ROC AUC without weights is computed from tie-averaged ranks in
integer arithmetic (the Mann-Whitney U statistic, equal to the trapezoidal
area scikit-learn integrates) and divided once, so it does not depend on the
order of the samples: a streamed, merged evaluation gives the same bits.

Undefined values are errors, not NaN: a class without positive (or without
negative) samples has no ROC AUC or average precision, and the message says
which class. With ``average="weighted"`` such classes weigh 0 and are skipped,
as in scikit-learn.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._validation import (
    ArrayLike,
    UndefinedMetricWarning,
    as_numpy,
    check_label_range,
    check_nonempty,
    check_num_classes,
    check_same_length,
    check_sample_weight,
    to_float_scores,
    to_int_labels,
)

__all__ = ["average_precision", "precision_recall_curve", "roc_auc", "roc_curve", "top_k_accuracy"]


class _Undefined(ValueError):
    """A binary problem without positives or without negatives."""


# --------------------------------------------------------------------------- binary building blocks


def _clf_curve(y: np.ndarray, s: np.ndarray, w: np.ndarray | None):
    """(fps, tps, thresholds) at each distinct score, thresholds decreasing (scikit-learn's)."""
    order = np.argsort(s, kind="stable")[::-1]
    s_sorted = s[order]
    y_sorted = y[order]
    distinct = np.flatnonzero(np.diff(s_sorted))
    idx = np.r_[distinct, y_sorted.size - 1]
    if w is None:
        tps = np.cumsum(y_sorted, dtype=np.float64)[idx]
        fps = 1 + idx - tps
    else:
        w_sorted = w[order]
        tps = np.cumsum(y_sorted * w_sorted)[idx]
        fps = np.cumsum((1 - y_sorted) * w_sorted)[idx]
    return fps, tps, s_sorted[idx]


def _binary_auc(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> float:
    """ROC AUC of 0/1 labels ``y`` against scores ``s``; raises _Undefined without both classes."""
    if w is None:
        n = y.size
        n_pos = int(np.count_nonzero(y))
        n_neg = n - n_pos
        if n_pos == 0 or n_neg == 0:
            raise _Undefined("only one class is present")
        order = np.argsort(s, kind="stable")
        s_sorted = s[order]
        starts = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
        ends = np.r_[starts[1:], n]
        group = np.repeat(np.arange(starts.size), ends - starts)
        twice_rank = (starts + ends + 1)[group]  # 2 x tie-averaged 1-based rank
        r2 = int(twice_rank[y[order].astype(bool)].sum(dtype=np.int64))
        u2 = r2 - n_pos * (n_pos + 1)  # 2 x Mann-Whitney U of the positives
        return u2 / (2 * n_pos * n_neg)
    fps, tps, _ = _clf_curve(y, s, w)
    if tps[-1] <= 0 or fps[-1] <= 0:
        raise _Undefined("only one class has positive weight")
    fpr = np.r_[0.0, fps] / fps[-1]
    tpr = np.r_[0.0, tps] / tps[-1]
    return float(np.trapezoid(tpr, fpr))


def _binary_ap(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> float:
    """Average precision (step integral of the precision-recall curve, scikit-learn's)."""
    fps, tps, _ = _clf_curve(y, s, w)
    if tps[-1] <= 0:
        raise _Undefined("there are no positive samples")
    ps = tps + fps
    prec = np.where(ps != 0, tps / np.where(ps != 0, ps, 1), 0.0)
    rec = tps / tps[-1]
    prec = np.r_[prec[::-1], 1.0]
    rec = np.r_[rec[::-1], 0.0]
    return float(max(0.0, -np.sum(np.diff(rec) * prec[:-1])))


# --------------------------------------------------------------------------- input handling


def _binary_labels(t: np.ndarray, name: str = "y_true") -> np.ndarray:
    bad = (t != 0) & (t != 1)
    if bad.any():
        raise ValueError(
            f"{name} holds {int(t[bad][0])} at index {int(np.flatnonzero(bad)[0])}, but 1-d scores mean a "
            "binary problem with labels 0 and 1 (pass (N, C) scores for C classes)"
        )
    return t


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _scores_inputs(y_true, y_score, sample_weight, num_classes, *, score_name="y_score"):
    """Validated (kind, y, scores, w); kind is "binary", "multiclass" or "multilabel"."""
    t = as_numpy(y_true, "y_true")
    check_nonempty(t, "y_true")
    s = to_float_scores(y_score, score_name).astype(np.float64, copy=False)
    check_same_length(("y_true", t), (score_name, s))
    t = to_int_labels(t, "y_true")
    w = check_sample_weight(sample_weight, t.shape[0])
    num_classes = check_num_classes(num_classes)
    if t.ndim == 2:
        if s.shape != t.shape:
            raise ValueError(f"multilabel y_true has shape {t.shape} but {score_name} has shape {s.shape}")
        bad = (t != 0) & (t != 1)
        if bad.any():
            raise ValueError(f"multilabel y_true must hold 0/1 indicators; found {int(t[bad][0])}")
        return "multilabel", t, s, w
    if t.ndim != 1:
        raise ValueError(f"y_true must be 1-d labels or 2-d indicators, got shape {t.shape}")
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim == 1:
        if num_classes not in (None, 2):
            raise ValueError(f"num_classes={num_classes} but {score_name} is 1-d (binary scores)")
        return "binary", _binary_labels(t), s, w
    if s.ndim != 2:
        raise ValueError(f"{score_name} must be (N,) or (N, C), got shape {s.shape}")
    if num_classes is not None and num_classes != s.shape[1]:
        raise ValueError(f"num_classes={num_classes} but {score_name} has {s.shape[1]} columns")
    check_label_range(t, "y_true", s.shape[1])
    return "multiclass", t, s, w


def _check_rows_sum_to_one(s: np.ndarray, what: str) -> None:
    sums = s.sum(axis=1)
    if not np.allclose(sums, 1.0):
        i = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(
            f"{what} needs class probabilities (rows summing to 1); row {i} sums to {sums[i]:.6g} "
            f"(off by {abs(sums[i] - 1):.3g}). Pass from_logits=True for logits"
        )


def _per_column(metric, Y, S, w, average, what):
    """Average a binary metric over indicator columns (scikit-learn's _average_binary_score)."""
    if average == "micro":
        ww = None if w is None else np.repeat(w, Y.shape[1])
        try:
            return metric(Y.ravel(), S.ravel(), ww)
        except _Undefined as e:
            raise ValueError(f"{what} (micro) is undefined: {e}") from None
    if average == "samples":
        vals = np.empty(Y.shape[0])
        for i in range(Y.shape[0]):
            try:
                vals[i] = metric(Y[i], S[i], None)
            except _Undefined as e:
                raise ValueError(f"{what} of sample {i} is undefined: {e}") from None
        return float(np.average(vals, weights=w))
    if average == "weighted":
        weights = Y.sum(axis=0).astype(np.float64) if w is None else w @ Y
        if np.isclose(weights.sum(), 0.0):
            raise ValueError(f"{what} (weighted) is undefined: y_true has no positive labels")
    else:
        weights = None
    vals = np.zeros(Y.shape[1])
    for c in range(Y.shape[1]):
        if weights is not None and weights[c] == 0:
            continue  # weighs nothing; scikit-learn sets it to 0
        try:
            vals[c] = metric(Y[:, c], S[:, c], w)
        except _Undefined as e:
            raise ValueError(
                f"{what} of class {c} is undefined: {e} in its one-vs-rest problem; "
                "use average='weighted' (absent classes weigh 0) or leave the class out"
            ) from None
    if average is None:
        return vals
    return float(np.average(vals, weights=weights))


# --------------------------------------------------------------------------- public functions


def roc_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    average: str | None = "macro",
    sample_weight: ArrayLike | None = None,
    multi_class: str = "ovr",
    from_logits: bool = False,
    num_classes: int | None = None,
):
    """Area under the ROC curve: the chance a positive sample scores above a negative one.

    Args:
        y_true: (N,) labels (0/1 for binary scores; ``[0, C)`` for (N, C)
            scores) or (N, L) 0/1 indicators (multilabel).
        y_score: binary: (N,) score of class 1, any monotone confidence
            (probability, logit, margin). Multi-class: (N, C) class
            probabilities, rows summing to 1 (or logits with
            ``from_logits=True``, turned into probabilities by softmax).
            Multilabel: (N, L) per-label scores.
        average: multi-class/multilabel: ``"macro"``, ``"weighted"`` (by
            prevalence), ``"micro"`` (ovr/multilabel), ``"samples"``
            (multilabel) or None (per class, ovr only). Ignored for binary.
        sample_weight: (N,) non-negative weights (not for ``multi_class="ovo"``).
        multi_class: ``"ovr"`` (one-vs-rest, each class against all others) or
            ``"ovo"`` (Hand & Till 2001: mean over class pairs of the pairwise
            AUCs).
        from_logits: multi-class scores are logits (softmax is applied).
        num_classes: if given, must equal C.

    Returns:
        The AUC in [0, 1], or a (C,) array when ``average=None``.

    Raises:
        ValueError: bad input, or an undefined AUC (a class with no positive
            or no negative samples, with ``average`` "macro" or None). Where
            scikit-learn 1.9 returns NaN with a warning, this raises.
    """
    kind, t, s, w = _scores_inputs(y_true, y_score, sample_weight, num_classes)
    if kind == "binary":
        try:
            return _binary_auc(t, s, w)
        except _Undefined as e:
            raise ValueError(f"ROC AUC is undefined: {e} in y_true") from None
    if kind == "multilabel":
        if average not in (None, "micro", "macro", "weighted", "samples"):
            raise ValueError(f"average must be None, 'micro', 'macro', 'weighted' or 'samples', got {average!r}")
        return _per_column(_binary_auc, t, s, w, average, "ROC AUC")
    if from_logits:
        s = _softmax(s)
    else:
        _check_rows_sum_to_one(s, "multi-class ROC AUC")
    if multi_class == "ovr":
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"average must be None, 'micro', 'macro' or 'weighted' for ovr, got {average!r}")
        onehot = np.zeros(s.shape, dtype=np.int8)
        onehot[np.arange(t.size), t] = 1
        return _per_column(_binary_auc, onehot, s, w, average, "ROC AUC")
    if multi_class != "ovo":
        raise ValueError(f"multi_class must be 'ovr' or 'ovo', got {multi_class!r}")
    if average not in ("macro", "weighted"):
        raise ValueError(f"average must be 'macro' or 'weighted' for ovo, got {average!r}")
    if w is not None:
        raise ValueError("sample_weight is not supported for multiclass one-vs-one ROC AUC")
    return _ovo_auc(t, s, average)


def _ovo_auc(t: np.ndarray, s: np.ndarray, average: str) -> float:
    """Hand & Till one-vs-one AUC over the classes present in ``t``.

    For each class a, one sort of its own samples' scores ``s[:, a]`` and one
    ``searchsorted`` of every sample give, per other class b, twice the
    Mann-Whitney U of "a above b": a C x C table of pairwise AUCs.
    """
    n_cls = s.shape[1]
    counts = np.bincount(t, minlength=n_cls)
    present = np.flatnonzero(counts)
    if present.size < 2:
        raise ValueError("one-vs-one ROC AUC is undefined: y_true holds a single class")
    auc = np.zeros((n_cls, n_cls))
    for a in present:
        col = s[:, a]
        pos = np.sort(col[t == a])
        left = np.searchsorted(pos, col, "left")
        right = np.searchsorted(pos, col, "right")
        # 2 x (number of a-samples above + half the ties), per sample; summed per class
        u2 = np.bincount(t, weights=(2 * pos.size - left - right).astype(np.float64), minlength=n_cls)
        auc[a] = u2 / (2.0 * counts[a] * np.maximum(counts, 1))
    ia, ib = np.triu_indices(present.size, k=1)
    a, b = present[ia], present[ib]
    pair = (auc[a, b] + auc[b, a]) / 2
    if average == "weighted":
        prevalence = (counts[a] + counts[b]) / t.size
        return float(np.average(pair, weights=prevalence))
    return float(np.average(pair))


def average_precision(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    average: str | None = "macro",
    sample_weight: ArrayLike | None = None,
    num_classes: int | None = None,
):
    """Average precision: ``sum_n (R_n - R_{n-1}) P_n`` over the thresholds (no interpolation).

    Args:
        y_true: (N,) labels (0/1 for 1-d scores, ``[0, C)`` for (N, C)) or
            (N, L) 0/1 indicators.
        y_score: (N,) binary scores, or (N, C) / (N, L) per-class scores (any
            monotone confidence; each class is ranked on its own column).
        average: for several classes: ``"macro"``, ``"weighted"``,
            ``"micro"``, ``"samples"`` (multilabel) or None (per class).
        sample_weight: (N,) non-negative weights.
        num_classes: if given, must equal C.

    Raises:
        ValueError: bad input, or a class without positive samples (average
            "macro" or None), where scikit-learn returns 0 with a warning.
    """
    kind, t, s, w = _scores_inputs(y_true, y_score, sample_weight, num_classes)
    if kind == "binary":
        try:
            return _binary_ap(t, s, w)
        except _Undefined as e:
            raise ValueError(f"average precision is undefined: {e} in y_true") from None
    if average not in (None, "micro", "macro", "weighted", "samples"):
        raise ValueError(f"average must be None, 'micro', 'macro', 'weighted' or 'samples', got {average!r}")
    if kind == "multiclass":
        if average == "samples":
            raise ValueError("average='samples' is only defined for multilabel targets")
        y = np.zeros(s.shape, dtype=np.int8)
        y[np.arange(t.size), t] = 1
    else:
        y = t
    return _per_column(_binary_ap, y, s, w, average, "average precision")


def roc_curve(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None, drop_intermediate: bool = True
):
    """ROC curve of a binary problem (scikit-learn's ``roc_curve``, labels 0/1).

    Args:
        y_true: (N,) 0/1 labels.
        y_score: (N,) scores of class 1.
        sample_weight: (N,) non-negative weights.
        drop_intermediate: drop thresholds on straight segments (they do not
            change the curve).

    Returns:
        (fpr, tpr, thresholds): (T,) arrays; thresholds decrease from ``inf``.
    """
    kind, t, s, w = _scores_inputs(y_true, y_score, sample_weight, None)
    if kind != "binary":
        raise ValueError("roc_curve takes a binary problem: 1-d 0/1 labels and 1-d scores")
    fps, tps, thr = _clf_curve(t, s, w)
    if drop_intermediate and fps.size > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    tps = np.r_[0.0, tps]
    fps = np.r_[0.0, fps]
    thr = np.r_[np.inf, thr]
    if fps[-1] <= 0 or tps[-1] <= 0:
        raise ValueError("the ROC curve is undefined: y_true must hold both 0 and 1 (with positive weight)")
    return fps / fps[-1], tps / tps[-1], thr


def precision_recall_curve(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None, drop_intermediate: bool = False
):
    """Precision-recall pairs at every threshold of a binary problem (scikit-learn's layout).

    Returns:
        (precision, recall, thresholds): precision and recall have one more
        entry than thresholds (the final point precision 1, recall 0).
    """
    kind, t, s, w = _scores_inputs(y_true, y_score, sample_weight, None)
    if kind != "binary":
        raise ValueError("precision_recall_curve takes a binary problem: 1-d 0/1 labels and 1-d scores")
    fps, tps, thr = _clf_curve(t, s, w)
    if drop_intermediate and fps.size > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    if tps[-1] <= 0:
        raise ValueError("the precision-recall curve is undefined: y_true has no positive samples")
    ps = tps + fps
    prec = np.where(ps != 0, tps / np.where(ps != 0, ps, 1), 0.0)
    rec = tps / tps[-1]
    return np.r_[prec[::-1], 1.0], np.r_[rec[::-1], 0.0], thr[::-1]


def _topk_hits(t: np.ndarray, s: np.ndarray, k: int) -> np.ndarray:
    """Hit per sample: the true class ranks in the top k (ties: the higher class index ranks first)."""
    n, c = s.shape
    hits = np.empty(n, dtype=bool)
    cols = np.arange(c)
    step = max(1, (1 << 22) // c)
    for a in range(0, n, step):
        block = s[a : a + step]
        y = t[a : a + step]
        st = block[np.arange(block.shape[0]), y][:, None]
        ahead = np.count_nonzero(block > st, axis=1) + np.count_nonzero((block == st) & (cols > y[:, None]), axis=1)
        hits[a : a + step] = ahead < k
    return hits


def top_k_accuracy(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    k: int = 2,
    normalize: bool = True,
    sample_weight: ArrayLike | None = None,
    num_classes: int | None = None,
) -> float:
    """Share of samples whose true class is among the k highest scores.

    Ties are broken as scikit-learn does (a stable sort, reversed): among
    equal scores the higher class index ranks first. No full sort is done;
    the rank of the true class is counted.

    Args:
        y_true: (N,) labels in ``[0, C)``.
        y_score: (N, C) scores (probabilities or logits: only the order
            matters); or (N,) binary scores, where k=1 thresholds at 0.5 for
            values in [0, 1] and at 0 otherwise, and k >= 2 is always a hit.
        k: number of top classes that count.
        normalize: share (True) or (weighted) count of hits.
        sample_weight: (N,) non-negative weights.
        num_classes: if given, must equal C.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    kind, t, s, w = _scores_inputs(y_true, y_score, sample_weight, num_classes)
    if kind == "multilabel":
        raise ValueError("top_k_accuracy takes single-label targets (1-d y_true)")
    n_classes = 2 if kind == "binary" else s.shape[1]
    if k >= n_classes:
        warnings.warn(
            f"'k' ({k}) greater than or equal to 'n_classes' ({n_classes}) will result in a perfect "
            "score and is therefore meaningless.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    if kind == "binary":
        if k == 1:
            threshold = 0.5 if s.min() >= 0 and s.max() <= 1 else 0
            hits = (s > threshold).astype(np.int64) == t
        else:
            hits = np.ones(t.size, dtype=bool)
    else:
        hits = _topk_hits(t, s, k)
    if normalize:
        if w is not None and w.sum() == 0:
            raise ValueError("sample_weight sums to zero: the weighted accuracy is undefined")
        return float(np.average(hits, weights=w))
    return float(hits.sum()) if w is None else float(np.dot(hits, w))
