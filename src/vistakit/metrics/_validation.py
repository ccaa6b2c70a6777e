"""Input checks shared by every metric: arrays in, clear ``ValueError`` out.

Every public metric converts its inputs here, so the rules are the same
everywhere: torch tensors (any device) and numpy arrays or lists are
accepted; labels are integers (bools, and floats that hold whole numbers, are
accepted too); scores are finite floats; nothing is empty; lengths agree.
A bad input raises ``ValueError`` saying what was wrong, where (the argument,
the sample index) and what was expected, and never turns into a silent NaN.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

ArrayLike = Any  # numpy array, torch tensor, or nested sequence of numbers


class UndefinedMetricWarning(UserWarning):
    """A metric was ill-defined and replaced by ``zero_division`` (scikit-learn's meaning)."""


def as_numpy(x: ArrayLike, name: str) -> np.ndarray:
    """Return ``x`` as a numpy array (no copy where possible).

    Torch tensors are detached and moved to the CPU; half and bfloat16 tensors
    are widened to float32 because numpy cannot hold bfloat16.
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        t = x.detach()
        if t.dtype in (torch.float16, torch.bfloat16):
            t = t.float()
        return t.cpu().numpy()
    if isinstance(x, np.ndarray):
        arr = x
    else:
        if x is None:
            raise ValueError(f"{name} is missing: expected an array, got None")
        if np.isscalar(x):
            raise ValueError(f"{name} must be an array, got the scalar {x!r}")
        try:
            arr = np.asarray(x)
        except ValueError as e:  # ragged nested lists
            raise ValueError(f"{name} could not be read as an array: {e}") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise ValueError(
            f"{name} must hold numbers; got dtype {arr.dtype} (labels are integer class indices, scores are floats)"
        )
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array, got a 0-d value {arr!r}")
    return arr


def _first_index(mask: np.ndarray) -> str:
    """'index 7' or 'row 3, column 1' for the first True of ``mask``."""
    where = np.argwhere(mask)[0]
    if len(where) == 1:
        return f"index {int(where[0])}"
    return f"row {int(where[0])}, column {int(where[1])}"


def _count_note(mask: np.ndarray) -> str:
    n = int(np.count_nonzero(mask))
    return "" if n == 1 else f" (and {n - 1} more)"


def to_int_labels(arr: np.ndarray, name: str) -> np.ndarray:
    """Integer labels as int64; floats must be whole numbers."""
    kind = arr.dtype.kind
    if kind == "b":
        return arr.astype(np.int64)
    if kind in "iu":
        if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} holds labels too large for int64")
        return arr.astype(np.int64, copy=False)
    if kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(
                f"{name} must hold integer class labels; found {arr[bad].flat[0]} at "
                f"{_first_index(bad)}{_count_note(bad)}"
            )
        frac = arr != np.round(arr)
        if frac.any():
            raise ValueError(
                f"{name} must hold integer class labels; found {arr[frac].flat[0].item()!r} at "
                f"{_first_index(frac)}{_count_note(frac)}. If these are scores or "
                "probabilities, pass class labels instead (for example scores.argmax(1))"
            )
        return arr.astype(np.int64)
    raise ValueError(f"{name} must hold integer class labels, got dtype {arr.dtype}")


def check_nonempty(arr: np.ndarray, name: str) -> None:
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: metrics need at least one sample")


def check_same_length(*pairs: tuple[str, np.ndarray]) -> None:
    """All arrays have the same number of samples (first dimension)."""
    (first_name, first), *rest = pairs
    for name, arr in rest:
        if arr.shape[0] != first.shape[0]:
            raise ValueError(
                f"{first_name} has {first.shape[0]} samples but {name} has "
                f"{arr.shape[0]}: they must describe the same samples"
            )


def check_num_classes(num_classes: int | None) -> int | None:
    if num_classes is None:
        return None
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise ValueError(f"num_classes must be an int, got {num_classes!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}")
    return int(num_classes)


def check_label_range(y: np.ndarray, name: str, num_classes: int) -> None:
    """Every label lies in [0, num_classes)."""
    if y.size == 0:
        return
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= num_classes:
        bad = (y < 0) | (y >= num_classes)
        raise ValueError(
            f"{name} holds label {int(y[bad].flat[0])} at {_first_index(bad)}{_count_note(bad)}, "
            f"outside the {num_classes} classes [0, {num_classes - 1}]"
        )


def check_finite(arr: np.ndarray, name: str) -> None:
    """No NaN or infinity: min and max see both (fast SIMD passes); the search runs only on failure."""
    if arr.size == 0 or arr.dtype.kind != "f":
        return
    lo, hi = arr.min(), arr.max()  # NaN propagates into both
    if np.isfinite(lo) and np.isfinite(hi):
        return
    bad = ~np.isfinite(arr)
    what = "NaN" if np.isnan(arr[bad].flat[0]) else str(arr[bad].flat[0])
    raise ValueError(f"{name} contains {what} at {_first_index(bad)}{_count_note(bad)}")


def to_float_scores(x: ArrayLike, name: str, *, check: bool = True) -> np.ndarray:
    """Finite float scores (any float dtype is kept; ints and bools become float64).

    ``check=False`` leaves the NaN/inf check to the caller (who looks at min/max anyway).
    """
    arr = as_numpy(x, name)
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise ValueError(f"{name} must hold floating-point scores, got dtype {arr.dtype}")
    check_nonempty(arr, name)
    if check:
        check_finite(arr, name)
    return arr


def check_sample_weight(sample_weight: ArrayLike | None, n: int) -> np.ndarray | None:
    """Non-negative finite float64 weights, one per sample, or None."""
    if sample_weight is None:
        return None
    w = as_numpy(sample_weight, "sample_weight")
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1-d with one weight per sample, got shape {w.shape}")
    if w.shape[0] != n:
        raise ValueError(f"sample_weight has {w.shape[0]} weights but there are {n} samples")
    w = w.astype(np.float64)
    check_finite(w, "sample_weight")
    neg = w < 0
    if neg.any():
        raise ValueError(f"sample_weight must be non-negative; found {w[neg][0]} at {_first_index(neg)}")
    if n and not w.any():
        raise ValueError("sample_weight is all zeros: at least one sample must have a positive weight")
    return w


def check_zero_division(zero_division: Any) -> float:
    """The value used for 0/0 ("warn" counts as 0 and warns, like scikit-learn)."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0
        raise ValueError(f'zero_division must be 0, 1, nan or "warn", got {zero_division!r}')
    if isinstance(zero_division, (int, float, np.floating, np.integer)) and not isinstance(zero_division, bool):
        if np.isnan(zero_division):
            return float("nan")
        if zero_division in (0, 1):
            return float(zero_division)
    raise ValueError(f'zero_division must be 0, 1, nan or "warn", got {zero_division!r}')


def warn_undefined(message: str) -> None:
    warnings.warn(message, UndefinedMetricWarning, stacklevel=3)


def targets(y_true: ArrayLike, y_pred: ArrayLike, *, pred_name: str = "y_pred") -> tuple[str, np.ndarray, np.ndarray]:
    """Check a pair of label arrays; returns ("multiclass" | "multilabel", y_true, y_pred).

    1-d integer arrays are single-label (binary or multi-class); 2-d 0/1
    indicator arrays of the same shape are multilabel.
    """
    t = as_numpy(y_true, "y_true")
    p = as_numpy(y_pred, pred_name)
    if t.ndim == 1 and p.ndim == 2 and p.dtype.kind == "f":
        raise ValueError(
            f"{pred_name} has shape {p.shape} with float values: these look like per-class "
            f"scores, but this metric takes predicted class labels (for example {pred_name}.argmax(1))"
        )
    if t.ndim != p.ndim or t.ndim > 2:
        raise ValueError(
            f"y_true has shape {t.shape} and {pred_name} has shape {p.shape}: expected two 1-d label "
            "arrays, or two 2-d 0/1 indicator arrays of the same shape (multilabel)"
        )
    check_nonempty(t, "y_true")
    check_nonempty(p, pred_name)
    check_same_length(("y_true", t), (pred_name, p))
    t = to_int_labels(t, "y_true")
    p = to_int_labels(p, pred_name)
    if t.ndim == 1:
        return "multiclass", t, p
    if t.shape != p.shape:
        raise ValueError(
            f"multilabel y_true has shape {t.shape} but {pred_name} has shape {p.shape}; "
            "they must match (samples x labels)"
        )
    for name, arr in (("y_true", t), (pred_name, p)):
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            raise ValueError(
                f"multilabel {name} must hold 0/1 indicators; found {int(arr[bad][0])} at {_first_index(bad)}"
            )
    return "multilabel", t, p
