"""Label-based classification metrics: scikit-learn's names, arguments and edge cases.

Every function here takes integer class labels (``y_true``, ``y_pred``: 1-d
arrays, numpy or torch) or, where scikit-learn does, 2-d 0/1 indicator arrays
for multilabel problems. The work is counting: three ``np.bincount`` calls
give true positives, predicted and true counts per class, one more gives the
confusion matrix. No Python loop runs over samples.

Which classes count, scikit-learn's rule:

* ``labels=None`` and ``num_classes=None``: the classes that occur in
  ``y_true`` or ``y_pred``.
* ``num_classes=K``: labels must lie in ``[0, K)`` (else ``ValueError``) and all
  K classes count, also those absent from both arrays: the same as
  scikit-learn's ``labels=range(K)``. Per-class results then have length K.
* ``labels=[...]``: exactly those classes, in that order (scikit-learn's
  ``labels``); samples of other classes still count as errors of the listed
  ones.

The helpers ``_prf_from_counts`` and friends take the counts, so the streaming
metrics (:mod:`._streaming`) compute through exactly the same code.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._validation import (
    ArrayLike,
    as_numpy,
    check_label_range,
    check_num_classes,
    check_sample_weight,
    check_zero_division,
    targets,
    to_int_labels,
    warn_undefined,
)

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "cohen_kappa",
    "confusion_matrix",
    "f1_score",
    "fbeta_score",
    "hamming_loss",
    "matthews_corrcoef",
    "multilabel_confusion_matrix",
    "precision",
    "precision_recall_fscore_support",
    "recall",
]

_AVERAGES = (None, "binary", "micro", "macro", "weighted", "samples")
_FAST_LABEL_LIMIT = 1 << 16  # labels in [0, max(this, 2 n)) are counted without re-encoding


# --------------------------------------------------------------------------- counting


def _codes(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Map labels to codes 0..K-1 over a sorted candidate class list.

    Returns (classes, true codes, pred codes, explicit), ``explicit`` when the
    classes are fixed by ``num_classes``. Non-negative labels of moderate size
    are their own codes (no copy); others go through ``np.unique``.
    """
    if num_classes is not None:
        check_label_range(y_true, "y_true", num_classes)
        check_label_range(y_pred, "y_pred", num_classes)
        return np.arange(num_classes), y_true, y_pred, True
    lo = min(int(y_true.min()), int(y_pred.min()))
    hi = max(int(y_true.max()), int(y_pred.max()))
    if lo >= 0 and hi < max(_FAST_LABEL_LIMIT, 2 * y_true.size):
        return np.arange(hi + 1), y_true, y_pred, False
    classes, inverse = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    return classes, inverse[: y_true.size], inverse[y_true.size :], False


class _Counts:
    """Per-class sufficient statistics of a single-label problem (K candidate classes)."""

    def __init__(self, classes, tp, pred, true, present, explicit):
        self.classes = classes
        self.tp = tp
        self.pred = pred
        self.true = true
        self.present = present  # (K,) bool: the label occurs in y_true or y_pred
        self.explicit = explicit


def _multiclass_counts(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None, w: np.ndarray | None
) -> _Counts:
    classes, yt, yp, explicit = _codes(y_true, y_pred, num_classes)
    k = classes.size
    hit = yt == yp
    if w is None:
        true = np.bincount(yt, minlength=k)
        pred = np.bincount(yp, minlength=k)
        tp = np.bincount(yt[hit], minlength=k)
        present = (true > 0) | (pred > 0)
    else:
        true = np.bincount(yt, weights=w, minlength=k)
        pred = np.bincount(yp, weights=w, minlength=k)
        tp = np.bincount(yt[hit], weights=w[hit], minlength=k)
        present = (np.bincount(yt, minlength=k) > 0) | (np.bincount(yp, minlength=k) > 0)
    return _Counts(classes, tp, pred, true, present, explicit)


