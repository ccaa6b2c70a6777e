"""Panoptic quality (Kirillov et al. 2019), PQ = SQ x RQ, with the COCO panoptic evaluation rules.

The rules are those of the official ``panopticapi/evaluation.py`` (``pq_compute_single_core``
and ``PQStat.pq_average``), image by image:

* id 0 of a map is VOID (no segment). Ground-truth pixels whose id is not in the
  ground-truth segments are skipped too, but, as in the official code, only id 0 counts
  as VOID in the rules below.
* A prediction and a ground-truth segment of the same category match when their IoU is
  above 0.5, where the union leaves out the prediction's pixels on VOID:
  ``IoU = |P & G| / (|P| + |G| - |P & G| - |P & VOID|)``. Crowd ground-truth segments never
  match. IoU > 0.5 makes every match unique.
* Unmatched non-crowd ground-truth segments are false negatives.
* An unmatched prediction is a false positive unless more than half of its pixels lie on
  VOID plus the crowd region of its own category (the last crowd segment of that
  category in the segment list, as the official code keeps); then it is ignored.
* Per category: ``PQ = sum IoU / (TP + FP/2 + FN/2)``, ``SQ = sum IoU / TP`` (0 when
  TP = 0), ``RQ = TP / (TP + FP/2 + FN/2)``. A category with no TP, FP or FN is left out
  of the averages (its per-class scores are 0, as in the official code); PQ, SQ and RQ
  of "all", "things" and "stuff" are the plain means over the remaining categories
  (NaN when none remain; the official code divides by zero there).

One difference in the reading of the inputs: the ground-truth segment areas are the
pixel counts in the map, where the official code takes the ``area`` field of the JSON
(the same number in any valid COCO panoptic file).

The state is small: per category TP, FP, FN (int64) and the exact sum of the matched IoUs
(:mod:`._exact`), so :class:`PanopticQuality` merges across batches and processes and
gives the same numbers as one pass over all images.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..structures import rgb_to_id
from ._exact import exact_sums, to_float
from ._streaming import Metric
from ._validation import ArrayLike, as_numpy, to_int_labels

__all__ = [
    "PQScores",
    "PanopticQuality",
    "PanopticQualityResult",
    "panoptic_quality",
    "panoptic_quality_of_files",
]

VOID = 0


@dataclass(frozen=True)
class PQScores:
    """PQ, SQ and RQ of one category or one group of categories.

    Attributes:
        pq, sq, rq: the scores, in [0, 1] (NaN for a group without any counted category).
        n: categories averaged (1 or 0 for a single category: 0 when it had no TP, FP or FN).
        tp, fp, fn: matched, false-positive and false-negative segments (summed over the group).
    """

    pq: float
    sq: float
    rq: float
    n: int
    tp: int
    fp: int
    fn: int


@dataclass(frozen=True)
class PanopticQualityResult:
    """The result of :func:`panoptic_quality` / :meth:`PanopticQuality.compute`.

    Attributes:
        all, things, stuff: :class:`PQScores` averaged over all / thing / stuff categories.
        per_class: category id -> :class:`PQScores` of that category, in category order.
    """

    all: PQScores
    things: PQScores
    stuff: PQScores
    per_class: dict[int, PQScores]

    def format(self, names: Mapping[int, str] | None = None, *, per_class: bool = True) -> str:
        """A readable table in percent, the official layout (PQ SQ RQ N), then one row per class."""
        lines = [f"{'':10s}| {'PQ':>5s}  {'SQ':>5s}  {'RQ':>5s} {'N':>5s}", "-" * 38]
        for label, s in (("All", self.all), ("Things", self.things), ("Stuff", self.stuff)):
            lines.append(f"{label:10s}| {100 * s.pq:5.1f}  {100 * s.sq:5.1f}  {100 * s.rq:5.1f} {s.n:5d}")
        if per_class:
            width = max([len("category")] + [len(str((names or {}).get(c, c))) for c in self.per_class])
            lines += [
                "",
                f"{'category':{width}s} | {'PQ':>5s}  {'SQ':>5s}  {'RQ':>5s} {'TP':>5s} {'FP':>5s} {'FN':>5s}",
            ]
            for c, s in self.per_class.items():
                name = str((names or {}).get(c, c))
                lines.append(
                    f"{name:{width}s} | {100 * s.pq:5.1f}  {100 * s.sq:5.1f}  {100 * s.rq:5.1f} "
                    f"{s.tp:5d} {s.fp:5d} {s.fn:5d}"
                )
        return "\n".join(lines)


def _categories(categories: Any) -> tuple[np.ndarray, np.ndarray]:
    """(ids, isthing) from COCO category dicts (``id``, ``isthing``) or a mapping id -> isthing."""
    if isinstance(categories, Mapping):
        items = [(k, v) for k, v in categories.items()]
    else:
        items = []
        for i, c in enumerate(categories):
            if not isinstance(c, Mapping) or "id" not in c or "isthing" not in c:
                raise ValueError(f"categories[{i}]: expected a dict with 'id' and 'isthing', got {c!r:.80}")
            items.append((c["id"], c["isthing"]))
    if not items:
        raise ValueError("categories is empty: panoptic quality needs the category list")
    ids = np.array([int(k) for k, _ in items], dtype=np.int64)
    if len(np.unique(ids)) != len(ids):
        raise ValueError("categories: category ids must be unique")
    return ids, np.array([bool(v) for _, v in items])


def _segments(segments: Any, name: str, with_crowd: bool) -> dict[int, tuple[int, bool]]:
    """segment id -> (category id, iscrowd) from ``segments_info`` dicts or objects with those attributes."""
    out: dict[int, tuple[int, bool]] = {}
    for i, s in enumerate(segments):
        get = s.get if isinstance(s, Mapping) else (lambda k, d=None, s=s: getattr(s, k, d))
        sid, cat = get("id"), get("category_id")
        if sid is None or cat is None:
            raise ValueError(f"{name}[{i}]: a segment needs 'id' and 'category_id', got {s!r:.80}")
        sid = int(sid)
        if sid == VOID:
            raise ValueError(f"{name}[{i}]: segment id {VOID} is reserved for VOID (no segment)")
        if sid in out:
            raise ValueError(f"{name}[{i}]: segment id {sid} appears twice")
        out[sid] = (int(cat), bool(get("iscrowd", False)) if with_crowd else False)
    return out


def _id_map(x: ArrayLike, name: str) -> np.ndarray:
    a = as_numpy(x, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must be an (H, W) map of segment ids, got shape {a.shape}")
    a = to_int_labels(a, name)
    if a.size and a.min() < 0:
        raise ValueError(f"{name} holds the negative segment id {int(a.min())}")
    return a


def _image_counts(
    true_ids: ArrayLike, pred_ids: ArrayLike, true_segments: Any, pred_segments: Any, cat_index: dict[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """TP, FP, FN per category (K,) int64 and the matched IoUs with their category indices, for one image."""
    t = _id_map(true_ids, "true_ids")
    p = _id_map(pred_ids, "pred_ids")
    if t.shape != p.shape:
        raise ValueError(f"true_ids {t.shape} and pred_ids {p.shape} differ in shape")
    gt = _segments(true_segments, "true_segments", with_crowd=True)
    pr = _segments(pred_segments, "pred_segments", with_crowd=False)
    for name, segs in (("true_segments", gt), ("pred_segments", pr)):
        for sid, (cat, _) in segs.items():
            if cat not in cat_index:
                raise ValueError(f"{name}: segment {sid} has category_id {cat}, which is not in categories")
    t, p = t.ravel(), p.ravel()

    # predicted areas and the sanity checks of the official code
    p_ids, p_area = np.unique(p, return_counts=True)
    pred_area = {}
    for sid, area in zip(p_ids.tolist(), p_area.tolist()):
        if sid not in pr:
            if sid == VOID:
                continue
            raise ValueError(f"pred_ids holds segment id {sid}, which is not in pred_segments")
        pred_area[sid] = area
    missing = sorted(set(pr) - set(pred_area))
    if missing:
        raise ValueError(f"pred_segments lists segment ids {missing} that do not occur in pred_ids")
    t_ids, t_area = np.unique(t, return_counts=True)
    true_area = dict(zip(t_ids.tolist(), t_area.tolist()))

    # pixel counts of every (true id, predicted id) pair
    base = int(p.max()) + 1 if p.size else 1
    pairs, counts = np.unique(t * base + p, return_counts=True)
    inter = {(g, q): c for g, q, c in zip((pairs // base).tolist(), (pairs % base).tolist(), counts.tolist())}

    k = len(cat_index)
    tp, fp, fn = (np.zeros(k, dtype=np.int64) for _ in range(3))
    ious, iou_cats = [], []
    gt_matched, pred_matched = set(), set()
    for (g, q), n in inter.items():
        if g not in gt or q not in pr or gt[g][1] or gt[g][0] != pr[q][0]:
            continue
        union = pred_area[q] + true_area.get(g, 0) - n - inter.get((VOID, q), 0)
        iou = n / union
        if iou > 0.5:
            c = cat_index[gt[g][0]]
            tp[c] += 1
            ious.append(iou)
            iou_cats.append(c)
            gt_matched.add(g)
            pred_matched.add(q)
    crowd_of_category = {}
    for g, (cat, crowd) in gt.items():
        if g in gt_matched:
            continue
        if crowd:
            crowd_of_category[cat] = g
            continue
        fn[cat_index[cat]] += 1
    for q, (cat, _) in pr.items():
        if q in pred_matched:
            continue
        ignored = inter.get((VOID, q), 0)
        if cat in crowd_of_category:
            ignored += inter.get((crowd_of_category[cat], q), 0)
        if ignored / pred_area[q] > 0.5:
            continue
        fp[cat_index[cat]] += 1
    return tp, fp, fn, np.array(ious, dtype=np.float64), np.array(iou_cats, dtype=np.int64)


def _scores(iou: np.ndarray, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-category PQ, SQ, RQ (0 where TP + FP + FN = 0, as the official code) and the counted mask."""
    tp_f = tp.astype(np.float64)
    denom = tp_f + 0.5 * fp + 0.5 * fn
    counted = (tp + fp + fn) > 0
    pq = np.divide(iou, denom, out=np.zeros_like(iou), where=counted)
    rq = np.divide(tp_f, denom, out=np.zeros_like(iou), where=counted)
    sq = np.divide(iou, tp_f, out=np.zeros_like(iou), where=tp > 0)
    return pq, sq, rq, counted


