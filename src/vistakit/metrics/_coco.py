"""COCO detection evaluation: pycocotools' ``COCOeval`` (``iouType="bbox"``), vectorised with numpy.

:func:`coco_evaluate` takes the same inputs as pycocotools (the ground-truth dict and the
results list, COCO's JSON formats) and returns the same numbers: the twelve summary
values of ``COCOeval.summarize()``, and the full ``eval["precision"]`` (T, R, K, A, M),
``eval["recall"]`` (T, K, A, M) and ``eval["scores"]`` arrays. The rules are
pycocotools', reproduced step by step (``tests/metrics/test_coco_eval.py`` compares
them on many random sets):

* images and categories are taken in increasing id order; per image and category the
  detections are sorted by decreasing score (a stable sort, pycocotools' ``mergesort``:
  ties keep their order in the results list) and cut to the largest ``max_dets``;
* box IoU is pycocotools' ``bbIou`` on ``xywh`` boxes, operation for operation (so the
  same float64 values, and the same matches at IoU exactly on a threshold); against a
  crowd region (``iscrowd=1``) it is the intersection over the detection's own area;
* a ground truth is *ignored* when it is a crowd region or its ``area`` field lies outside
  the area range (``lo <= area <= hi`` is inside). Each detection, in score order, takes
  the not yet matched non-ignored ground truth of highest IoU (at least the threshold;
  of equal IoUs, the last in annotation order), and only if there is none, the best
  ignored one; a crowd region can be matched by any number of detections. A detection
  matched to an ignored ground truth is ignored, and so is an unmatched one whose area
  ``w * h`` lies outside the range;
* per category, area range and ``max_dets`` the detections of all images are sorted by
  score (stable: image id, then rank in the image, break ties), precision
  ``tp / (tp + fp + eps)`` is made non-increasing from the right and read at the 101
  recall thresholds with ``np.searchsorted(recall, thresholds, side="left")`` (0 past
  the largest recall); a category without non-ignored ground truth in the area range
  gets -1, as does every summary value with nothing to average.

Where vistakit differs from pycocotools, deliberately, on inputs pycocotools gets wrong
or refuses:

* pycocotools records a match by annotation id, so a ground truth whose ``id`` is 0
  counts as unmatched even when matched (the detection becomes a false positive); here
  matches are by position and ids play no part;
* pycocotools crashes on an empty results list (``anns[0]``); here no detection gives
  AP 0 and AR 0 for every category with ground truth;
* pycocotools silently drops annotations and detections whose image or category is not
  listed in ``images`` / ``categories``, and merges records with repeated ids; here they
  raise ``ValueError`` naming the record and field.

An annotation's ``ignore`` field is accepted and, as in pycocotools (whose
``COCOeval._prepare`` overwrites it with ``iscrowd``), has no effect.

``iou_type="segm"`` evaluates instance masks: every ``segmentation`` is COCO's compressed
or uncompressed run-length encoding (a dict with ``size`` and ``counts``), COCO polygons
(a list of ``[x1, y1, x2, y2, ...]`` rings, rasterised as pycocotools' ``annToRLE`` does:
the image's ``height`` / ``width`` must be in ``ground_truth['images']``), or a decoded
binary (H, W) array; all are decoded with :mod:`vistakit.structures`' exact RLE. Mask IoU is pycocotools' ``rleIou``
(pixel counts: intersection over union, over the detection's pixels for a crowd region),
the ground truth's area is still its ``area`` field, and a detection's area follows
pycocotools' ``loadRes``: the mask's pixel count, except that when the first result
carries a non-empty ``bbox`` every detection's area is its box's ``w * h``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..structures import RLE, Polygons
from ._validation import as_numpy

__all__ = ["CocoEvaluation", "coco_evaluate"]

#: pycocotools' ``Params.setDetParams`` values (``np.linspace`` as they write it, so the
#: thresholds are the same float64 numbers and ``iouThr == .75`` finds its index).
COCO_IOU_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
COCO_RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
COCO_AREA_RANGES: dict[str, tuple[float, float]] = {
    "all": (0.0, 1e5**2),
    "small": (0.0, 32.0**2),
    "medium": (32.0**2, 96.0**2),
    "large": (96.0**2, 1e5**2),
}

_MISSING = object()


@dataclass(frozen=True)
class CocoEvaluation:
    """The result of :func:`coco_evaluate`: pycocotools' ``stats`` and ``eval`` arrays.

    Attributes:
        stats: (12,) the summary values in ``COCOeval.summarize()`` order: AP@[.5:.95]
            (at 100 detections, a literal in pycocotools, so -1 when 100 is not among
            ``max_dets``), AP50, AP75, AP small / medium / large (at ``max_dets[2]``), AR at ``max_dets[0]``,
            ``[1]``, ``[2]``, AR small / medium / large (at ``max_dets[2]``). -1 where there
            is nothing to average (no ground truth, or a missing threshold or area label).
        precision: (T, R, K, A, M) interpolated precision; -1 where the category has no
            non-ignored ground truth in the area range.
        recall: (T, K, A, M) the largest recall reached; -1 likewise.
        scores: (T, R, K, A, M) the detection score at which each precision is read (0 past
            the largest recall, -1 likewise).
        iou_thresholds: (T,), recall_thresholds: (R,).
        category_ids: (K,) the category ids in order (``[-1]`` with ``use_categories=False``).
        area_ranges: label -> (lo, hi), in the order of axis A.
        max_dets: (M,) increasing.
        image_ids: the image ids evaluated, increasing.
    """

    stats: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    iou_thresholds: np.ndarray
    recall_thresholds: np.ndarray
    category_ids: np.ndarray
    area_ranges: dict[str, tuple[float, float]]
    max_dets: tuple[int, ...]
    image_ids: np.ndarray

    @property
    def stat_names(self) -> tuple[str, ...]:
        """Short names of :attr:`stats`: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl."""
        m = self.max_dets
        return ("AP", "AP50", "AP75", "APs", "APm", "APl", f"AR{m[0]}", f"AR{m[1]}", f"AR{m[2]}", "ARs", "ARm", "ARl")

    def as_dict(self) -> dict[str, float]:
        """``{"AP": ..., "AP50": ..., ..., "ARl": ...}`` (see :attr:`stat_names`)."""
        return {name: float(v) for name, v in zip(self.stat_names, self.stats)}

    ap = property(lambda self: float(self.stats[0]), doc="AP averaged over IoU .50:.95 (COCO's primary metric).")
    ap50 = property(lambda self: float(self.stats[1]), doc="AP at IoU .50.")
    ap75 = property(lambda self: float(self.stats[2]), doc="AP at IoU .75.")
    ap_small = property(lambda self: float(self.stats[3]), doc="AP of small objects.")
    ap_medium = property(lambda self: float(self.stats[4]), doc="AP of medium objects.")
    ap_large = property(lambda self: float(self.stats[5]), doc="AP of large objects.")
    ar1 = property(lambda self: float(self.stats[6]), doc="AR at ``max_dets[0]`` detections per image.")
    ar10 = property(lambda self: float(self.stats[7]), doc="AR at ``max_dets[1]`` detections per image.")
    ar100 = property(lambda self: float(self.stats[8]), doc="AR at ``max_dets[2]`` detections per image.")
    ar_small = property(lambda self: float(self.stats[9]), doc="AR of small objects.")
    ar_medium = property(lambda self: float(self.stats[10]), doc="AR of medium objects.")
    ar_large = property(lambda self: float(self.stats[11]), doc="AR of large objects.")

    def per_category_ap(self) -> dict[int, float]:
        """AP@[.5:.95] (area "all" if present, else the first; largest ``max_dets``) of each category, -1 if absent."""
        labels = list(self.area_ranges)
        a = labels.index("all") if "all" in labels else 0
        out = {}
        for k, cat in enumerate(self.category_ids):
            s = self.precision[:, :, k, a, -1]
            out[int(cat)] = float(np.mean(s[s > -1])) if np.any(s > -1) else -1.0
        return out

    def summary(self) -> str:
        """The twelve lines ``COCOeval.summarize()`` prints, character for character."""
        lines = []
        for (ap, iou, area, max_det), value in zip(self._summary_settings(), self.stats):
            title, kind = ("Average Precision", "(AP)") if ap else ("Average Recall", "(AR)")
            iou_str = f"{self.iou_thresholds[0]:0.2f}:{self.iou_thresholds[-1]:0.2f}" if iou is None else f"{iou:0.2f}"
            lines.append(
                f" {title:<18} {kind} @[ IoU={iou_str:<9} | area={area:>6s} | maxDets={max_det:>3d} ] = {value:0.3f}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v:.4f}" for k, v in self.as_dict().items())
        return f"CocoEvaluation({values}; precision {self.precision.shape})"

    def _summary_settings(self) -> list[tuple[bool, float | None, str, int]]:
        m = self.max_dets
        # pycocotools' first line reads maxDets=100 whatever max_dets are (its ``_summarize`` default)
        return [
            (True, None, "all", 100),
            (True, 0.5, "all", m[2]),
            (True, 0.75, "all", m[2]),
            (True, None, "small", m[2]),
            (True, None, "medium", m[2]),
            (True, None, "large", m[2]),
            (False, None, "all", m[0]),
            (False, None, "all", m[1]),
            (False, None, "all", m[2]),
            (False, None, "small", m[2]),
            (False, None, "medium", m[2]),
            (False, None, "large", m[2]),
        ]


def coco_evaluate(
    ground_truth: Mapping[str, Any],
    predictions: Sequence[Mapping[str, Any]],
    *,
    iou_type: str = "bbox",
    iou_thresholds: Sequence[float] | np.ndarray | None = None,
    recall_thresholds: Sequence[float] | np.ndarray | None = None,
    max_dets: Sequence[int] = (1, 10, 100),
    area_ranges: Mapping[str, tuple[float, float]] | None = None,
    use_categories: bool = True,
) -> CocoEvaluation:
    """COCO detection metrics, the numbers of pycocotools' ``COCOeval`` evaluate / accumulate / summarize.

    Args:
        ground_truth: a COCO annotation dict: ``images`` (each with an integer ``id``),
            ``categories`` (each with an integer ``id``) and ``annotations``, each with
            ``image_id``, ``category_id``, ``bbox`` ``[x, y, width, height]``, ``area`` (the
            object's area, which decides small / medium / large; for COCO the segment's,
            not the box's), optional ``iscrowd`` (0 or 1, default 0), ``id`` and ``ignore``
            (no effect, as in pycocotools).
        predictions: COCO's results list: dicts with ``image_id``, ``category_id``,
            ``bbox`` ``[x, y, width, height]`` and ``score``; other keys are ignored.
        iou_type: ``"bbox"``, or ``"segm"``: each annotation and result then has a
            ``segmentation``: COCO RLE (compressed or not), COCO polygons, or a decoded (H, W)
            0 / 1 array of the image's size (annotations need no ``bbox``).
        iou_thresholds: the IoU thresholds (T,), default ``.50:.05:.95``.
        recall_thresholds: the recall points (R,), increasing, default ``0:.01:1`` (101).
        max_dets: detections kept per image (M,), at least three (the summary reads AR at
            the first three and AP at the third); sorted increasing as pycocotools does.
        area_ranges: ``{label: (lo, hi)}`` area ranges (A,), default COCO's all / small /
            medium / large; a summary value whose label is missing is -1.
        use_categories: False pools all categories (pycocotools' ``useCats=0``, proposal
            recall): ``K = 1`` and ``category_ids == [-1]``.

    Returns:
        A :class:`CocoEvaluation` with ``stats``, ``precision``, ``recall``, ``scores`` and
        ``summary()``.

    Example:
        >>> gt = {"images": [{"id": 1}], "categories": [{"id": 1}],
        ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 20],
        ...                        "area": 200.0, "iscrowd": 0}]}
        >>> res = coco_evaluate(gt, [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}])
        >>> round(res.ap50, 6), res.ap75, round(res.ap, 6)  # IoU 0.5: a hit at .50 only
        (1.0, 0.0, 0.1)
    """
    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type must be 'bbox' or 'segm', got {iou_type!r}")
    iou_thr = _thresholds(COCO_IOU_THRESHOLDS if iou_thresholds is None else iou_thresholds, "iou_thresholds")
    rec_thr = _thresholds(
        COCO_RECALL_THRESHOLDS if recall_thresholds is None else recall_thresholds, "recall_thresholds"
    )
    if np.any(np.diff(rec_thr) < 0):  # pycocotools stops filling at the first one past the largest recall
        raise ValueError(f"recall_thresholds must be increasing, got {recall_thresholds!r}")
    max_dets = _max_dets(max_dets)
    areas = _area_ranges(COCO_AREA_RANGES if area_ranges is None else area_ranges)

    gt = _read_ground_truth(ground_truth, iou_type)
    dt = _read_predictions(predictions, gt, iou_type)
    K = len(gt.category_ids) if use_categories else 1
    g_cat = gt.cat if use_categories else np.zeros_like(gt.cat)
    d_cat = dt.cat if use_categories else np.zeros_like(dt.cat)
    matches = _match(gt, dt, g_cat, d_cat, K, iou_thr, areas, max_dets[-1])
    precision, recall, scores = _accumulate(matches, gt, g_cat, K, iou_thr, rec_thr, areas, max_dets)
    result = CocoEvaluation(
        stats=np.zeros(12),
        precision=precision,
        recall=recall,
        scores=scores,
        iou_thresholds=iou_thr,
        recall_thresholds=rec_thr,
        category_ids=gt.category_ids.copy() if use_categories else np.array([-1], dtype=np.int64),
        area_ranges={k: (float(lo), float(hi)) for k, (lo, hi) in zip(areas.labels, areas.ranges)},
        max_dets=max_dets,
        image_ids=gt.image_ids.copy(),
    )
    result.stats[:] = [_summarize(result, *setting) for setting in result._summary_settings()]
    return result


# ---------------------------------------------------------------------------------------------
# options


def _thresholds(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-empty sequence of numbers in [0, 1], got {values!r}") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise ValueError(f"{name} must be a non-empty sequence of numbers in [0, 1], got {values!r}")
    return arr.copy()


def _max_dets(values: Sequence[int]) -> tuple[int, ...]:
    vals = list(values)
    if (
        len(vals) < 3
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in vals)
        or len(set(vals)) != len(vals)
    ):
        raise ValueError(
            f"max_dets must be at least three different positive integers (the summary reads AR "
            f"at the first three, AP at the third, as pycocotools' does), got {values!r}"
        )
    return tuple(sorted(int(v) for v in vals))


@dataclass(frozen=True)
class _Areas:
    labels: tuple[str, ...]
    ranges: np.ndarray  # (A, 2)

    def outside(self, area: np.ndarray) -> np.ndarray:
        """(A, N): area outside each range (``lo <= area <= hi`` is inside, as pycocotools has it)."""
        return (area[None, :] < self.ranges[:, :1]) | (area[None, :] > self.ranges[:, 1:])


def _area_ranges(ranges: Mapping[str, tuple[float, float]]) -> _Areas:
    if not isinstance(ranges, Mapping) or not ranges:
        raise ValueError(f"area_ranges must be a non-empty dict {{label: (lo, hi)}}, got {ranges!r}")
    rows = []
    for label, rng in ranges.items():
        try:
            lo, hi = (float(v) for v in rng)
        except (TypeError, ValueError):
            raise ValueError(f"area_ranges[{label!r}] must be a pair (lo, hi), got {rng!r}") from None
        if not lo <= hi:
            raise ValueError(f"area_ranges[{label!r}] must have lo <= hi, got {rng!r}")
        rows.append((lo, hi))
    return _Areas(tuple(str(k) for k in ranges), np.array(rows, dtype=np.float64))


# ---------------------------------------------------------------------------------------------
# reading COCO records


@dataclass(frozen=True)
class _GroundTruth:
    image_ids: np.ndarray  # (I,) sorted
    category_ids: np.ndarray  # (K,) sorted
    img: np.ndarray  # (G,) index into image_ids
    cat: np.ndarray  # (G,) index into category_ids
    box: np.ndarray  # (G, 4) xywh (zeros with masks)
    area: np.ndarray  # (G,)
    crowd: np.ndarray  # (G,) bool
    masks: list[np.ndarray] | None  # (H * W,) bool per annotation, iou_type="segm"
    mask_shape: dict[int, tuple[int, int]]  # image index -> (H, W) of its masks


@dataclass(frozen=True)
class _Detections:
    img: np.ndarray
    cat: np.ndarray
    box: np.ndarray
    score: np.ndarray
    area: np.ndarray
    masks: list[np.ndarray] | None


def _records(value: Any, where: str) -> list:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ValueError(f"{where} must be a list of dicts (COCO records), got {type(value).__name__}")
    return value if isinstance(value, list) else list(value)


def _field(records: list, where: str, field: str, default: Any = _MISSING) -> list:
    """``[r[field] for r in records]``, or a ``ValueError`` naming the first record that lacks it."""
    try:
        if default is _MISSING:
            return [r[field] for r in records]
        return [r.get(field, default) for r in records]
    except (KeyError, TypeError, AttributeError, IndexError):
        for i, r in enumerate(records):
            if not isinstance(r, Mapping):
                raise ValueError(f"{where}[{i}] must be a dict (a COCO record), got {type(r).__name__}") from None
            if field not in r and default is _MISSING:
                raise ValueError(f"{where}[{i}].{field} is missing") from None
        raise


def _bad(values: list, where: str, field: str, ok, expected: str) -> ValueError:
    for i, v in enumerate(values):
        if not ok(v):
            return ValueError(f"{where}[{i}].{field}: expected {expected}, got {v!r}")
    return ValueError(f"{where}: {field} could not be read ({expected})")


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_number(v: Any) -> bool:
    return (
        isinstance(v, (int, float, np.integer, np.floating))
        and not isinstance(v, (bool, np.bool_))
        and bool(np.isfinite(v))
    )


def _ints(values: list, where: str, field: str) -> np.ndarray:
    arr = np.asarray(values) if values else np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        raise _bad(values, where, field, _is_int, "an integer id")
    return arr.astype(np.int64)


def _numbers(values: list, where: str, field: str, *, nonnegative: bool = False) -> np.ndarray:
    arr = np.asarray(values) if values else np.zeros(0)
    if arr.dtype.kind not in "iuf" or arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise _bad(values, where, field, _is_number, "a finite number")
    arr = arr.astype(np.float64)
    if nonnegative and np.any(arr < 0):
        raise _bad(values, where, field, lambda v: v >= 0, "a number >= 0")
    return arr


def _flags(values: list, where: str, field: str) -> np.ndarray:
    arr = np.asarray(values) if values else np.zeros(0, dtype=bool)
    if arr.dtype.kind not in "biu" or arr.ndim != 1 or not np.all((arr == 0) | (arr == 1)):
        raise _bad(values, where, field, lambda v: v in (0, 1) and not isinstance(v, float), "0 or 1")
    return arr.astype(bool)


def _boxes(values: list, where: str) -> np.ndarray:
    def ok(v: Any) -> bool:
        return isinstance(v, Sequence | np.ndarray) and len(v) == 4 and all(_is_number(x) for x in v)

    try:
        arr = np.asarray(values, dtype=np.float64) if values else np.zeros((0, 4))
    except (TypeError, ValueError):
        raise _bad(values, where, "bbox", ok, "[x, y, width, height] of finite numbers") from None
    if arr.ndim != 2 or arr.shape[1] != 4 or not np.all(np.isfinite(arr)):
        raise _bad(values, where, "bbox", ok, "[x, y, width, height] of finite numbers")
    if np.any(arr[:, 2:] < 0):
        raise _bad(values, where, "bbox", lambda v: v[2] >= 0 and v[3] >= 0, "a width and height >= 0")
    return arr


def _index(ids: np.ndarray, known: np.ndarray, where: str, field: str, what: str) -> np.ndarray:
    """Position of every id in the sorted ``known`` ids; ``ValueError`` for an unknown one."""
    pos = np.searchsorted(known, ids)
    found = known[np.minimum(pos, len(known) - 1)] == ids if len(known) else np.zeros(len(ids), dtype=bool)
    if not np.all(found):
        i = int(np.flatnonzero(~found)[0])
        raise ValueError(f"{where}[{i}].{field}: {int(ids[i])} is not {what}")
    return pos.astype(np.int64)


def _unique_ids(records: list, where: str) -> np.ndarray:
    ids = _ints(_field(records, where, "id"), where, "id")
    uniq, counts = np.unique(ids, return_counts=True)
    if np.any(counts > 1):
        dup = uniq[counts > 1][0]
        raise ValueError(f"{where}: id {int(dup)} appears {int(counts[uniq == dup][0])} times (ids must be unique)")
    return uniq


def _masks(
    values: list, img: np.ndarray, where: str, shapes: dict[int, tuple[int, int]], sizes: Mapping[int, tuple[int, int]]
) -> list[np.ndarray]:
    """Binary masks, flattened, from RLE dicts, COCO polygons or decoded arrays; all masks of an image share its (H, W).

    ``sizes`` holds the (H, W) of the images whose record gives it (polygons need it).
    """
    out = []
    for i, (v, im) in enumerate(zip(values, img.tolist())):
        field = f"{where}[{i}].segmentation"
        if isinstance(v, Mapping):
            try:
                m = RLE.from_coco(v).decode()
            except (ValueError, TypeError, KeyError) as e:
                raise ValueError(f"{field}: not a COCO run-length encoding ({e})") from None
        elif isinstance(v, (list, tuple)):
            if im not in sizes:
                raise ValueError(f"{field}: polygons need the image's height and width in ground_truth['images']")
            try:
                m = Polygons.from_coco(v).to_mask(height=sizes[im][0], width=sizes[im][1])
            except (ValueError, TypeError) as e:
                raise ValueError(f"{field}: not COCO polygons ({e})") from None
        else:
            m = as_numpy(v, field)
            if m.ndim != 2 or m.dtype.kind not in "biu" or (m.dtype.kind != "b" and np.any((m != 0) & (m != 1))):
                raise ValueError(
                    f"{field}: expected a binary (H, W) mask of 0 / 1, got shape {m.shape}, dtype {m.dtype}"
                )
        if im in sizes and m.shape != sizes[im]:
            raise ValueError(f"{field}: a {m.shape[0]}x{m.shape[1]} mask on a {sizes[im][0]}x{sizes[im][1]} image")
        if shapes.setdefault(im, m.shape) != m.shape:
            raise ValueError(
                f"{field}: shape {m.shape} differs from {shapes[im]}, the size of the other masks of its image"
            )
        out.append(np.ascontiguousarray(m, dtype=bool).reshape(-1))
    return out


def _read_ground_truth(gt: Mapping[str, Any], iou_type: str) -> _GroundTruth:
    if not isinstance(gt, Mapping):
        raise ValueError(
            f"ground_truth must be a COCO dict with images, annotations and categories, got {type(gt).__name__}"
        )
    for key in ("images", "annotations", "categories"):
        if key not in gt:
            raise ValueError(f"ground_truth has no {key!r} list (a COCO dict has images, annotations, categories)")
    image_ids = _unique_ids(_records(gt["images"], "images"), "images")
    category_ids = _unique_ids(_records(gt["categories"], "categories"), "categories")
    anns = _records(gt["annotations"], "annotations")
    w = "annotations"
    img = _index(
        _ints(_field(anns, w, "image_id"), w, "image_id"),
        image_ids,
        w,
        "image_id",
        "the id of an image in ground_truth['images']",
    )
    cat = _index(
        _ints(_field(anns, w, "category_id"), w, "category_id"),
        category_ids,
        w,
        "category_id",
        "the id of a category in ground_truth['categories']",
    )
    masks, shapes = None, {}
    if iou_type == "segm":
        position = {int(i): k for k, i in enumerate(image_ids)}
        sizes = {
            position[int(r["id"])]: (int(r["height"]), int(r["width"]))
            for r in gt["images"]
            if isinstance(r, Mapping) and "height" in r and "width" in r
        }
        shapes = dict(sizes)  # every mask of an image, and the images' own sizes, agree
        masks = _masks(_field(anns, w, "segmentation"), img, w, shapes, sizes)
        box = np.zeros((len(anns), 4))
    else:
        box = _boxes(_field(anns, w, "bbox"), w)
    area = _numbers(_field(anns, w, "area"), w, "area", nonnegative=True)
    crowd = _flags(_field(anns, w, "iscrowd", 0), w, "iscrowd")
    _flags(_field(anns, w, "ignore", 0), w, "ignore")  # validated; no effect (pycocotools overwrites it)
    if anns and "id" in anns[0]:
        _unique_ids(anns, w)
    return _GroundTruth(image_ids, category_ids, img, cat, box, area, crowd, masks, shapes)


def _read_predictions(predictions: Sequence[Mapping[str, Any]], gt: _GroundTruth, iou_type: str) -> _Detections:
    w = "predictions"
    preds = _records(predictions, w)
    img = _index(
        _ints(_field(preds, w, "image_id"), w, "image_id"),
        gt.image_ids,
        w,
        "image_id",
        "the id of an image in ground_truth['images']",
    )
    cat = _index(
        _ints(_field(preds, w, "category_id"), w, "category_id"),
        gt.category_ids,
        w,
        "category_id",
        "the id of a category in ground_truth['categories']",
    )
    score = _numbers(_field(preds, w, "score"), w, "score")
    if iou_type == "bbox":
        box = _boxes(_field(preds, w, "bbox"), w)
        return _Detections(img, cat, box, score, box[:, 2] * box[:, 3], None)
    masks = _masks(_field(preds, w, "segmentation"), img, w, dict(gt.mask_shape), gt.mask_shape)
    # pycocotools' loadRes: boxes (and their w * h as areas) win when the first result has one
    if preds and isinstance(preds[0], Mapping) and "bbox" in preds[0] and not _is_empty(preds[0]["bbox"]):
        box = _boxes(_field(preds, w, "bbox"), w)
        area = box[:, 2] * box[:, 3]
    else:
        box = np.zeros((len(preds), 4))
        area = np.array([np.count_nonzero(m) for m in masks], dtype=np.float64)
    return _Detections(img, cat, box, score, area, masks)


def _is_empty(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 0


# ---------------------------------------------------------------------------------------------
# matching (pycocotools' computeIoU + evaluateImg)


@dataclass(frozen=True)
class _Matches:
    """The kept detections (at most max(max_dets) per image and category) and their matches."""

    cat: np.ndarray  # (D,) category index (0 with use_categories=False)
    img: np.ndarray  # (D,)
    rank: np.ndarray  # (D,) position in its image's (and category's) score order
    score: np.ndarray  # (D,)
    matched: np.ndarray  # (T, A, D) bool
    ignored: np.ndarray  # (T, A, D) bool


def _bbox_iou(d: np.ndarray, g: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """pycocotools' ``bbIou`` (``maskApi.c``) pair by pair, the same float64 operations in the same order."""
    w = np.minimum(d[:, 2] + d[:, 0], g[:, 2] + g[:, 0]) - np.maximum(d[:, 0], g[:, 0])
    h = np.minimum(d[:, 3] + d[:, 1], g[:, 3] + g[:, 1]) - np.maximum(d[:, 1], g[:, 1])
    da = d[:, 2] * d[:, 3]
    ga = g[:, 2] * g[:, 3]
    inter = w * h
    union = np.where(crowd, da, da + ga - inter)
    return np.divide(inter, union, out=np.zeros_like(inter), where=(w > 0) & (h > 0))


