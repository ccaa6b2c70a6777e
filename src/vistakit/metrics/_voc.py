"""Pascal VOC detection AP: the devkit's ``voc_eval.py`` rules, 11-point (VOC2007) or all-point (VOC2010+).

Per class, the detections of all images are taken by decreasing score (a stable sort,
as the official MATLAB devkit's ``sort``; ``voc_eval.py``'s quicksort leaves tied scores
in an unspecified order). Each detection looks at *all* ground truth of its class in its
image and picks the one of highest IoU (the first of equal ones); if that IoU is above
the threshold (strictly, ``ovmax > 0.5``) and the object is not *difficult*, the
detection is a true positive when the object is still free and a false positive when an
earlier detection took it. A detection whose best object is difficult is neither (it is
dropped), and difficult objects do not count as positives. Unlike COCO, a detection
never falls back to its second-best object. IoU counts pixels inclusively by default
(``x2 - x1 + 1``), as the devkit does for VOC's 1-based pixel coordinates.

AP is the devkit's ``voc_ap``: with ``use_07_metric`` the mean of the largest precision
at recall >= t over t = 0, 0.1, ..., 1 (the thresholds of ``np.arange(0., 1.1, 0.1)``);
otherwise the area under the precision-recall curve made non-increasing from the right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._validation import as_numpy, warn_undefined

__all__ = ["VocAveragePrecision", "voc_average_precision"]


def voc_ap(recall: np.ndarray, precision: np.ndarray, *, use_07_metric: bool = False) -> float:
    """The devkit's ``voc_ap``: AP from cumulative recall and precision, in ranked order.

    Args:
        recall: (N,) recall after each ranked detection (non-decreasing).
        precision: (N,) precision after each ranked detection.
        use_07_metric: the VOC2007 11-point interpolation; else all-point (VOC2010+).

    Returns:
        AP; 0 for no detection.
    """
    rec = np.asarray(recall, dtype=np.float64)
    prec = np.asarray(precision, dtype=np.float64)
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):  # the devkit's thresholds, 0.30000000000000004 included
            above = rec >= t
            ap = ap + (float(np.max(prec[above])) if above.any() else 0.0) / 11.0
        return float(ap)
    mrec = np.concatenate([[0.0], rec, [1.0]])
    mpre = np.concatenate([[0.0], prec, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


@dataclass(frozen=True)
class VocAveragePrecision:
    """The result of :func:`voc_average_precision`.

    Attributes:
        per_class: ``{label: AP}`` for every class with at least one non-difficult object.
        num_positives: ``{label: count}`` of non-difficult objects, the same classes.
        mean: the mean of ``per_class`` (mAP); NaN, with a warning, when no class has an object.
    """

    per_class: dict[int, float]
    num_positives: dict[int, int]
    mean: float


def voc_average_precision(
    targets: Sequence[Mapping[str, Any]],
    predictions: Sequence[Mapping[str, Any]],
    *,
    iou_threshold: float = 0.5,
    use_07_metric: bool = False,
    inclusive_pixels: bool = True,
) -> VocAveragePrecision:
    """Pascal VOC AP per class and its mean, with difficult objects.

    Args:
        targets: one dict per image: ``boxes`` (G, 4) ``x1, y1, x2, y2``, ``labels`` (G,),
            optional ``difficult`` (G,) bool (default all False).
        predictions: one dict per image, the same images in the same order: ``boxes``
            (P, 4), ``scores`` (P,), ``labels`` (P,) (torchvision's detector output).
        iou_threshold: a detection needs IoU strictly above it.
        use_07_metric: VOC2007's 11-point AP; else the all-point AP of VOC2010 and later.
        inclusive_pixels: IoU with the devkit's ``+ 1`` (a box from x1 to x2 covers
            ``x2 - x1 + 1`` pixels); False for continuous coordinates.

    Returns:
        :class:`VocAveragePrecision` (classes without a non-difficult object are left out).
    """
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must lie in [0, 1], got {iou_threshold}")
    if len(targets) != len(predictions):
        raise ValueError(
            f"targets has {len(targets)} images but predictions {len(predictions)}: one dict per "
            "image in each, the same images in the same order"
        )
    g_img, g_box, g_label, g_difficult = _read(targets, "targets", ("boxes", "labels"), "difficult")
    d_img, d_box, d_label, d_score = _read(predictions, "predictions", ("boxes", "labels", "scores"), None)
    offset = 1.0 if inclusive_pixels else 0.0

    # Ground truth grouped by (label, image); detections by label, then decreasing score (stable).
    g_order = np.lexsort((np.arange(len(g_img)), g_img, g_label))
    g_img, g_box, g_label, g_difficult = g_img[g_order], g_box[g_order], g_label[g_order], g_difficult[g_order]
    d_order = np.lexsort((np.arange(len(d_img)), -d_score, d_label))
    d_img, d_box, d_label = d_img[d_order], d_box[d_order], d_label[d_order]
    n_images = len(targets)
    g_key, d_key = g_label * n_images + g_img, d_label * n_images + d_img
    g_start = np.searchsorted(g_key, d_key, side="left")
    g_count = np.searchsorted(g_key, d_key, side="right") - g_start

    # Every (detection, object of its class and image) pair; the best object of each detection.
    n_pairs = int(g_count.sum())
    pair_det = np.repeat(np.arange(len(d_img)), g_count)
    pair_gt = np.repeat(g_start, g_count) + np.arange(n_pairs) - np.repeat(np.cumsum(g_count) - g_count, g_count)
    iou = _iou_devkit(d_box[pair_det], g_box[pair_gt], offset)
    has_gt = g_count > 0
    first_pair = (np.cumsum(g_count) - g_count)[has_gt]
    best_gt = np.full(len(d_img), -1, dtype=np.int64)
    best_iou = np.full(len(d_img), -np.inf)
    if n_pairs:
        best_iou[has_gt] = np.maximum.reduceat(iou, first_pair)
        at_best = iou == best_iou[pair_det]
        first = np.minimum.reduceat(np.where(at_best, np.arange(n_pairs), n_pairs), first_pair)
        best_gt[has_gt] = pair_gt[first]
    hit = best_iou > iou_threshold
    dropped = hit.copy()
    dropped[hit] = g_difficult[best_gt[hit]]
    # A hit on a free object is a true positive: the first (highest-scoring) hit of each object.
    counted = hit & ~dropped
    tp = np.zeros(len(d_img), dtype=bool)
    hits = np.flatnonzero(counted)
    _, first_hit = np.unique(best_gt[hits], return_index=True)
    tp[hits[first_hit]] = True
    fp = ~tp & ~dropped

    per_class: dict[int, float] = {}
    num_pos: dict[int, int] = {}
    labels, counts = np.unique(g_label[~g_difficult], return_counts=True)
    bounds = np.searchsorted(d_label, labels, side="left"), np.searchsorted(d_label, labels, side="right")
    for c, npos, s, e in zip(labels, counts, *bounds):
        ctp = np.cumsum(tp[s:e]).astype(np.float64)
        cfp = np.cumsum(fp[s:e]).astype(np.float64)
        # dropped detections stay in the ranking with unchanged counts, as in the devkit
        rec = ctp / float(npos)
        prec = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
        per_class[int(c)] = voc_ap(rec, prec, use_07_metric=use_07_metric)
        num_pos[int(c)] = int(npos)
    if not per_class:
        warn_undefined("voc_average_precision: no class has a non-difficult object; the mean is NaN")
        return VocAveragePrecision({}, {}, float("nan"))
    return VocAveragePrecision(per_class, num_pos, float(np.mean(list(per_class.values()))))


def _iou_devkit(d: np.ndarray, g: np.ndarray, offset: float) -> np.ndarray:
    """``voc_eval.py``'s overlaps, pair by pair (``offset`` is its ``+ 1.``)."""
    iw = np.maximum(np.minimum(g[:, 2], d[:, 2]) - np.maximum(g[:, 0], d[:, 0]) + offset, 0.0)
    ih = np.maximum(np.minimum(g[:, 3], d[:, 3]) - np.maximum(g[:, 1], d[:, 1]) + offset, 0.0)
    inters = iw * ih
    uni = (
        (d[:, 2] - d[:, 0] + offset) * (d[:, 3] - d[:, 1] + offset)
        + (g[:, 2] - g[:, 0] + offset) * (g[:, 3] - g[:, 1] + offset)
        - inters
    )
    return np.divide(inters, uni, out=np.zeros_like(inters), where=uni > 0)


