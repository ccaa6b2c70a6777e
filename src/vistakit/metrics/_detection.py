"""Detection matching: box / mask IoU, greedy matching at an IoU threshold, precision, recall, AP.

These are the scores of matched instances that the detection, instance-segmentation and
keypoint tasks report while training (the full COCO protocol, with its 101-point
interpolation over ten IoU thresholds, areas and ``maxDets``, is a separate module).

Matching follows COCO's rule: per image and class, predictions are taken in order of
decreasing score, and each is matched to the still unmatched ground-truth instance of the
same class with the highest IoU, if that IoU is at least the threshold; otherwise it is a
false positive. Unmatched ground truth are false negatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import ArrayLike, as_numpy
from ._voc import voc_ap

__all__ = ["DetectionMatches", "average_precision_at", "box_iou", "mask_iou", "match_detections"]


def box_iou(boxes1: ArrayLike, boxes2: ArrayLike) -> np.ndarray:
    """Intersection over union of every pair of ``xyxy`` boxes.

    Args:
        boxes1: (N, 4) ``x1, y1, x2, y2``.
        boxes2: (M, 4) likewise.

    Returns:
        (N, M) float64 IoU; a pair of empty boxes has IoU 0.
    """
    a = _boxes(boxes1, "boxes1")
    b = _boxes(boxes2, "boxes2")
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clip(0)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def mask_iou(masks1: ArrayLike, masks2: ArrayLike) -> np.ndarray:
    """Intersection over union of every pair of binary masks.

    Args:
        masks1: (N, H, W) bool (or 0/1) masks.
        masks2: (M, H, W) likewise, the same H and W.

    Returns:
        (N, M) float64 IoU; two empty masks have IoU 0.
    """
    a = as_numpy(masks1, "masks1")
    b = as_numpy(masks2, "masks2")
    if a.ndim != 3 or b.ndim != 3 or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"masks must be (N, H, W) and (M, H, W) of one size, got {a.shape} and {b.shape}")
    a = a.reshape(len(a), -1).astype(bool).astype(np.float64)
    b = b.reshape(len(b), -1).astype(bool).astype(np.float64)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _boxes(x: ArrayLike, name: str) -> np.ndarray:
    arr = as_numpy(x, name).astype(np.float64)
    if arr.size == 0:
        return arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) (x1, y1, x2, y2), got {arr.shape}")
    return arr


@dataclass(frozen=True)
class DetectionMatches:
    """Predictions of one or more images, each marked true or false positive.

    Attributes:
        scores: (P,) confidence of every prediction.
        labels: (P,) class of every prediction.
        matched: (P,) bool, True for a true positive.
        matched_iou: (P,) IoU with the matched ground truth (0 for false positives).
        gt_index: (P,) index of the matched ground-truth instance in its image (-1 if none).
        pred_index: (P,) index of the prediction in its image's input order.
        num_gt: ground-truth instances per class, ``{class: count}``.
    """

    scores: np.ndarray
    labels: np.ndarray
    matched: np.ndarray
    matched_iou: np.ndarray
    gt_index: np.ndarray
    pred_index: np.ndarray
    num_gt: dict[int, int]

    @property
    def total_gt(self) -> int:
        return int(sum(self.num_gt.values()))

    def precision_recall(self, *, score_threshold: float = 0.5) -> tuple[float, float]:
        """Precision and recall of the predictions scoring at least ``score_threshold``.

        No prediction gives precision 1 by convention (nothing wrong was said) when there is
        nothing to find, else 0; no ground truth gives recall 1 (nothing was missed).
        """
        keep = self.scores >= score_threshold
        tp = int(self.matched[keep].sum())
        n_pred = int(keep.sum())
        precision = tp / n_pred if n_pred else float(self.total_gt == 0)
        recall = tp / self.total_gt if self.total_gt else 1.0
        return precision, recall

    @staticmethod
    def concatenate(parts: Sequence[DetectionMatches]) -> DetectionMatches:
        """The matches of several images (or processes) together."""
        num_gt: dict[int, int] = {}
        for p in parts:
            for k, v in p.num_gt.items():
                num_gt[k] = num_gt.get(k, 0) + v
        cat = lambda name, dtype: (
            np.concatenate([getattr(p, name) for p in parts]).astype(dtype)  # noqa: E731
            if parts
            else np.zeros(0, dtype)
        )
        return DetectionMatches(
            cat("scores", np.float64),
            cat("labels", np.int64),
            cat("matched", bool),
            cat("matched_iou", np.float64),
            cat("gt_index", np.int64),
            cat("pred_index", np.int64),
            num_gt,
        )


def match_detections(
    pred_boxes: ArrayLike,
    pred_scores: ArrayLike,
    pred_labels: ArrayLike,
    gt_boxes: ArrayLike,
    gt_labels: ArrayLike,
    *,
    iou_threshold: float = 0.5,
    iou: np.ndarray | None = None,
) -> DetectionMatches:
    """Greedy matching of one image's predictions to its ground truth, class by class.

    Args:
        pred_boxes: (P, 4) predicted ``xyxy`` boxes.
        pred_scores: (P,) their confidence.
        pred_labels: (P,) their class.
        gt_boxes: (G, 4) ground-truth ``xyxy`` boxes.
        gt_labels: (G,) their class.
        iou_threshold: the least IoU of a true positive.
        iou: (P, G) IoU to match by instead of the boxes' (e.g. :func:`mask_iou` of instance masks).

    Returns:
        The predictions in decreasing score order, marked matched or not.
    """
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold must lie in [0, 1], got {iou_threshold}")
    pb, gb = _boxes(pred_boxes, "pred_boxes"), _boxes(gt_boxes, "gt_boxes")
    scores = as_numpy(pred_scores, "pred_scores").astype(np.float64).reshape(-1)
    plabels = as_numpy(pred_labels, "pred_labels").astype(np.int64).reshape(-1)
    glabels = as_numpy(gt_labels, "gt_labels").astype(np.int64).reshape(-1)
    if not len(pb) == len(scores) == len(plabels):
        raise ValueError(
            f"pred_boxes, pred_scores and pred_labels differ in length: {len(pb)}, {len(scores)}, {len(plabels)}"
        )
    if len(gb) != len(glabels):
        raise ValueError(f"gt_boxes has {len(gb)} boxes but gt_labels {len(glabels)} labels")
    ious = box_iou(pb, gb) if iou is None else np.asarray(iou, dtype=np.float64)
    if ious.shape != (len(pb), len(gb)):
        raise ValueError(f"iou must have shape ({len(pb)}, {len(gb)}), got {ious.shape}")
    order = np.argsort(-scores, kind="stable")
    taken = np.zeros(len(gb), dtype=bool)
    matched = np.zeros(len(pb), dtype=bool)
    matched_iou = np.zeros(len(pb))
    gt_index = np.full(len(pb), -1, dtype=np.int64)
    for rank, i in enumerate(order):
        candidates = np.where((glabels == plabels[i]) & ~taken)[0]
        if len(candidates) == 0:
            continue
        j = candidates[np.argmax(ious[i, candidates])]
        if ious[i, j] >= iou_threshold:
            taken[j] = True
            matched[rank], matched_iou[rank], gt_index[rank] = True, ious[i, j], j
    num_gt = {int(c): int(n) for c, n in zip(*np.unique(glabels, return_counts=True))}
    return DetectionMatches(
        scores[order], plabels[order], matched, matched_iou, gt_index, order.astype(np.int64), num_gt
    )


def average_precision_at(matches: DetectionMatches) -> float:
    """Mean over classes of the area under the precision-recall curve (all-point interpolation).

    The PASCAL VOC 2010+ definition: precision is made monotone from the right and
    integrated over recall. Classes without ground truth are left out; no ground truth
    at all gives NaN.
    """
    aps = []
    for c, n_gt in sorted(matches.num_gt.items()):
        if n_gt == 0:
            continue
        sel = matches.labels == c
        order = np.argsort(-matches.scores[sel], kind="stable")
        tp = matches.matched[sel][order].astype(np.float64)
        if len(tp) == 0:
            aps.append(0.0)
            continue
        ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
        aps.append(voc_ap(ctp / n_gt, ctp / (ctp + cfp)))
    return float(np.mean(aps)) if aps else float("nan")