def _mask_pair_iou(
    d_masks: list[np.ndarray],
    g_masks: list[np.ndarray],
    d_group: np.ndarray,
    g_group: np.ndarray,
    g_crowd: np.ndarray,
    pair_det: np.ndarray,
    pair_gt: np.ndarray,
) -> np.ndarray:
    """pycocotools' ``rleIou`` on decoded masks: pixel counts, ``i / u`` (``u`` = the detection's area for a crowd
    region), 0 without intersection. One matrix product per image and category (detections and ground truth
    of a group are contiguous in ``d_group`` / ``g_group`` order)."""
    iou = np.zeros(len(pair_det))
    if len(pair_det) == 0:
        return iou
    groups = np.unique(d_group[pair_det])
    d_lo, d_hi = np.searchsorted(d_group, groups, "left"), np.searchsorted(d_group, groups, "right")
    g_lo, g_hi = np.searchsorted(g_group, groups, "left"), np.searchsorted(g_group, groups, "right")
    block: list = [None] * len(d_group)  # per detection: its IoU with each ground truth of its group
    for a, b, c, e in zip(d_lo, d_hi, g_lo, g_hi):
        d = np.stack(d_masks[a:b]).astype(np.float64)
        g = np.stack(g_masks[c:e]).astype(np.float64)
        inter = d @ g.T  # exact integer counts in float64
        da, ga = d.sum(1)[:, None], g.sum(1)[None, :]
        union = np.where(g_crowd[c:e][None, :], da, da + ga - inter)
        values = np.divide(inter, union, out=np.zeros_like(inter), where=inter > 0)
        for k in range(b - a):
            block[a + k] = values[k]
    g_first = np.searchsorted(g_group, g_group[pair_gt], "left")
    for p, (i, j) in enumerate(zip(pair_det.tolist(), (pair_gt - g_first).tolist())):
        iou[p] = block[i][j]
    return iou