def _read(records: Sequence[Mapping[str, Any]], where: str, keys: tuple[str, ...], flag: str | None):
    """Concatenate per-image dicts: image index, boxes, labels, and the flag or scores."""
    imgs, boxes, labels, extra = [], [], [], []
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ValueError(f"{where}[{i}] must be a dict with {', '.join(keys)}, got {type(rec).__name__}")
        for key in keys:
            if key not in rec:
                raise ValueError(f"{where}[{i}] has no {key!r}")
        b = as_numpy(rec["boxes"], f"{where}[{i}].boxes").astype(np.float64)
        b = b.reshape(0, 4) if b.size == 0 else b
        if b.ndim != 2 or b.shape[1] != 4 or not np.all(np.isfinite(b)):
            raise ValueError(f"{where}[{i}].boxes must be (N, 4) finite x1, y1, x2, y2, got shape {b.shape}")
        lab = as_numpy(rec["labels"], f"{where}[{i}].labels").reshape(-1)
        if lab.size and lab.dtype.kind not in "iu":
            raise ValueError(f"{where}[{i}].labels must be integers, got dtype {lab.dtype}")
        if len(lab) != len(b):
            raise ValueError(f"{where}[{i}] has {len(b)} boxes but {len(lab)} labels")
        if flag is None:
            x = as_numpy(rec["scores"], f"{where}[{i}].scores").reshape(-1).astype(np.float64)
            if len(x) != len(b) or not np.all(np.isfinite(x)):
                raise ValueError(f"{where}[{i}].scores must be {len(b)} finite numbers, one per box")
        else:
            x = rec.get(flag)
            x = np.zeros(len(b), dtype=bool) if x is None else as_numpy(x, f"{where}[{i}].{flag}").reshape(-1)
            if len(x) != len(b) or x.dtype.kind not in "biu" or not np.all((x == 0) | (x == 1)):
                raise ValueError(f"{where}[{i}].{flag} must be {len(b)} bools, one per box")
            x = x.astype(bool)
        imgs.append(np.full(len(b), i, dtype=np.int64))
        boxes.append(b)
        labels.append(lab.astype(np.int64))
        extra.append(x)
    if not imgs:
        return (
            np.zeros(0, np.int64),
            np.zeros((0, 4)),
            np.zeros(0, np.int64),
            np.zeros(0, bool if flag else np.float64),
        )
    return np.concatenate(imgs), np.concatenate(boxes), np.concatenate(labels), np.concatenate(extra)