def _result(
    ids: np.ndarray, isthing: np.ndarray, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, iou: np.ndarray
) -> PanopticQualityResult:
    pq, sq, rq, counted = _scores(iou, tp, fp, fn)

    def group(mask: np.ndarray) -> PQScores:
        m = mask & counted
        n = int(m.sum())
        mean = (lambda v: float(v[m].mean())) if n else (lambda v: float("nan"))
        return PQScores(
            pq=mean(pq),
            sq=mean(sq),
            rq=mean(rq),
            n=n,
            tp=int(tp[mask].sum()),
            fp=int(fp[mask].sum()),
            fn=int(fn[mask].sum()),
        )

    per_class = {
        int(c): PQScores(
            pq=float(pq[i]),
            sq=float(sq[i]),
            rq=float(rq[i]),
            n=int(counted[i]),
            tp=int(tp[i]),
            fp=int(fp[i]),
            fn=int(fn[i]),
        )
        for i, c in enumerate(ids)
    }
    everything = np.ones(len(ids), bool)
    return PanopticQualityResult(
        all=group(everything), things=group(isthing), stuff=group(~isthing), per_class=per_class
    )


class PanopticQuality(Metric):
    """Streaming panoptic quality: per category TP, FP, FN and the exact sum of matched IoUs.

    Args:
        categories: COCO panoptic categories (dicts with ``id`` and ``isthing``), or a
            mapping category id -> isthing. Their order is the order of ``per_class``.

    ``update(pred_ids, pred_segments, true_ids, true_segments)`` adds one image, the prediction
    first as in every streaming metric (``update(preds, target)``):
    (H, W) segment-id maps (0 is VOID; e.g. :func:`vistakit.structures.rgb_to_id` of the
    PNGs) and their ``segments_info`` (dicts, or objects such as
    :class:`vistakit.structures.PanopticSegment`, with ``id``, ``category_id`` and, for
    the ground truth, ``iscrowd``). ``compute()`` returns a :class:`PanopticQualityResult`
    (see the module notes for the rules).

    Raises (from ``update``):
        ValueError: maps of different shapes, a predicted id without a segment or a segment
            without pixels, an unknown category, a repeated or zero segment id.
    """

    _states = {"tp": "count", "fp": "count", "fn": "count", "iou": "exact"}

    def __init__(self, categories: Any) -> None:
        self.category_ids, self.isthing = _categories(categories)
        self._index = {int(c): i for i, c in enumerate(self.category_ids)}
        super().__init__()

    def _config(self) -> tuple:
        return (tuple(self.category_ids.tolist()), tuple(self.isthing.tolist()))

    def reset(self) -> None:
        k = len(self.category_ids)
        self.tp = np.zeros(k, dtype=np.int64)
        self.fp = np.zeros(k, dtype=np.int64)
        self.fn = np.zeros(k, dtype=np.int64)
        self.iou = [0] * k
        self._reset_sync_flag()

    def update(self, pred_ids: ArrayLike, pred_segments: Any, true_ids: ArrayLike, true_segments: Any) -> None:
        tp, fp, fn, ious, cats = _image_counts(true_ids, pred_ids, true_segments, pred_segments, self._index)
        self.tp += tp
        self.fp += fp
        self.fn += fn
        self.iou = [a + b for a, b in zip(self.iou, exact_sums(ious, cats, len(self.category_ids)))]

    def compute(self) -> PanopticQualityResult:
        if not (self.tp.any() or self.fp.any() or self.fn.any()):
            raise ValueError("PanopticQuality.compute(): no segments counted yet; call update() first")
        iou = np.array([to_float(s) for s in self.iou])
        return _result(self.category_ids, self.isthing, self.tp, self.fp, self.fn, iou)


