"""Stateful metrics for evaluation loops: ``update``, ``compute``, ``reset``, ``merge``, ``sync``.

Each metric keeps the smallest state its value needs and computes through
the same private functions as the pure metrics, so::

    m = F1Score(num_classes=10, average="macro")
    for logits, target in loader:
        m.update(logits, target)
    m.compute() == f1_score(all_target, all_logits.argmax(1), average="macro", num_classes=10)

holds exactly, bit for bit, however the data are split into batches or
processes:

* counts (confusion matrix, per-class tp / predicted / true, bins) are int64;
* float sums (cross-entropy, bin confidences) are exact integers
  (:mod:`._exact`), rounded once in ``compute``;
* ROC AUC and average precision need every score: :class:`ROCAUC` and
  :class:`AveragePrecision` store them (memory grows with the data, 8 bytes per
  score), every other metric has a fixed-size state.

``merge(other)`` adds another metric's state (e.g. from another process);
``sync()`` all-reduces the state over ``torch.distributed`` when it is
initialised (sums with ``all_reduce``, stored scores with
``all_gather_object``), after which every process holds the global state.
Call ``sync()`` once, right before ``compute()``.

``update(preds, target)`` takes ``target`` as (N,) labels and ``preds`` as
(N,) labels or (N, C) scores; label metrics turn scores into labels with
argmax (the first of tied maxima).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._calibration import ReliabilityCurve, _bin_state, _check_bins, _curve_from_state, _error_from_state, _top_label
from ._classification import (
    _balanced_from_counts,
    _check_average,
    _kappa_from_cm,
    _mcc_from_counts,
    _normalize_cm,
    _prf_from_counts,
    _select,
    _take,
)
from ._crossentropy import _sample_losses, _validated
from ._exact import exact_sums, from_limbs, to_limbs
from ._ranking import _scores_inputs, _topk_hits, average_precision, roc_auc
from ._validation import (
    ArrayLike,
    as_numpy,
    check_label_range,
    check_nonempty,
    check_num_classes,
    check_same_length,
    to_float_scores,
    to_int_labels,
)

__all__ = [
    "Accuracy",
    "AveragePrecision",
    "BalancedAccuracy",
    "CalibrationError",
    "CohenKappa",
    "ConfusionMatrix",
    "CrossEntropy",
    "F1Score",
    "FBetaScore",
    "MatthewsCorrCoef",
    "Metric",
    "Precision",
    "PrecisionRecallFScoreSupport",
    "ROCAUC",
    "Recall",
]


class Metric:
    """Base of the streaming metrics.

    A subclass lists its state in ``_states`` (name -> "count" for int64
    arrays, "exact" for lists of exact sums, "cat" for lists of stored
    arrays), sets it in :meth:`reset`, fills it in :meth:`update` and reads it
    in :meth:`compute`. ``_config`` returns the constructor options that must
    agree for two metrics to merge.
    """

    _states: dict[str, str] = {}

    def __init__(self) -> None:
        self.reset()

    # -- to implement
    def reset(self) -> None:
        """Forget every sample seen."""
        raise NotImplementedError

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        """Add a batch: ``preds`` (N,) labels or (N, C) scores, ``target`` (N,) labels."""
        raise NotImplementedError

    def compute(self) -> Any:
        """The metric over every sample added (and merged) so far."""
        raise NotImplementedError

    def _config(self) -> tuple:
        return ()

    # -- shared
    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._config()}"

    def _reset_sync_flag(self) -> None:
        self._synced = False

    def merge(self, other: Metric) -> Metric:
        """Add the state of ``other`` (same class and options) into this metric; returns self."""
        if type(other) is not type(self) or other._config() != self._config():
            raise ValueError(f"cannot merge {other!r} into {self!r}: the class and options must match")
        for name, kind in self._states.items():
            mine, theirs = getattr(self, name), getattr(other, name)
            if kind == "count":
                setattr(self, name, mine + theirs)
            elif kind == "exact":
                setattr(self, name, [a + b for a, b in zip(mine, theirs)])
            else:
                setattr(self, name, mine + [a.copy() for a in theirs])
        return self

    def sync(self, group: Any = None) -> Metric:
        """All-reduce the state over ``torch.distributed`` (no-op when it is not initialised).

        Afterwards every process holds the state of all processes, so
        :meth:`compute` gives the single-process result. Returns self.

        Raises:
            RuntimeError: when called twice without :meth:`reset` (the
                second call would count every sample again).
        """
        import torch
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return self
        if getattr(self, "_synced", False):
            raise RuntimeError(f"{self!r} is already synced; reset() before collecting new samples")
        device = torch.device("cpu")
        if dist.get_backend(group) == "nccl":
            device = torch.device("cuda", torch.cuda.current_device())
        summed = [(n, k) for n, k in self._states.items() if k in ("count", "exact")]
        parts, shapes = [], []
        for name, kind in summed:
            arr = getattr(self, name)
            arr = np.asarray(arr, dtype=np.int64) if kind == "count" else to_limbs(arr)
            shapes.append(arr.shape)
            parts.append(arr.ravel())
        if parts:
            flat = torch.from_numpy(np.concatenate(parts)).to(device)
            dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=group)
            flat = flat.cpu().numpy()
            offset = 0
            for (name, kind), shape in zip(summed, shapes):
                size = int(np.prod(shape))
                arr = flat[offset : offset + size].reshape(shape)
                offset += size
                setattr(self, name, arr.copy() if kind == "count" else from_limbs(arr))
        for name, kind in self._states.items():
            if kind != "cat":
                continue
            local = getattr(self, name)
            gathered: list[Any] = [None] * dist.get_world_size(group)
            dist.all_gather_object(gathered, np.concatenate(local) if local else None, group=group)
            setattr(self, name, [g for g in gathered if g is not None])
        self._synced = True
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """The state as numpy arrays (exact sums as int64 digit arrays), e.g. to save or send."""
        out = {}
        for name, kind in self._states.items():
            value = getattr(self, name)
            if kind == "count":
                out[name] = np.array(value, dtype=np.int64)
            elif kind == "exact":
                out[name] = to_limbs(value)
            else:
                out[name] = np.concatenate(value) if value else np.zeros((0,))
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state saved by :meth:`state_dict` (of a metric with the same options)."""
        for name, kind in self._states.items():
            value = state[name]
            if kind == "count":
                setattr(self, name, np.array(value, dtype=np.int64))
            elif kind == "exact":
                setattr(self, name, from_limbs(value))
            else:
                setattr(self, name, [np.array(value)] if len(value) else [])


