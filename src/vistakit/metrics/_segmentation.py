"""Semantic segmentation: the pixel confusion matrix, pixel accuracy, per-class, mean and frequency-weighted IoU.

All scores come from one (K, K) confusion matrix of pixel counts (rows: true class,
columns: predicted class), so a streaming evaluation keeps only that matrix, sums it over
batches and processes, and gets exactly the numbers of one pass over every pixel.
Pixels whose true label is ``ignore_index`` (255 in Cityscapes, ADE20K, VOC) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._streaming import Metric
from ._validation import ArrayLike, as_numpy, check_num_classes, to_float_scores

__all__ = [
    "SegmentationResult",
    "SegmentationScores",
    "mean_iou",
    "per_class_iou",
    "pixel_accuracy",
    "pixel_confusion_matrix",
    "segmentation_scores",
    "segmentation_scores_of_folders",
]


def pixel_confusion_matrix(
    y_true: ArrayLike, y_pred: ArrayLike, *, num_classes: int, ignore_index: int | None = 255
) -> np.ndarray:
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
        raise ValueError(
            f"y_true {as_numpy(y_true, 'y_true').shape} and y_pred {as_numpy(y_pred, 'y_pred').shape} differ in shape"
        )
    keep = t != ignore_index if ignore_index is not None else np.ones(t.shape, bool)
    t, p = t[keep].astype(np.int64), p[keep].astype(np.int64)
    for name, arr in (("y_true", t), ("y_pred", p)):
        bad = (arr < 0) | (arr >= num_classes)
        if bad.any():
            raise ValueError(
                f"{name} holds {int(arr[bad][0])}, outside [0, {num_classes})"
                + (f" (and it is not the ignore_index {ignore_index})" if name == "y_true" else "")
            )
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


@dataclass(frozen=True)
class SegmentationResult:
    """The scores of :func:`segmentation_scores`, all from one pixel confusion matrix.

    Attributes:
        iou: (K,) IoU per class, NaN for a class absent from both truth and prediction.
        miou: mean of the defined IoUs (:func:`mean_iou`).
        pixel_accuracy: fraction of the counted pixels labelled correctly.
        fw_iou: frequency-weighted IoU, ``sum_i (t_i / N) * iou_i`` with ``t_i`` the true
            pixels of class i and N all counted pixels (classes absent from the truth weigh 0).
        confusion_matrix: (K, K) int64 counts, rows true, columns predicted.
    """

    iou: np.ndarray
    miou: float
    pixel_accuracy: float
    fw_iou: float
    confusion_matrix: np.ndarray

    @classmethod
    def from_confusion_matrix(cls, cm: ArrayLike) -> SegmentationResult:
        """Every score from a (K, K) pixel confusion matrix (NaN scores when it is all zeros)."""
        m = _cm(cm)
        iou = per_class_iou(m)
        true = m.sum(1)
        total = true.sum()
        fw = float(np.sum(true[true > 0] * iou[true > 0]) / total) if total else float("nan")
        return cls(
            iou=iou,
            miou=mean_iou(m),
            pixel_accuracy=pixel_accuracy(m),
            fw_iou=fw,
            confusion_matrix=np.array(m, dtype=np.int64),
        )

    def format(self, target_names: list[str] | None = None, *, digits: int = 4) -> str:
        """A readable table: IoU and pixel counts per class, then mIoU, fwIoU and pixel accuracy."""
        k = len(self.iou)
        names = list(target_names) if target_names is not None else [str(i) for i in range(k)]
        if len(names) != k:
            raise ValueError(f"target_names has {len(names)} names but there are {k} classes")
        w = max(len("class"), max(len(n) for n in names), len("pixel accuracy"))
        col = max(digits + 3, 6)
        true, pred = self.confusion_matrix.sum(1), self.confusion_matrix.sum(0)
        lines = [f"{'class':>{w}s} {'IoU':>{col}s} {'true px':>10s} {'pred px':>10s}"]
        for name, iou, t, p in zip(names, self.iou, true, pred):
            value = "-" if np.isnan(iou) else f"{iou:.{digits}f}"
            lines.append(f"{name:>{w}s} {value:>{col}s} {int(t):10d} {int(p):10d}")
        lines.append("")
        for label, value in (("mIoU", self.miou), ("fwIoU", self.fw_iou), ("pixel accuracy", self.pixel_accuracy)):
            lines.append(f"{label:>{w}s} {value:>{col}.{digits}f}")
        return "\n".join(lines)


def segmentation_scores(
    y_true: ArrayLike, y_pred: ArrayLike, *, num_classes: int, ignore_index: int | None = 255
) -> SegmentationResult:
    """Per-class IoU, mean IoU, pixel accuracy and frequency-weighted IoU of label maps.

    Args:
        y_true: (..., H, W) integer true classes; pixels equal to ``ignore_index`` are left out.
        y_pred: predicted classes, same shape (pass them by keyword, ``y_pred=..., y_true=...``,
            to avoid mixing the order up).
        num_classes: K.
        ignore_index: true label of the pixels to skip (None: skip none).

    Returns:
        :class:`SegmentationResult`. Edge cases: a class absent from truth and prediction
        has IoU NaN and is left out of ``miou``; when every pixel is ignored all scores are NaN.

    Raises:
        ValueError: as :func:`pixel_confusion_matrix`.
    """
    cm = pixel_confusion_matrix(y_true, y_pred, num_classes=num_classes, ignore_index=ignore_index)
    return SegmentationResult.from_confusion_matrix(cm)


class SegmentationScores(Metric):
    """Streaming :func:`segmentation_scores`: the (K, K) pixel confusion matrix, summed.

    ``update(preds, target)`` takes ``target`` (N, H, W) (or any shape) labels and ``preds``
    either labels of the same shape or (N, K, H, W) class scores (argmax over axis 1).
    ``compute()`` returns the :class:`SegmentationResult` of every pixel seen, equal to
    :func:`segmentation_scores` on all of them at once however they were batched, merged
    (:meth:`merge`) or gathered over processes (:meth:`sync`).
    """

    _states = {"cm": "count"}

    def __init__(self, num_classes: int, *, ignore_index: int | None = 255) -> None:
        self.num_classes = check_num_classes(num_classes)
        self.ignore_index = ignore_index
        super().__init__()

    def _config(self) -> tuple:
        return (self.num_classes, self.ignore_index)

    def reset(self) -> None:
        self.cm = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)
        self._reset_sync_flag()

    def update(self, preds: ArrayLike, target: ArrayLike) -> None:
        t = as_numpy(target, "target")
        p = as_numpy(preds, "preds")
        if p.ndim == t.ndim + 1:
            if p.ndim < 2 or p.shape[1] != self.num_classes:
                raise ValueError(
                    f"preds of shape {p.shape} look like class scores, but axis 1 should hold "
                    f"num_classes={self.num_classes} of them (target has shape {t.shape})"
                )
            p = to_float_scores(p, "preds").argmax(axis=1)
        self.cm += pixel_confusion_matrix(t, p, num_classes=self.num_classes, ignore_index=self.ignore_index)

    def compute(self) -> SegmentationResult:
        if not self.cm.any():
            raise ValueError(
                "SegmentationScores.compute(): no pixels counted (call update() first; ignored pixels do not count)"
            )
        return SegmentationResult.from_confusion_matrix(self.cm)


def _read_label_map(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        if im.mode not in ("P", "L", "I", "I;16", "1"):
            raise ValueError(f"{path}: a label map must be a single-channel PNG (mode P, L or I), got mode {im.mode}")
        return np.array(im)


def segmentation_scores_of_folders(
    true_dir: str | Path, pred_dir: str | Path, *, num_classes: int, ignore_index: int | None = 255
) -> tuple[SegmentationResult, int]:
    """:func:`segmentation_scores` of two folders of PNG label maps, one pixel value per class.

    Files pair up by their path relative to the folder (``a/b.png`` with ``a/b.png``);
    palette PNGs (VOC) are read as their palette indices. Every ground-truth map needs a
    prediction; predictions without ground truth are an error too.

    Returns:
        (the scores over every pixel of every image, the number of images).

    Raises:
        FileNotFoundError: a folder is missing or holds no PNG.
        ValueError: unpaired files, sizes that differ, labels out of range (naming the file).
    """
    true_dir, pred_dir = Path(true_dir), Path(pred_dir)
    found = {}
    for name, root in (("ground truth", true_dir), ("prediction", pred_dir)):
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: the {name} folder does not exist")
        found[name] = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*.png"))}
        if not found[name]:
            raise FileNotFoundError(f"{root}: no .png label maps in the {name} folder")
    true_files, pred_files = found["ground truth"], found["prediction"]
    missing = sorted(set(true_files) - set(pred_files))
    extra = sorted(set(pred_files) - set(true_files))
    if missing or extra:
        raise ValueError(
            f"{pred_dir}: no prediction for {missing[:5]}"
            if missing
            else f"{pred_dir}: predictions without ground truth in {true_dir}: {extra[:5]}"
        )
    metric = SegmentationScores(num_classes, ignore_index=ignore_index)
    for rel, path in true_files.items():
        t, p = _read_label_map(path), _read_label_map(pred_files[rel])
        try:
            metric.update(p, t)
        except ValueError as e:
            raise ValueError(f"{pred_files[rel]} against {path}: {e}") from None
    return metric.compute(), len(true_files)