def panoptic_quality(
    true_ids: Sequence[ArrayLike],
    pred_ids: Sequence[ArrayLike],
    true_segments: Sequence[Any],
    pred_segments: Sequence[Any],
    *,
    categories: Any,
) -> PanopticQualityResult:
    """Panoptic quality (PQ, SQ, RQ) over images, overall, for things, for stuff and per class.

    Args:
        true_ids: one (H, W) ground-truth segment-id map per image (an (N, H, W) array works too).
        pred_ids: the predicted maps, same sizes, same order.
        true_segments: per image, the ground-truth ``segments_info``: dicts (or objects)
            with ``id``, ``category_id`` and ``iscrowd``.
        pred_segments: per image, the predicted ``segments_info`` (``id``, ``category_id``).
        categories: COCO categories (dicts with ``id`` and ``isthing``) or a mapping id -> isthing.

    Returns:
        :class:`PanopticQualityResult`; the rules are the official COCO ones (module notes).

    Raises:
        ValueError: the four sequences differ in length, or as :class:`PanopticQuality`.
    """
    n = len(true_ids)
    for name, seq in (("pred_ids", pred_ids), ("true_segments", true_segments), ("pred_segments", pred_segments)):
        if len(seq) != n:
            raise ValueError(f"true_ids has {n} images but {name} has {len(seq)}")
    metric = PanopticQuality(categories)
    for i in range(n):
        try:
            metric.update(pred_ids[i], pred_segments[i], true_ids[i], true_segments[i])
        except ValueError as e:
            raise ValueError(f"image {i}: {e}") from None
    return metric.compute()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None


