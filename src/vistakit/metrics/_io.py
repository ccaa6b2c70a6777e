"""Saved predictions (``.npz`` / ``.csv``) and images for ``vistakit evaluate`` and reports.

File layouts:

* ``.npz``: ``y_true`` (N,) integer labels, and ``y_pred`` (N,) labels and/or
  ``y_prob`` (N, K) class probabilities (also read under ``y_proba``,
  ``probs``, ``probabilities``) or ``logits`` (N, K); optionally
  ``target_names`` (K,) strings.
* ``.csv``: a header row, a ``y_true`` column, an optional ``y_pred`` column;
  every other column is the probability of one class, in class order, and its
  header names the class.

Every error names the file and, for CSV, the line and column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Predictions", "load_images", "load_predictions"]

_PROB_KEYS = ("y_prob", "y_proba", "probs", "probabilities")
_NAME_KEYS = ("target_names", "class_names")


@dataclass(frozen=True)
class Predictions:
    """Predictions of a classifier read from a file.

    Attributes:
        y_true: (N,) int64 true labels.
        y_pred: (N,) int64 predicted labels, or None (then the argmax of ``y_prob``).
        y_prob: (N, K) class probabilities (or logits, see ``from_logits``), or None.
        from_logits: ``y_prob`` holds logits.
        target_names: K class names from the file, or None.
        source: the file read.
    """

    y_true: np.ndarray
    y_pred: np.ndarray | None
    y_prob: np.ndarray | None
    from_logits: bool
    target_names: tuple[str, ...] | None
    source: Path

    @property
    def labels(self) -> np.ndarray:
        """Predicted labels: ``y_pred``, else the argmax of ``y_prob``."""
        return self.y_pred if self.y_pred is not None else self.y_prob.argmax(axis=1)

    @property
    def num_classes(self) -> int | None:
        """K from the scores or the names, else None."""
        if self.y_prob is not None:
            return int(self.y_prob.shape[1])
        return len(self.target_names) if self.target_names is not None else None


def _int_column(values: np.ndarray, what: str, where) -> np.ndarray:
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    if values.dtype.kind != "f":
        raise ValueError(f"{where(None)}: {what} must hold integer class labels, got dtype {values.dtype}")
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{where(i)}, {what}: {values[i].item()!r} is not a class label (a non-negative integer)")
    return values.astype(np.int64)


def _check_scores(scores: np.ndarray, logits: bool, what: str, where) -> None:
    finite = np.isfinite(scores)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        raise ValueError(f"{where(int(i))}, {what} of class {int(j)}: {scores[i, j]} is not a finite number")
    if logits:
        return
    bad = (scores < 0) | (scores > 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"{where(int(i))}, {what} of class {int(j)}: {scores[i, j].item()!r} is not a probability in [0, 1]"
        )
    sums = scores.sum(axis=1, dtype=np.float64)
    tol = math.sqrt(np.finfo(scores.dtype).eps) + 1e-8
    off = np.abs(sums - 1)
    if off.max() > tol:
        i = int(np.flatnonzero(off > tol)[0])
        n_bad = int(np.count_nonzero(off > tol))
        raise ValueError(
            f"{where(i)}: the class probabilities sum to {sums[i]:.6g} (off by {off[i]:.3g}); each sample's "
            f"probabilities must sum to 1{f' ({n_bad} samples are off, the worst by {off.max():.3g})' if n_bad > 1 else ''}"
        )


def _load_npz(path: Path) -> Predictions:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable .npz file ({e})") from None
    keys = set(data.files)

    def where(i):
        return f"{path}" if i is None else f"{path}: sample {i}"

    if "y_true" not in keys:
        raise ValueError(f"{path}: no array 'y_true' (found {sorted(keys)}); expected y_true with y_pred and/or y_prob")
    y_true = np.asarray(data["y_true"])
    if y_true.ndim != 1 or y_true.size == 0:
        raise ValueError(f"{path}: y_true must be a non-empty 1-d array of labels, got shape {y_true.shape}")
    y_true = _int_column(y_true, "y_true", where)
    prob_keys = [k for k in _PROB_KEYS if k in keys]
    if len(prob_keys) + ("logits" in keys) > 1:
        raise ValueError(f"{path}: holds several score arrays {prob_keys + ['logits'] * ('logits' in keys)}; keep one")
    scores, logits = None, False
    if prob_keys or "logits" in keys:
        key = prob_keys[0] if prob_keys else "logits"
        logits = key == "logits"
        scores = np.asarray(data[key])
        if scores.ndim != 2 or scores.shape[0] != y_true.size:
            raise ValueError(f"{path}: {key} must have shape (N={y_true.size}, K), got {scores.shape}")
        if scores.dtype.kind not in "f":
            scores = scores.astype(np.float64)
        _check_scores(scores, logits, key, where)
    y_pred = None
    if "y_pred" in keys:
        y_pred = np.asarray(data["y_pred"])
        if y_pred.shape != y_true.shape:
            raise ValueError(f"{path}: y_pred has shape {y_pred.shape} but y_true has {y_true.shape}")
        y_pred = _int_column(y_pred, "y_pred", where)
    if y_pred is None and scores is None:
        raise ValueError(
            f"{path}: needs y_pred or class scores ({', '.join(_PROB_KEYS)} or logits); found {sorted(keys)}"
        )
    names = None
    name_keys = [k for k in _NAME_KEYS if k in keys]
    if name_keys:
        names = tuple(str(v) for v in np.asarray(data[name_keys[0]]).ravel())
    return Predictions(y_true, y_pred, scores, logits, names, path)


def _load_csv(path: Path) -> Predictions:
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f), None)
    if not header:
        raise ValueError(f"{path}: empty file; expected a header row with y_true and y_pred or class columns")
    columns = [h.strip() for h in header]
    if "y_true" not in columns:
        raise ValueError(f"{path}, line 1: no column 'y_true' in the header {columns}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{path}, line 1: repeated column names in the header {columns}")
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64, encoding="utf-8")
    except ValueError:
        _raise_bad_cell(path, columns)
        raise
    if data.shape[0] == 0:
        raise ValueError(f"{path}: no rows after the header")
    if data.shape[1] != len(columns):
        raise ValueError(f"{path}: rows have {data.shape[1]} fields but the header names {len(columns)} columns")

    def where(i):
        return f"{path}" if i is None else f"{path}, line {i + 2}"

    col = {name: j for j, name in enumerate(columns)}
    y_true = _int_column(data[:, col["y_true"]], "column y_true", where)
    y_pred = _int_column(data[:, col["y_pred"]], "column y_pred", where) if "y_pred" in col else None
    class_cols = [j for j, name in enumerate(columns) if name not in ("y_true", "y_pred")]
    scores = names = None
    if class_cols:
        scores = np.ascontiguousarray(data[:, class_cols])
        names = tuple(columns[j] for j in class_cols)
        _check_scores(scores, False, "the probability", where)
    if y_pred is None and scores is None:
        raise ValueError(f"{path}, line 1: needs a y_pred column or one probability column per class")
    return Predictions(y_true, y_pred, scores, False, names, path)


def _raise_bad_cell(path: Path, columns: list[str]) -> None:
    """Find the first cell that is not a number and raise with its line and column."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader, None)
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(columns):
                raise ValueError(f"{path}, line {line}: {len(row)} fields, but the header names {len(columns)}")
            for name, cell in zip(columns, row):
                try:
                    float(cell)
                except ValueError:
                    raise ValueError(f"{path}, line {line}, column {name!r}: {cell!r} is not a number") from None