def _match(
    gt: _GroundTruth,
    dt: _Detections,
    g_cat: np.ndarray,
    d_cat: np.ndarray,
    K: int,
    iou_thr: np.ndarray,
    areas: _Areas,
    max_det: int,
) -> _Matches:
    T, A = len(iou_thr), len(areas.labels)
    # Ground truth grouped by (image, category); within a group in annotation order (pycocotools
    # concatenates the categories in id order when useCats=0: gt.cat breaks the order then).
    g_group = gt.img * K + g_cat
    g_order = np.lexsort((np.arange(len(g_group)), gt.cat, g_group))
    g_group = g_group[g_order]
    g_box, g_area, g_crowd = gt.box[g_order], gt.area[g_order], gt.crowd[g_order]
    g_ignored = g_crowd[None, :] | areas.outside(g_area)  # (A, G)

    # Detections grouped likewise, by decreasing score (stable), cut to max_det per group.
    d_group = dt.img * K + d_cat
    d_order = np.lexsort((np.arange(len(d_group)), dt.cat, -dt.score, d_group))
    d_group = d_group[d_order]
    starts = np.searchsorted(d_group, d_group, side="left")
    rank = np.arange(len(d_group)) - starts
    keep = rank < max_det
    d_order, d_group, rank = d_order[keep], d_group[keep], rank[keep]
    D = len(d_order)
    d_box, d_score, d_area = dt.box[d_order], dt.score[d_order], dt.area[d_order]

    # Every (detection, ground truth) pair of a group, detections in (rank, group) order so that the
    # detections of one rank, one per group, form a contiguous run of pairs.
    by_rank = np.lexsort((d_group, rank))
    g_start = np.searchsorted(g_group, d_group[by_rank], side="left")
    g_count = np.searchsorted(g_group, d_group[by_rank], side="right") - g_start
    n_pairs = int(g_count.sum())
    pair_det = np.repeat(by_rank, g_count)
    first_pair = np.repeat(np.cumsum(g_count) - g_count, g_count)
    pair_gt = np.repeat(g_start, g_count) + (np.arange(n_pairs) - first_pair)
    if dt.masks is None:
        pair_iou = _bbox_iou(d_box[pair_det], g_box[pair_gt], g_crowd[pair_gt])
    else:
        pair_iou = _mask_pair_iou(
            [dt.masks[i] for i in d_order], [gt.masks[i] for i in g_order], d_group, g_group, g_crowd, pair_det, pair_gt
        )
    pair_rank = rank[pair_det]

    # pycocotools' evaluateImg, all groups at once, one rank at a time (a detection's match depends
    # on the matches of the higher-scoring detections of its group only). At each threshold and area
    # range a detection takes, among the ground truth with IoU >= threshold, the non-ignored one not
    # yet taken with the largest IoU (the last of equal ones), else the best ignored one (a crowd
    # region can be taken any number of times, an ignored non-crowd one once).
    thr = np.minimum(iou_thr, 1 - 1e-10)[:, None, None]  # (T, 1, 1)
    taken = np.zeros((T, A, len(g_group)), dtype=bool)
    matched = np.zeros((T, A, D), dtype=bool)
    ignored = np.zeros((T, A, D), dtype=bool)
    n_ranks = int(rank.max()) + 1 if D else 0  # at most max_det
    bounds = np.searchsorted(pair_rank, np.arange(n_ranks + 1), side="left")
    for r in range(n_ranks):
        a, b = bounds[r], bounds[r + 1]
        if a == b:
            continue
        p_det, p_gt, p_iou = pair_det[a:b], pair_gt[a:b], pair_iou[a:b]
        new = np.ones(b - a, dtype=bool)
        new[1:] = p_det[1:] != p_det[:-1]
        seg_start = np.flatnonzero(new)
        seg_of_pair = np.cumsum(new) - 1
        candidate = (p_iou >= thr) & (~taken[:, :, p_gt] | g_crowd[p_gt])  # (T, A, P)
        p_ignored = g_ignored[:, p_gt][None]  # (1, A, P)
        choice = np.full((T, A, len(seg_start)), -1, dtype=np.int64)
        choice_ignored = np.zeros(choice.shape, dtype=bool)
        for ignored_pass in (False, True):
            ok = candidate & (p_ignored if ignored_pass else ~p_ignored)
            best = np.maximum.reduceat(np.where(ok, p_iou, -1.0), seg_start, axis=-1)
            at_best = ok & (p_iou == best[..., seg_of_pair])
            last = np.maximum.reduceat(np.where(at_best, np.arange(b - a), -1), seg_start, axis=-1)
            fill = (choice < 0) & (last >= 0)
            choice[fill] = last[fill]
            choice_ignored |= fill & ignored_pass
        t_idx, a_idx, s_idx = np.nonzero(choice >= 0)
        taken[t_idx, a_idx, p_gt[choice[t_idx, a_idx, s_idx]]] = True
        dets = p_det[seg_start]
        matched[:, :, dets] = choice >= 0
        ignored[:, :, dets] = choice_ignored
    # Unmatched detections outside the area range are ignored.
    ignored |= ~matched & areas.outside(d_area)[None]
    return _Matches(d_cat[d_order], dt.img[d_order], rank, d_score, matched, ignored)