def _batch_labels(preds: ArrayLike, target: ArrayLike, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(target, predicted labels) of a batch; scores become labels by argmax."""
    t = as_numpy(target, "target")
    if t.ndim != 1:
        raise ValueError(f"target must be 1-d class labels, got shape {t.shape}")
    check_nonempty(t, "target")
    t = to_int_labels(t, "target")
    p = as_numpy(preds, "preds")
    check_same_length(("target", t), ("preds", p))
    if p.ndim == 2:
        if p.shape[1] != num_classes:
            raise ValueError(f"preds has {p.shape[1]} columns (class scores) but num_classes={num_classes}")
        p = to_float_scores(p, "preds").argmax(axis=1)
    elif p.ndim == 1:
        p = to_int_labels(p, "preds")
    else:
        raise ValueError(f"preds must be (N,) labels or (N, C) scores, got shape {p.shape}")
    check_label_range(t, "target", num_classes)
    check_label_range(p, "preds", num_classes)
    return t, p


def _require_samples(n: int, metric: Metric) -> None:
    if n == 0:
        raise ValueError(f"{type(metric).__name__}.compute(): no samples yet; call update() first")


class ConfusionMatrix(Metric):
    """Streaming confusion matrix (``num_classes`` x ``num_classes`` int64 counts).

    ``compute()`` equals :func:`confusion_matrix(target, preds, num_classes=K,
    normalize=normalize) <vistakit.metrics.confusion_matrix>` over every sample.
    """

    _states = {"cm": "count"}

    def __init__(self, num_classes: int, *, normalize: str | None = None) -> None:
        self.num_classes = check_num_classes(num_classes)
        if normalize not in (None, "true", "pred", "all"):
            raise ValueError(f'normalize must be None, "true", "pred" or "all", got {normalize!r}')
        self.normalize = normalize
        super().__init__()

    def _config(self) -> tuple:
        return (self.num_classes, self.normalize)

    def reset(self) -> None:
        self.cm = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)
        self._reset_sync_flag()

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        t, p = _batch_labels(preds, target, self.num_classes)
        k = self.num_classes
        self.cm += np.bincount(t * k + p, minlength=k * k).reshape(k, k)

    def compute(self) -> np.ndarray:
        _require_samples(int(self.cm.sum()), self)
        return _normalize_cm(self.cm.copy(), self.normalize)


class _CountsMetric(Metric):
    """Per-class true positives, predicted and true counts: 3 x K int64."""

    _states = {"tp": "count", "pred": "count", "true": "count"}

    def __init__(self, num_classes: int) -> None:
        self.num_classes = check_num_classes(num_classes)
        super().__init__()

    def _config(self) -> tuple:
        return (self.num_classes,)

    def reset(self) -> None:
        k = self.num_classes
        self.tp = np.zeros(k, dtype=np.int64)
        self.pred = np.zeros(k, dtype=np.int64)
        self.true = np.zeros(k, dtype=np.int64)
        self._reset_sync_flag()

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        t, p = _batch_labels(preds, target, self.num_classes)
        k = self.num_classes
        self.true += np.bincount(t, minlength=k)
        self.pred += np.bincount(p, minlength=k)
        self.tp += np.bincount(t[t == p], minlength=k)


class PrecisionRecallFScoreSupport(_CountsMetric):
    """Streaming :func:`~vistakit.metrics.precision_recall_fscore_support` over ``num_classes`` classes.

    ``compute()`` equals the pure function called with ``num_classes=K`` (all
    K classes count) and the same ``beta``, ``labels``, ``average``,
    ``pos_label`` and ``zero_division``. ``average="binary"`` needs K == 2.
    """

    _which: int | None = None  # index into (precision, recall, f, support); None: all

    def __init__(
        self,
        num_classes: int,
        *,
        beta: float = 1.0,
        average: str | None = None,
        labels: ArrayLike | None = None,
        pos_label: int = 1,
        zero_division: Any = "warn",
    ) -> None:
        _check_average(average)
        if average == "samples":
            raise ValueError("average='samples' is for multilabel targets, which the streaming metrics do not take")
        if beta < 0:
            raise ValueError(f"beta should be >= 0 in the F-beta score, got {beta}")
        self.beta = beta
        self.average = average
        self.labels = None if labels is None else tuple(int(v) for v in np.ravel(as_numpy(labels, "labels")))
        self.pos_label = pos_label
        self.zero_division = zero_division
        super().__init__(num_classes)
        if average == "binary" and (self.num_classes != 2 or pos_label not in (0, 1)):
            raise ValueError(
                f"average='binary' needs num_classes=2 and pos_label 0 or 1, got {num_classes}, {pos_label}"
            )

    def _config(self) -> tuple:
        zd = "nan" if isinstance(self.zero_division, float) and np.isnan(self.zero_division) else self.zero_division
        return (self.num_classes, self.beta, self.average, self.labels, self.pos_label, zd)

    def compute(self):
        _require_samples(int(self.true.sum()), self)
        labels = [self.pos_label] if self.average == "binary" else self.labels
        classes = np.arange(self.num_classes)
        _, idx = _select(classes, np.ones(self.num_classes, bool), True, labels, self.num_classes)
        result = _prf_from_counts(
            _take(self.tp, idx),
            _take(self.pred, idx),
            _take(self.true, idx),
            beta=self.beta,
            average=self.average,
            zero_division=self.zero_division,
            warn_for=self._warn_for(),
        )
        return result if self._which is None else result[self._which]

    def _warn_for(self) -> tuple[str, ...]:
        return ("precision", "recall", "f-score")


class Precision(PrecisionRecallFScoreSupport):
    """Streaming :func:`~vistakit.metrics.precision` (``average="macro"`` by default)."""

    _which = 0

    def __init__(
        self,
        num_classes: int,
        *,
        average: str | None = "macro",
        labels=None,
        pos_label: int = 1,
        zero_division: Any = "warn",
    ) -> None:
        super().__init__(num_classes, average=average, labels=labels, pos_label=pos_label, zero_division=zero_division)

    def _warn_for(self):
        return ("precision",)


class Recall(PrecisionRecallFScoreSupport):
    """Streaming :func:`~vistakit.metrics.recall` (``average="macro"`` by default)."""

    _which = 1

    def __init__(
        self,
        num_classes: int,
        *,
        average: str | None = "macro",
        labels=None,
        pos_label: int = 1,
        zero_division: Any = "warn",
    ) -> None:
        super().__init__(num_classes, average=average, labels=labels, pos_label=pos_label, zero_division=zero_division)

    def _warn_for(self):
        return ("recall",)


class FBetaScore(PrecisionRecallFScoreSupport):
    """Streaming :func:`~vistakit.metrics.fbeta_score` (``average="macro"`` by default)."""

    _which = 2

    def __init__(
        self,
        num_classes: int,
        *,
        beta: float,
        average: str | None = "macro",
        labels=None,
        pos_label: int = 1,
        zero_division: Any = "warn",
    ) -> None:
        super().__init__(
            num_classes, beta=beta, average=average, labels=labels, pos_label=pos_label, zero_division=zero_division
        )

    def _warn_for(self):
        return ("f-score",)


class F1Score(FBetaScore):
    """Streaming :func:`~vistakit.metrics.f1_score` (``average="macro"`` by default)."""

    def __init__(
        self,
        num_classes: int,
        *,
        average: str | None = "macro",
        labels=None,
        pos_label: int = 1,
        zero_division: Any = "warn",
    ) -> None:
        super().__init__(
            num_classes, beta=1.0, average=average, labels=labels, pos_label=pos_label, zero_division=zero_division
        )


class BalancedAccuracy(_CountsMetric):
    """Streaming :func:`~vistakit.metrics.balanced_accuracy` (mean recall over classes seen in target)."""

    def __init__(self, num_classes: int, *, adjusted: bool = False) -> None:
        self.adjusted = adjusted
        super().__init__(num_classes)

    def _config(self) -> tuple:
        return (self.num_classes, self.adjusted)

    def compute(self) -> float:
        _require_samples(int(self.true.sum()), self)
        return _balanced_from_counts(self.tp, self.true, adjusted=self.adjusted)


class MatthewsCorrCoef(_CountsMetric):
    """Streaming :func:`~vistakit.metrics.matthews_corrcoef`."""

    def compute(self) -> float:
        _require_samples(int(self.true.sum()), self)
        return _mcc_from_counts(self.tp, self.true, self.pred)


class CohenKappa(ConfusionMatrix):
    """Streaming :func:`~vistakit.metrics.cohen_kappa` with ``num_classes`` (keeps the confusion matrix)."""

    def __init__(
        self, num_classes: int, *, weights: str | None = None, replace_undefined_by: float = float("nan")
    ) -> None:
        if weights not in (None, "linear", "quadratic"):
            raise ValueError(f'weights must be None, "linear" or "quadratic", got {weights!r}')
        self.weights = weights
        self.replace_undefined_by = replace_undefined_by
        super().__init__(num_classes)

    def _config(self) -> tuple:
        return (self.num_classes, self.weights)

    def compute(self) -> float:
        _require_samples(int(self.cm.sum()), self)
        return _kappa_from_cm(self.cm, weights=self.weights, replace_undefined_by=self.replace_undefined_by)


class Accuracy(Metric):
    """Streaming accuracy: two int64 counts.

    With (N,) label predictions it equals :func:`~vistakit.metrics.accuracy`;
    with (N, C) scores it equals :func:`top_k_accuracy(target, preds, k=top_k)
    <vistakit.metrics.top_k_accuracy>` (ties rank the higher class index first).
    """

    _states = {"correct": "count", "total": "count"}

    def __init__(self, *, top_k: int = 1, num_classes: int | None = None) -> None:
        if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
            raise ValueError(f"top_k must be a positive int, got {top_k!r}")
        self.top_k = int(top_k)
        self.num_classes = check_num_classes(num_classes)
        super().__init__()

    def _config(self) -> tuple:
        return (self.top_k, self.num_classes)

    def reset(self) -> None:
        self.correct = np.zeros((), dtype=np.int64)
        self.total = np.zeros((), dtype=np.int64)
        self._reset_sync_flag()

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        p = as_numpy(preds, "preds")
        if p.ndim == 2:
            kind, t, s, _ = _scores_inputs(target, p, None, self.num_classes, score_name="preds")
            if kind != "multiclass":
                raise ValueError("preds of shape (N, C) need target of shape (N,)")
            hits = _topk_hits(t, s, self.top_k)
        else:
            if self.top_k != 1:
                raise ValueError(f"top_k={self.top_k} needs (N, C) scores as preds, got shape {p.shape}")
            t = to_int_labels(as_numpy(target, "target"), "target")
            check_nonempty(t, "target")
            if t.ndim != 1 or p.ndim != 1:
                raise ValueError(f"target and label preds must be 1-d, got {t.shape} and {p.shape}")
            p = to_int_labels(p, "preds")
            check_same_length(("target", t), ("preds", p))
            if self.num_classes is not None:
                check_label_range(t, "target", self.num_classes)
                check_label_range(p, "preds", self.num_classes)
            hits = t == p
        self.correct += np.count_nonzero(hits)
        self.total += hits.size

    def compute(self) -> float:
        _require_samples(int(self.total), self)
        return int(self.correct) / int(self.total)


class CrossEntropy(Metric):
    """Streaming mean cross-entropy (:func:`~vistakit.metrics.log_loss`): an exact sum and a count.

    ``update(preds, target)``: ``preds`` are (N, C) probabilities (or logits
    with ``from_logits=True``), or (N,) for binary.
    """

    _states = {"loss_sum": "exact", "count": "count"}

    def __init__(self, *, from_logits: bool = False, num_classes: int | None = None) -> None:
        self.from_logits = from_logits
        self.num_classes = check_num_classes(num_classes)
        super().__init__()

    def _config(self) -> tuple:
        return (self.from_logits, self.num_classes)

    def reset(self) -> None:
        self.loss_sum = [0]
        self.count = np.zeros((), dtype=np.int64)
        self._reset_sync_flag()

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        t, s = _validated(target, preds, self.from_logits, self.num_classes)
        self.loss_sum = [self.loss_sum[0] + exact_sums(_sample_losses(t, s, from_logits=self.from_logits))[0]]
        self.count += t.size

    def compute(self) -> float:
        _require_samples(int(self.count), self)
        return self.loss_sum[0] / (int(self.count) << 1074)


class CalibrationError(Metric):
    """Streaming :func:`~vistakit.metrics.expected_calibration_error`: count, hits and exact confidence sum per bin."""

    _states = {"bin_count": "count", "bin_hits": "count", "bin_conf": "exact"}

    def __init__(self, *, n_bins: int = 15, norm: str = "l1", from_logits: bool = False) -> None:
        self.n_bins = _check_bins(n_bins)
        if norm not in ("l1", "l2", "max"):
            raise ValueError(f"norm must be 'l1', 'l2' or 'max', got {norm!r}")
        self.norm = norm
        self.from_logits = from_logits
        super().__init__()

    def _config(self) -> tuple:
        return (self.n_bins, self.norm, self.from_logits)

    def reset(self) -> None:
        self.bin_count = np.zeros(self.n_bins, dtype=np.int64)
        self.bin_hits = np.zeros(self.n_bins, dtype=np.int64)
        self.bin_conf = [0] * self.n_bins
        self._reset_sync_flag()

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        conf, correct = _top_label(target, preds, self.from_logits)
        count, hits, sums = _bin_state(conf, correct, self.n_bins)
        self.bin_count += count
        self.bin_hits += hits
        self.bin_conf = [a + b for a, b in zip(self.bin_conf, sums)]

    def compute(self) -> float:
        _require_samples(int(self.bin_count.sum()), self)
        return _error_from_state(self.bin_count, self.bin_hits, self.bin_conf, self.norm)

    def curve(self) -> ReliabilityCurve:
        """Reliability-diagram data of the samples so far (:func:`~vistakit.metrics.reliability_curve`)."""
        _require_samples(int(self.bin_count.sum()), self)
        return _curve_from_state(self.bin_count, self.bin_hits, self.bin_conf)


class _StoredScores(Metric):
    """Keeps every score and label (memory grows with the data: 8 bytes per score)."""

    _states = {"scores": "cat", "targets": "cat"}

    def reset(self) -> None:
        self.scores: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []
        self._reset_sync_flag()

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        kind, t, s, _ = _scores_inputs(target, preds, None, self.num_classes, score_name="preds")
        if self.scores and self.scores[0].shape[1:] != s.shape[1:]:
            raise ValueError(f"preds has shape {s.shape} but earlier batches had {self.scores[0].shape[1:]} per sample")
        self.scores.append(np.array(s, dtype=np.float64))
        self.targets.append(np.array(t, dtype=np.int64))

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.targets:
            _require_samples(0, self)
        return np.concatenate(self.targets), np.concatenate(self.scores)


class ROCAUC(_StoredScores):
    """Streaming :func:`~vistakit.metrics.roc_auc`; stores every score (see the module notes)."""

    def __init__(
        self,
        *,
        num_classes: int | None = None,
        average: str | None = "macro",
        multi_class: str = "ovr",
        from_logits: bool = False,
    ) -> None:
        self.num_classes = check_num_classes(num_classes)
        self.average = average
        self.multi_class = multi_class
        self.from_logits = from_logits
        super().__init__()

    def _config(self) -> tuple:
        return (self.num_classes, self.average, self.multi_class, self.from_logits)

    def compute(self):
        t, s = self._all()
        return roc_auc(
            t,
            s,
            average=self.average,
            multi_class=self.multi_class,
            from_logits=self.from_logits,
            num_classes=self.num_classes,
        )


class AveragePrecision(_StoredScores):
    """Streaming :func:`~vistakit.metrics.average_precision`; stores every score."""

    def __init__(self, *, num_classes: int | None = None, average: str | None = "macro") -> None:
        self.num_classes = check_num_classes(num_classes)
        self.average = average
        super().__init__()

    def _config(self) -> tuple:
        return (self.num_classes, self.average)

    def compute(self):
        t, s = self._all()
        return average_precision(t, s, average=self.average, num_classes=self.num_classes)