def load_predictions(path: str | Path) -> Predictions:
    """Read saved predictions from ``.npz`` or ``.csv`` (see the module notes for the layouts).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: unknown suffix or bad content (file, line and column named).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _load_npz(path)
    if suffix == ".csv":
        return _load_csv(path)
    raise ValueError(f"{path}: unknown predictions format {suffix!r}; expected .npz or .csv")


def load_images(path: str | Path, n: int | None = None) -> np.ndarray:
    """Images aligned with the predictions: ``.npz`` (array ``images``, or its only array) or ``.npy``.

    Args:
        path: the file.
        n: expected number of images (the number of predictions), checked when given.

    Returns:
        (N, H, W), (N, H, W, C) or (N, C, H, W) array.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable .npz/.npy file ({e})") from None
    if isinstance(loaded, np.ndarray):
        images = loaded
    else:
        keys = loaded.files
        if "images" in keys:
            images = loaded["images"]
        elif len(keys) == 1:
            images = loaded[keys[0]]
        else:
            raise ValueError(f"{path}: no array 'images' (found {sorted(keys)})")
    if images.ndim not in (3, 4):
        raise ValueError(f"{path}: images must be (N, H, W), (N, H, W, C) or (N, C, H, W), got shape {images.shape}")
    if n is not None and images.shape[0] != n:
        raise ValueError(f"{path}: {images.shape[0]} images but {n} predictions; they must match one to one")
    return images