def _read_ids(path: Path) -> np.ndarray:
    from PIL import Image

    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such panoptic PNG")
    with Image.open(path) as im:
        return rgb_to_id(np.array(im.convert("RGB")))


def panoptic_quality_of_files(
    gt_json: str | Path,
    pred_json: str | Path,
    *,
    gt_folder: str | Path | None = None,
    pred_folder: str | Path | None = None,
) -> tuple[PanopticQualityResult, dict[int, str]]:
    """:func:`panoptic_quality` of COCO panoptic files, as the official ``pq_compute`` reads them.

    Args:
        gt_json: COCO panoptic ground truth: ``categories`` (``id``, ``name``, ``isthing``)
            and ``annotations`` (``image_id``, ``file_name``, ``segments_info``).
        pred_json: predictions in the same format (its ``annotations``; its categories are not used).
        gt_folder, pred_folder: the folders of the PNGs; by default the JSON path without
            ``.json``, as the official script.

    Returns:
        (the result, category id -> name).

    Raises:
        ValueError: a ground-truth image without a prediction, malformed JSON or segments
            (naming the file and image).
    """
    gt_json, pred_json = Path(gt_json), Path(pred_json)
    gt_folder = Path(gt_folder) if gt_folder is not None else gt_json.with_suffix("")
    pred_folder = Path(pred_folder) if pred_folder is not None else pred_json.with_suffix("")
    gt, pred = _read_json(gt_json), _read_json(pred_json)
    for path, data in ((gt_json, gt), (pred_json, pred)):
        if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
            raise ValueError(f"{path}: expected a COCO panoptic JSON object with an 'annotations' list")
    if not isinstance(gt.get("categories"), list):
        raise ValueError(f"{gt_json}: expected a 'categories' list")
    for name, folder in (("ground-truth", gt_folder), ("prediction", pred_folder)):
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: the {name} PNG folder does not exist")
    metric = PanopticQuality(gt["categories"])
    names = {int(c["id"]): str(c.get("name", c["id"])) for c in gt["categories"]}
    by_image = {a.get("image_id"): a for a in pred["annotations"]}
    for gt_ann in gt["annotations"]:
        image_id = gt_ann.get("image_id")
        if image_id not in by_image:
            raise ValueError(f"{pred_json}: no prediction for the image with id {image_id!r}")
        pred_ann = by_image[image_id]
        try:
            metric.update(
                _read_ids(pred_folder / pred_ann["file_name"]),
                pred_ann["segments_info"],
                _read_ids(gt_folder / gt_ann["file_name"]),
                gt_ann["segments_info"],
            )
        except (KeyError, ValueError) as e:
            raise ValueError(f"image {image_id!r} ({pred_json}, {gt_json}): {e}") from None
    return metric.compute(), names