def _check_labels_arg(labels: ArrayLike, num_classes: int | None) -> np.ndarray:
    lab = to_int_labels(as_numpy(labels, "labels"), "labels").ravel()
    if lab.size == 0:
        raise ValueError("labels is empty: give at least one class label")
    if num_classes is not None:
        check_label_range(lab, "labels", num_classes)
    return lab


def _select(
    classes: np.ndarray, present: np.ndarray, explicit: bool, labels: ArrayLike | None, num_classes: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The classes a metric reports: (label values, indices into K-long stats; K = absent).

    Index K points at the zero appended by :func:`_take`, so a listed label
    that never occurs gets zero counts.
    """
    if labels is None:
        if explicit:
            return classes, np.arange(classes.size)
        idx = np.flatnonzero(present)
        return classes[idx], idx
    lab = _check_labels_arg(labels, num_classes)
    pos = np.minimum(np.searchsorted(classes, lab), classes.size - 1)
    idx = np.where(classes[pos] == lab, pos, classes.size)
    return lab, idx


def _take(stat: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.append(stat, np.zeros(1, dtype=stat.dtype))[idx]


# --------------------------------------------------------------------------- precision / recall / F


def _divide(num, den, zero_value, *, warn, what, modifier, average):
    """num / den with 0/0 (den == 0) set to ``zero_value`` (scikit-learn's _prf_divide)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    mask = den == 0
    result = num / np.where(mask, 1.0, den)
    if mask.any():
        result[mask] = zero_value
        if warn:
            axis0, axis1 = ("label", "sample") if average == "samples" else ("sample", "label")
            where = "due to" if result.size == 1 else f"in {axis1}s with"
            warn_undefined(
                f"{what} is ill-defined and being set to 0.0 {where} no {modifier} {axis0}s. "
                "Use `zero_division` parameter to control this behavior."
            )
    return result


def _nanaverage(a: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted mean ignoring NaN entries; all-zero weights fall back to the plain mean."""
    if a.size == 0:
        return float("nan")
    mask = np.isnan(a)
    if mask.all():
        return float("nan")
    if weights is None:
        return float(np.nanmean(a))
    a, weights = a[~mask], np.asarray(weights)[~mask]
    try:
        return float(np.average(a, weights=weights))
    except ZeroDivisionError:
        return float(np.average(a))


def _prf_from_counts(
    tp: np.ndarray,
    pred: np.ndarray,
    true: np.ndarray,
    *,
    beta: float,
    average: str | None,
    zero_division: Any,
    avg_weights: np.ndarray | None = None,
    warn_for: tuple[str, ...] = ("precision", "recall", "f-score"),
):
    """Precision, recall, F-beta and support from per-class (or per-sample) counts.

    Args:
        tp, pred, true: (L,) true positives, predicted and true counts of the
            selected labels (of the samples when ``average == "samples"``).
        beta: weight of recall in the F-score (>= 0, may be inf).
        average: None (per label), "binary" (the single label given),
            "micro", "macro", "weighted" or "samples".
        zero_division: value for 0/0: 0, 1, nan, or "warn" (0 with a warning).
        avg_weights: sample weights for ``average == "samples"``.
    """
    zero_value = check_zero_division(zero_division)
    warn = isinstance(zero_division, str)
    if average == "micro":
        tp, pred, true = (np.reshape(np.sum(a), (1,)) for a in (tp, pred, true))
    precision = _divide(
        tp,
        pred,
        zero_value,
        warn=warn and "precision" in warn_for,
        what="Precision",
        modifier="predicted",
        average=average,
    )
    recall = _divide(
        tp, true, zero_value, warn=warn and "recall" in warn_for, what="Recall", modifier="true", average=average
    )
    if np.isposinf(beta):
        f_score = recall
    elif beta == 0:
        f_score = precision
    else:
        beta2 = beta**2
        # (1 + b^2) P R / (b^2 P + R) = (1 + b^2) tp / (b^2 true + pred): defined unless both are 0
        f_score = _divide(
            (1 + beta2) * np.asarray(tp, dtype=np.float64),
            beta2 * np.asarray(true, dtype=np.float64) + np.asarray(pred, dtype=np.float64),
            zero_value,
            warn=warn and "f-score" in warn_for,
            what="F-score",
            modifier="true nor predicted",
            average=average,
        )
    if average is None:
        return precision, recall, f_score, true
    weights = true if average == "weighted" else (avg_weights if average == "samples" else None)
    return (
        _nanaverage(precision, weights),
        _nanaverage(recall, weights),
        _nanaverage(f_score, weights),
        None,
    )


def _check_average(average: str | None) -> None:
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")


def _multilabel_sums(t, p, w, samplewise):
    """(tp, pred, true) per label (axis 0) or per sample (samplewise) of 0/1 indicator arrays."""
    both = t & p
    if samplewise:
        sums = [a.sum(axis=1) for a in (both, p, t)]
        return sums if w is None else [s * w for s in sums]
    if w is None:
        return [a.sum(axis=0) for a in (both, p, t)]
    return [w @ a for a in (both, p, t)]


def _multilabel_columns(n_labels: int, labels: ArrayLike | None) -> np.ndarray | None:
    if labels is None:
        return None
    lab = _check_labels_arg(labels, None)
    if lab.min() < 0 or lab.max() >= n_labels:
        bad = lab[(lab < 0) | (lab >= n_labels)][0]
        raise ValueError(
            f"labels holds {bad}, but multilabel targets have {n_labels} label columns: "
            f"labels must lie in [0, {n_labels - 1}]"
        )
    return lab


def _prf_inputs(y_true, y_pred, *, labels, pos_label, average, sample_weight, num_classes):
    """Validated counts for precision_recall_fscore_support: (tp, pred, true, avg_weights)."""
    _check_average(average)
    kind, t, p = targets(y_true, y_pred)
    w = check_sample_weight(sample_weight, t.shape[0])
    num_classes = check_num_classes(num_classes)
    if kind == "multilabel":
        if average == "binary":
            raise ValueError(
                "Target is multilabel-indicator but average='binary'. Please choose another "
                "average setting, one of [None, 'micro', 'macro', 'weighted', 'samples']."
            )
        if num_classes is not None and num_classes != t.shape[1]:
            raise ValueError(f"num_classes={num_classes} but the multilabel targets have {t.shape[1]} columns")
        cols = _multilabel_columns(t.shape[1], labels)
        if cols is not None:
            t, p = t[:, cols], p[:, cols]
        tp, pred, true = _multilabel_sums(t, p, w, samplewise=average == "samples")
        return tp, pred, true, (w if average == "samples" else None)
    if average == "samples":
        raise ValueError(
            "average='samples' is only defined for multilabel targets (2-d indicator arrays); "
            "single-label targets take None, 'binary', 'micro', 'macro' or 'weighted'"
        )
    c = _multiclass_counts(t, p, num_classes, w)
    if average == "binary":
        present = c.classes[c.present].tolist()
        n_classes = num_classes if num_classes is not None else len(present)
        if n_classes > 2:
            raise ValueError(
                f"Target is multiclass ({n_classes} classes) but average='binary'. Please choose "
                "another average setting, one of [None, 'micro', 'macro', 'weighted']."
            )
        if num_classes is not None and pos_label not in (0, 1):
            raise ValueError(f"pos_label={pos_label} is not a valid label. It should be one of [0, 1]")
        if pos_label not in present and len(present) >= 2:
            raise ValueError(f"pos_label={pos_label} is not a valid label. It should be one of {present}")
        labels = [pos_label]
    elif pos_label not in (None, 1):
        warnings.warn(
            f"Note that pos_label (set to {pos_label!r}) is ignored when average != 'binary' "
            f"(got {average!r}). You may use labels=[pos_label] to specify a single positive class.",
            UserWarning,
            stacklevel=3,
        )
    _, idx = _select(c.classes, c.present, c.explicit, labels, num_classes)
    return _take(c.tp, idx), _take(c.pred, idx), _take(c.true, idx), None


def precision_recall_fscore_support(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float = 1.0,
    labels: ArrayLike | None = None,
    pos_label: int = 1,
    average: str | None = None,
    sample_weight: ArrayLike | None = None,
    zero_division: Any = "warn",
    num_classes: int | None = None,
):
    """Precision, recall, F-beta score and support per class or averaged (scikit-learn semantics).

    Precision is ``tp / (tp + fp)``, recall ``tp / (tp + fn)`` and the F-beta
    score ``(1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp)``.

    Args:
        y_true: (N,) true class labels, or (N, L) 0/1 indicators (multilabel).
        y_pred: (N,) predicted class labels, or (N, L) 0/1 indicators.
        beta: weight of recall against precision (``beta >= 0``; 1 gives F1).
        labels: the classes to report, in this order (see the module notes);
            for multilabel, column indices.
        pos_label: the positive class when ``average="binary"``.
        average: None returns per-class arrays; ``"binary"`` the scores of
            ``pos_label`` (two-class problems only); ``"micro"`` pools the
            counts of all classes; ``"macro"`` averages the per-class scores;
            ``"weighted"`` averages them weighted by support; ``"samples"``
            (multilabel) averages per-sample scores.
        sample_weight: (N,) non-negative weights.
        zero_division: the value of a score whose denominator is 0 (a class
            never predicted has no precision, one never true has no recall):
            0, 1 or ``nan``; ``"warn"`` acts as 0 and warns. NaN entries are
            left out of averages.
        num_classes: number of classes: labels must lie in ``[0,
            num_classes)`` and every class counts (``labels=range(K)``).

    Returns:
        (precision, recall, fbeta, support): floats when averaged (support is
        then None), else (L,) arrays.

    Raises:
        ValueError: on mismatched lengths, empty input, non-integer labels,
            labels outside ``num_classes``, ``average="binary"`` on more than
            two classes, or ``beta < 0``.
    """
    if beta < 0:
        raise ValueError(f"beta should be >= 0 in the F-beta score, got {beta}")
    tp, pred, true, avg_w = _prf_inputs(
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        num_classes=num_classes,
    )
    return _prf_from_counts(tp, pred, true, beta=beta, average=average, zero_division=zero_division, avg_weights=avg_w)


def _one_score(
    which: int, y_true, y_pred, *, beta, labels, pos_label, average, sample_weight, zero_division, num_classes, warn_for
):
    if beta < 0:
        raise ValueError(f"beta should be >= 0 in the F-beta score, got {beta}")
    tp, pred, true, avg_w = _prf_inputs(
        y_true,
        y_pred,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        num_classes=num_classes,
    )
    return _prf_from_counts(
        tp, pred, true, beta=beta, average=average, zero_division=zero_division, avg_weights=avg_w, warn_for=warn_for
    )[which]


def precision(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: ArrayLike | None = None,
    zero_division: Any = "warn",
    num_classes: int | None = None,
):
    """Precision ``tp / (tp + fp)``: of the samples predicted as a class, the share that are.

    Same arguments and edge cases as :func:`precision_recall_fscore_support`
    (scikit-learn's ``precision_score``). Returns a float, or an array when
    ``average=None``.
    """
    return _one_score(
        0,
        y_true,
        y_pred,
        beta=1.0,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        num_classes=num_classes,
        warn_for=("precision",),
    )


def recall(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: ArrayLike | None = None,
    zero_division: Any = "warn",
    num_classes: int | None = None,
):
    """Recall ``tp / (tp + fn)``: of the samples of a class, the share found.

    Same arguments and edge cases as :func:`precision_recall_fscore_support`
    (scikit-learn's ``recall_score``).
    """
    return _one_score(
        1,
        y_true,
        y_pred,
        beta=1.0,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        num_classes=num_classes,
        warn_for=("recall",),
    )


def fbeta_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    beta: float,
    labels: ArrayLike | None = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: ArrayLike | None = None,
    zero_division: Any = "warn",
    num_classes: int | None = None,
):
    """F-beta score, the weighted harmonic mean of precision and recall.

    ``(1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp)``; ``beta > 1``
    favours recall. Same arguments as :func:`precision_recall_fscore_support`.
    """
    return _one_score(
        2,
        y_true,
        y_pred,
        beta=beta,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        num_classes=num_classes,
        warn_for=("f-score",),
    )


def f1_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    pos_label: int = 1,
    average: str | None = "binary",
    sample_weight: ArrayLike | None = None,
    zero_division: Any = "warn",
    num_classes: int | None = None,
):
    """F1 score ``2 tp / (2 tp + fn + fp)`` (:func:`fbeta_score` with ``beta=1``)."""
    return _one_score(
        2,
        y_true,
        y_pred,
        beta=1.0,
        labels=labels,
        pos_label=pos_label,
        average=average,
        sample_weight=sample_weight,
        zero_division=zero_division,
        num_classes=num_classes,
        warn_for=("f-score",),
    )


# --------------------------------------------------------------------------- accuracy family


def accuracy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    normalize: bool = True,
    sample_weight: ArrayLike | None = None,
    num_classes: int | None = None,
) -> float:
    """Share of samples whose predicted label equals the true one.

    For multilabel (2-d indicator) inputs this is subset accuracy: a sample
    counts only when every one of its labels is right.

    Args:
        y_true: (N,) true labels or (N, L) 0/1 indicators.
        y_pred: (N,) predicted labels or (N, L) 0/1 indicators.
        normalize: return the share (True) or the (weighted) count of hits.
        sample_weight: (N,) non-negative weights.
        num_classes: if given, labels must lie in ``[0, num_classes)``.

    Returns:
        The accuracy in [0, 1] (or the count when ``normalize=False``).
    """
    kind, t, p = targets(y_true, y_pred)
    w = check_sample_weight(sample_weight, t.shape[0])
    num_classes = check_num_classes(num_classes)
    if num_classes is not None and kind == "multiclass":
        check_label_range(t, "y_true", num_classes)
        check_label_range(p, "y_pred", num_classes)
    hit = (t == p) if kind == "multiclass" else (t == p).all(axis=1)
    if w is None:
        count = np.count_nonzero(hit)
        return count / hit.size if normalize else float(count)
    if not normalize:
        return float(np.dot(hit, w))
    if w.sum() == 0:
        raise ValueError("sample_weight sums to zero: the weighted accuracy is undefined")
    return float(np.average(hit, weights=w))


def _balanced_from_counts(tp: np.ndarray, true: np.ndarray, *, adjusted: bool) -> float:
    """Mean recall over the classes that occur in y_true (scikit-learn's balanced accuracy)."""
    seen = true > 0  # classes only predicted (or absent) have no recall and are left out
    per_class = np.asarray(tp[seen], dtype=np.float64) / true[seen]
    if per_class.size == 0:
        raise ValueError("balanced accuracy is undefined: y_true has no samples with positive weight")
    score = float(np.mean(per_class))
    if adjusted:
        if per_class.size < 2:
            raise ValueError("adjusted balanced accuracy needs at least two classes in y_true (chance level is 1)")
        chance = 1 / per_class.size
        score = (score - chance) / (1 - chance)
    return float(score)


def balanced_accuracy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    adjusted: bool = False,
    num_classes: int | None = None,
) -> float:
    """Mean per-class recall over the classes present in ``y_true``.

    Classes that occur only in ``y_pred`` have no recall and are left out
    (scikit-learn warns "y_pred contains classes not in y_true"; so do we).
    ``adjusted=True`` rescales so chance scores 0 and perfect 1.

    Args:
        y_true: (N,) true labels.
        y_pred: (N,) predicted labels.
        sample_weight: (N,) non-negative weights.
        adjusted: subtract chance level ``1/n_classes`` and rescale.
        num_classes: if given, labels must lie in ``[0, num_classes)``.
    """
    kind, t, p = targets(y_true, y_pred)
    if kind != "multiclass":
        raise ValueError("balanced_accuracy takes single-label targets (1-d), not multilabel indicators")
    w = check_sample_weight(sample_weight, t.shape[0])
    c = _multiclass_counts(t, p, check_num_classes(num_classes), w)
    if ((c.true == 0) & (c.pred > 0)).any():
        warnings.warn("y_pred contains classes not in y_true", UserWarning, stacklevel=2)
    return _balanced_from_counts(c.tp, c.true, adjusted=adjusted)


def _mcc_from_counts(tp: np.ndarray, true: np.ndarray, pred: np.ndarray) -> float:
    """Matthews correlation from per-class counts (the K-class generalisation, R_K)."""
    t_sum = np.asarray(true, dtype=np.float64)
    p_sum = np.asarray(pred, dtype=np.float64)
    if np.count_nonzero(t_sum) <= 1 or np.count_nonzero(p_sum) <= 1:
        # a constant side has zero variance: 0/0, which is 0.0 (exactly; with float
        # weights the covariance formula would leave rounding noise instead of 0)
        return 0.0
    n_correct = float(np.sum(tp, dtype=np.float64))
    n_samples = p_sum.sum()
    cov_ytyp = n_correct * n_samples - np.dot(t_sum, p_sum)
    cov_ypyp = n_samples**2 - np.dot(p_sum, p_sum)
    cov_ytyt = n_samples**2 - np.dot(t_sum, t_sum)
    denom = cov_ypyp * cov_ytyt
    if denom == 0:
        return 0.0
    return float(cov_ytyp / np.sqrt(denom))


def matthews_corrcoef(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, num_classes: int | None = None
) -> float:
    """Matthews correlation coefficient (multi-class R_K statistic), in [-1, 1].

    When every sample has the same true label, or every prediction is the
    same, the coefficient is 0/0; like scikit-learn it is then 0.0.

    Args:
        y_true: (N,) true labels.
        y_pred: (N,) predicted labels.
        sample_weight: (N,) non-negative weights.
        num_classes: if given, labels must lie in ``[0, num_classes)``.
    """
    kind, t, p = targets(y_true, y_pred)
    if kind != "multiclass":
        raise ValueError("matthews_corrcoef takes single-label targets (1-d), not multilabel indicators")
    w = check_sample_weight(sample_weight, t.shape[0])
    c = _multiclass_counts(t, p, check_num_classes(num_classes), w)
    return _mcc_from_counts(c.tp, c.true, c.pred)


# --------------------------------------------------------------------------- confusion matrices


def _confusion_counts(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    labels: ArrayLike | None,
    num_classes: int | None,
    w: np.ndarray | None,
    true_name: str = "y_true",
) -> tuple[np.ndarray, np.ndarray]:
    """(label values, L x L counts): rows true, columns predicted, one ``np.bincount``."""
    classes, yt, yp, explicit = _codes(y_true, y_pred, num_classes)
    k = classes.size
    if labels is None:
        if explicit:
            sel = np.arange(k)
        else:
            true_n = np.bincount(yt, minlength=k)
            pred_n = np.bincount(yp, minlength=k)
            sel = np.flatnonzero((true_n > 0) | (pred_n > 0))
        values = classes[sel]
    else:
        values, sel = _select(classes, np.zeros(k, bool), explicit, labels, num_classes)
        if np.unique(values).size != values.size:
            raise ValueError(f"labels must not repeat a class, got {values.tolist()}")
        found = sel[sel < k]
        if found.size == 0 or not (np.bincount(yt, minlength=k)[found] > 0).any():
            raise ValueError(f"At least one label specified must be in {true_name}")
    n_sel = values.size
    if n_sel == k and np.array_equal(sel, np.arange(k)):
        t_idx, p_idx, ww = yt, yp, w
    else:  # re-index to the selected classes and drop samples of other classes
        lut = np.full(k + 1, -1, dtype=np.int64)
        lut[sel] = np.arange(n_sel)
        lut[k] = -1
        t_idx, p_idx = lut[yt], lut[yp]
        keep = (t_idx >= 0) & (p_idx >= 0)
        if not keep.all():
            t_idx, p_idx = t_idx[keep], p_idx[keep]
            ww = None if w is None else w[keep]
        else:
            ww = w
    flat = t_idx * n_sel + p_idx
    cm = np.bincount(flat, weights=ww, minlength=n_sel * n_sel).reshape(n_sel, n_sel)
    return values, cm


def _normalize_cm(cm: np.ndarray, normalize: str | None) -> np.ndarray:
    if normalize is None:
        return cm
    with np.errstate(all="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            cm = cm / cm.sum()
        else:
            raise ValueError(f'normalize must be None, "true", "pred" or "all", got {normalize!r}')
    return np.nan_to_num(cm)


def confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    normalize: str | None = None,
    num_classes: int | None = None,
) -> np.ndarray:
    """Confusion matrix ``C[i, j]``: samples of true class i predicted as class j.

    Args:
        y_true: (N,) true labels.
        y_pred: (N,) predicted labels.
        labels: classes indexing the rows and columns, in this order; samples
            whose true or predicted class is not listed are left out. At least
            one listed class must occur in ``y_true``.
        sample_weight: (N,) non-negative weights (the matrix is then float).
        normalize: None (counts), ``"true"`` (rows sum to 1), ``"pred"``
            (columns sum to 1) or ``"all"`` (the matrix sums to 1); rows or
            columns without samples become 0, as in scikit-learn.
        num_classes: labels must lie in ``[0, num_classes)``; the matrix is
            ``num_classes x num_classes``.

    Returns:
        (L, L) int64 counts, or float64 when weighted or normalized.
    """
    kind, t, p = targets(y_true, y_pred)
    if kind != "multiclass":
        raise ValueError(
            "confusion_matrix takes single-label targets (1-d); for multilabel use multilabel_confusion_matrix"
        )
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f'normalize must be None, "true", "pred" or "all", got {normalize!r}')
    w = check_sample_weight(sample_weight, t.shape[0])
    _, cm = _confusion_counts(t, p, labels=labels, num_classes=check_num_classes(num_classes), w=w)
    if w is None:
        cm = cm.astype(np.int64, copy=False)
    return _normalize_cm(cm, normalize)


def multilabel_confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    samplewise: bool = False,
    num_classes: int | None = None,
) -> np.ndarray:
    """One-vs-rest 2x2 confusion matrices ``[[tn, fp], [fn, tp]]`` per class (or per sample).

    Args:
        y_true: (N,) labels or (N, L) 0/1 indicators.
        y_pred: (N,) labels or (N, L) 0/1 indicators.
        sample_weight: (N,) non-negative weights.
        labels: classes (or indicator columns) to report, in this order.
        samplewise: multilabel only: one matrix per sample instead of per label.
        num_classes: labels must lie in ``[0, num_classes)``; all classes reported.

    Returns:
        (L, 2, 2) array (int64, or float64 when weighted).
    """
    kind, t, p = targets(y_true, y_pred)
    w = check_sample_weight(sample_weight, t.shape[0])
    num_classes = check_num_classes(num_classes)
    if kind == "multilabel":
        cols = _multilabel_columns(t.shape[1], labels)
        if cols is not None:
            t, p = t[:, cols], p[:, cols]
        tp, pred, true = _multilabel_sums(t, p, w, samplewise)
        if samplewise:
            total = t.shape[1] if w is None else w * t.shape[1]
        else:
            total = t.shape[0] if w is None else w.sum()
    else:
        if samplewise:
            raise ValueError("Samplewise metrics are not available outside of multilabel classification.")
        c = _multiclass_counts(t, p, num_classes, w)
        _, idx = _select(c.classes, c.present, c.explicit, labels, num_classes)
        tp, pred, true = _take(c.tp, idx), _take(c.pred, idx), _take(c.true, idx)
        total = t.shape[0] if w is None else w.sum()
    fp = pred - tp
    fn = true - tp
    tn = total - tp - fp - fn
    return np.stack([tn, fp, fn, tp], axis=-1).reshape(-1, 2, 2)


def _kappa_from_cm(cm: np.ndarray, *, weights: str | None, replace_undefined_by: float) -> float:
    """Cohen's kappa from a confusion matrix (scikit-learn's formula, also for weighted kappa)."""
    confusion = cm.astype(np.float64)
    n_classes = confusion.shape[0]
    sum0 = confusion.sum(axis=0)
    sum1 = confusion.sum(axis=1)
    denominator = sum0.sum()
    if denominator == 0:
        warn_undefined("y2 contains no labels that are present in both y1 and labels; cohen_kappa is undefined")
        return replace_undefined_by
    expected = np.outer(sum0, sum1) / denominator
    if weights is None:
        w_mat = np.ones((n_classes, n_classes))
        np.fill_diagonal(w_mat, 0)
    else:
        grid = np.zeros((n_classes, n_classes)) + np.arange(n_classes)
        w_mat = np.abs(grid - grid.T) if weights == "linear" else (grid - grid.T) ** 2
    den = np.sum(w_mat * expected)
    if den == 0:
        warn_undefined("y1, y2 and labels have only one label in common; cohen_kappa is undefined")
        return replace_undefined_by
    return float(1 - np.sum(w_mat * confusion) / den)


def cohen_kappa(
    y1: ArrayLike,
    y2: ArrayLike,
    *,
    labels: ArrayLike | None = None,
    weights: str | None = None,
    sample_weight: ArrayLike | None = None,
    replace_undefined_by: float = float("nan"),
    num_classes: int | None = None,
) -> float:
    """Cohen's kappa: agreement of two labelings beyond chance, ``(p_o - p_e) / (1 - p_e)``.

    Args:
        y1: (N,) labels of the first rater (e.g. the ground truth).
        y2: (N,) labels of the second rater (e.g. the predictions).
        labels: classes to use, in this order (weighted kappa measures
            distances by position in this list; with ``num_classes`` the
            position is the class index itself).
        weights: None, ``"linear"`` or ``"quadratic"`` disagreement weights.
        sample_weight: (N,) non-negative weights.
        replace_undefined_by: returned (with an ``UndefinedMetricWarning``)
            when kappa is 0/0, e.g. both raters always give the same single
            label; scikit-learn's default is NaN.
        num_classes: labels must lie in ``[0, num_classes)``; all classes used.
    """
    if weights not in (None, "linear", "quadratic"):
        raise ValueError(f'weights must be None, "linear" or "quadratic", got {weights!r}')
    kind, t, p = targets(y1, y2, pred_name="y2")
    if kind != "multiclass":
        raise ValueError("cohen_kappa takes single-label targets (1-d), not multilabel indicators")
    w = check_sample_weight(sample_weight, t.shape[0])
    _, cm = _confusion_counts(t, p, labels=labels, num_classes=check_num_classes(num_classes), w=w, true_name="y1")
    return _kappa_from_cm(cm, weights=weights, replace_undefined_by=replace_undefined_by)


def hamming_loss(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Share of wrong labels: of all (sample, label) entries for multilabel, of samples otherwise.

    Args:
        y_true: (N,) labels or (N, L) 0/1 indicators.
        y_pred: (N,) labels or (N, L) 0/1 indicators.
        sample_weight: (N,) non-negative weights.
    """
    kind, t, p = targets(y_true, y_pred)
    w = check_sample_weight(sample_weight, t.shape[0])
    if w is not None and w.sum() == 0:
        raise ValueError("sample_weight sums to zero: the hamming loss is undefined")
    if kind == "multiclass":
        return float(np.average(t != p, weights=w))
    diff = t != p
    if w is None:
        return float(np.count_nonzero(diff)) / (t.shape[0] * t.shape[1])
    return float(np.sum(diff * w[:, None])) / (t.shape[0] * t.shape[1] * np.average(w))