# ---------------------------------------------------------------------------------------------
# accumulation (pycocotools' accumulate) and summary


def _accumulate(
    m: _Matches,
    gt: _GroundTruth,
    g_cat: np.ndarray,
    K: int,
    iou_thr: np.ndarray,
    rec_thr: np.ndarray,
    areas: _Areas,
    max_dets: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    T, R, A, M = len(iou_thr), len(rec_thr), len(areas.labels), len(max_dets)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    scores = -np.ones((T, R, K, A, M))
    g_ignored = gt.crowd[None, :] | areas.outside(gt.area)  # (A, G)
    n_pos = np.zeros((K, A), dtype=np.int64)  # non-ignored ground truth per category and area range
    for a in range(A):
        n_pos[:, a] = np.bincount(g_cat[~g_ignored[a]], minlength=K)
    # All categories' detections in one order: category, then decreasing score; ties keep image id
    # order, then rank in the image (pycocotools concatenates images in id order and mergesorts).
    order = np.lexsort((m.rank, m.img, -m.score, m.cat))
    cat, rank, score = m.cat[order], m.rank[order], m.score[order]
    tp_all = (m.matched & ~m.ignored)[:, :, order]  # (T, A, D)
    fp_all = (~m.matched & ~m.ignored)[:, :, order]
    eps = np.spacing(1)
    for mi, max_det in enumerate(max_dets):
        sel = np.flatnonzero(rank < max_det)
        bounds = np.searchsorted(cat[sel], np.arange(K + 1), side="left")
        # integer counts, as pycocotools' (a bool cumsum into numpy's default int64, or over the
        # strided array that indexing the last axis gives, is many times slower)
        count = np.int32 if len(sel) < 2**31 else np.int64
        tp_cum = np.cumsum(np.ascontiguousarray(tp_all[:, :, sel]), axis=-1, dtype=count)
        fp_cum = np.cumsum(np.ascontiguousarray(fp_all[:, :, sel]), axis=-1, dtype=count)
        for k in range(K):
            s, e = bounds[k], bounds[k + 1]
            nd = e - s
            k_scores = score[sel[s:e]]
            for a in range(A):
                npig = n_pos[k, a]
                if npig == 0:
                    continue
                # per-category cumulative counts: the running total minus the one before the category
                tp = tp_cum[:, a, s:e] - (tp_cum[:, a, s - 1 : s] if s else 0)
                fp = fp_cum[:, a, s:e] - (fp_cum[:, a, s - 1 : s] if s else 0)
                tp, fp = tp.astype(float), fp.astype(float)
                rc = tp / npig
                pr = tp / (fp + tp + eps)
                recall[:, k, a, mi] = rc[:, -1] if nd else 0
                if nd == 0:
                    precision[:, :, k, a, mi] = 0
                    scores[:, :, k, a, mi] = 0
                    continue
                pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]  # non-increasing from the right
                for t in range(T):
                    idx = np.searchsorted(rc[t], rec_thr, side="left")
                    inside = idx < nd
                    q = np.zeros(R)
                    ss = np.zeros(R)
                    q[inside] = pr[t, idx[inside]]
                    ss[inside] = k_scores[idx[inside]]
                    precision[t, :, k, a, mi] = q
                    scores[t, :, k, a, mi] = ss
    return precision, recall, scores


def _summarize(res: CocoEvaluation, ap: bool, iou: float | None, area: str, max_det: int) -> float:
    """pycocotools' ``summarize._summarize``: the mean of the entries > -1, else -1."""
    a_idx = [i for i, label in enumerate(res.area_ranges) if label == area]
    m_idx = [i for i, m in enumerate(res.max_dets) if m == max_det]
    s = res.precision if ap else res.recall
    if iou is not None:
        s = s[np.where(iou == res.iou_thresholds)[0]]
    s = s[..., a_idx, :][..., m_idx]
    return float(np.mean(s[s > -1])) if np.any(s > -1) else -1.0
