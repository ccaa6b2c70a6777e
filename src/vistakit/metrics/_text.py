"""Scene text: the ICDAR 2015 (Challenge 4, incidental text) detection protocol and word accuracy.

Detection, image by image, as the official Robust Reading script for Task 4.1:

* ground-truth regions transcribed ``###`` are "don't care": they are never matched
  and count for nothing;
* a detection that covers a don't-care region, i.e. whose intersection with one
  don't-care region is more than ``dont_care_threshold`` (0.5) of the detection's own
  area, is dropped as well;
* the remaining ground truth (in file order) and detections (in file order) are matched
  one to one, greedily: each ground-truth region takes the first unmatched detection
  whose polygon IoU is above ``iou_threshold`` (0.5);
* over the data set: recall = matched / care ground truth, precision = matched / care
  detections, h-mean their harmonic mean (each 0 when its denominator is 0, as the
  official script).

Polygon areas and intersections are exact (no rasterising): the intersection of two
simple polygons clips one against the convex pieces (ear clipping) of the other with the
Sutherland-Hodgman algorithm. Polygons may be given in either orientation; a
self-intersecting polygon is an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "TextDetectionResult",
    "polygon_iou",
    "read_icdar2015",
    "read_icdar2015_folders",
    "text_detection_scores",
    "word_accuracy",
]

DONT_CARE = "###"


def _polygon(points: Any, name: str) -> np.ndarray:
    """(n, 2) float64 counter-clockwise vertices of a simple polygon, from (n, 2) or flat (2n,) coordinates."""
    try:
        a = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected polygon coordinates, got {points!r:.80}") from None
    if a.ndim == 1 and a.size % 2 == 0:
        a = a.reshape(-1, 2)
    if a.ndim != 2 or a.shape[1] != 2 or a.shape[0] < 3:
        raise ValueError(
            f"{name}: expected (n, 2) polygon vertices (n >= 3) or 2n coordinates, got shape {np.shape(points)}"
        )
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: the polygon has a non-finite coordinate")
    if not _is_simple(a):
        raise ValueError(f"{name}: the polygon {a.tolist()} intersects itself")
    return a[::-1].copy() if _signed_area(a) < 0 else a


def _signed_area(p: np.ndarray) -> float:
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def _is_simple(p: np.ndarray) -> bool:
    """No two non-adjacent edges cross (touching at a point is allowed)."""
    n = len(p)
    for i in range(n):
        a, b = p[i], p[(i + 1) % n]
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue  # adjacent through the closing edge
            c, d = p[j], p[(j + 1) % n]
            d1, d2 = _cross(a, b, c), _cross(a, b, d)
            d3, d4 = _cross(c, d, a), _cross(c, d, b)
            if d1 * d2 < 0 and d3 * d4 < 0:
                return False
    return True


def _convex_pieces(p: np.ndarray) -> list[np.ndarray]:
    """The polygon itself when convex, else its triangles by ear clipping (counter-clockwise input)."""
    n = len(p)
    if all(_cross(p[i - 1], p[i], p[(i + 1) % n]) >= 0 for i in range(n)):
        return [p]
    idx = list(range(n))
    triangles = []
    while len(idx) > 3:
        for k in range(len(idx)):
            i0, i1, i2 = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            a, b, c = p[i0], p[i1], p[i2]
            turn = _cross(a, b, c)
            if turn < 0:
                continue  # reflex vertex
            if turn > 0 and any(
                _cross(a, b, p[j]) >= 0 and _cross(b, c, p[j]) >= 0 and _cross(c, a, p[j]) >= 0
                for j in idx
                if j not in (i0, i1, i2)
            ):
                continue  # another vertex inside the ear
            if turn > 0:
                triangles.append(np.array([a, b, c]))
            del idx[k]  # a collinear vertex is dropped without a triangle
            break
        else:  # numerically degenerate remainder: no ear found
            break
    if len(idx) == 3:
        triangles.append(p[idx])
    return triangles


def _clip(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: ``subject`` (any simple polygon) clipped by the convex counter-clockwise ``clip``."""
    out = list(subject)
    m = len(clip)
    for i in range(m):
        a, b = clip[i], clip[(i + 1) % m]
        if not out:
            break
        inp, out = out, []
        for j in range(len(inp)):
            cur, prev = inp[j], inp[j - 1]
            s_cur, s_prev = _cross(a, b, cur), _cross(a, b, prev)
            c_in = s_cur >= 0
            if c_in != (s_prev >= 0):  # the edge crosses the clip line: add the crossing point
                t = s_prev / (s_prev - s_cur)
                out.append(np.asarray(prev) + t * (np.asarray(cur) - np.asarray(prev)))
            if c_in:
                out.append(cur)
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def _intersection_area(a: np.ndarray, b: np.ndarray) -> float:
    total = 0.0
    for piece in _convex_pieces(b):
        clipped = _clip(a, piece)
        if len(clipped) >= 3:
            total += abs(_signed_area(clipped))
    return total


def polygon_iou(a: Any, b: Any) -> float:
    """Intersection over union of two simple polygons ((n, 2) vertices or flat coordinates, any orientation).

    Returns 0 when the union has no area (both polygons degenerate).
    """
    pa, pb = _polygon(a, "a"), _polygon(b, "b")
    inter = _intersection_area(pa, pb)
    union = abs(_signed_area(pa)) + abs(_signed_area(pb)) - inter
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class TextDetectionResult:
    """The scores of :func:`text_detection_scores`.

    Attributes:
        precision, recall, hmean: over the whole data set.
        matched: matched detections; ``num_gt`` / ``num_det``: care ground-truth regions and
            care detections (don't-care ones and detections on them left out).
        per_image: one ``(precision, recall, hmean)`` per image, the official per-sample
            values (recall 1 for an image without care ground truth; precision then 1 if it
            has no care detection, else 0).
    """

    precision: float
    recall: float
    hmean: float
    matched: int
    num_gt: int
    num_det: int
    per_image: tuple[tuple[float, float, float], ...]

    def format(self) -> str:
        """A small readable table."""
        return "\n".join(
            [
                f"{'images':>10s} {'gt':>7s} {'det':>7s} {'matched':>8s} {'precision':>10s} {'recall':>8s} "
                f"{'h-mean':>8s}",
                f"{len(self.per_image):10d} {self.num_gt:7d} {self.num_det:7d} {self.matched:8d} "
                f"{self.precision:10.4f} {self.recall:8.4f} {self.hmean:8.4f}",
            ]
        )


def _hmean(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2.0 * p * r / (p + r)


def _region(item: Any, name: str, dont_care: str) -> tuple[np.ndarray, bool]:
    """(polygon, is don't care) from ``(points, text)``, a dict with ``points``, an object with
    ``points`` (such as :class:`vistakit.structures.TextInstance`), or bare points."""
    if isinstance(item, dict):
        if "points" not in item:
            raise ValueError(f"{name}: a region dict needs 'points', got keys {sorted(item)}")
        text = item.get("transcription", item.get("text"))
        return _polygon(item["points"], name), text == dont_care or bool(item.get("dont_care", False))
    if hasattr(item, "points"):
        text = getattr(item, "transcription", None)
        return _polygon(item.points, name), text == dont_care or bool(getattr(item, "dont_care", False))
    if isinstance(item, (tuple, list)) and len(item) == 2 and (isinstance(item[1], str) or item[1] is None):
        return _polygon(item[0], name), item[1] == dont_care
    return _polygon(item, name), False


def _image_counts(
    gt: Sequence[Any], pred: Sequence[Any], image: int, iou_threshold: float, dont_care_threshold: float, dont_care: str
) -> tuple[int, int, int]:
    """(matched, care gt, care detections) of one image."""
    gts = [_region(g, f"gt image {image}, region {i}", dont_care) for i, g in enumerate(gt)]
    dets = [_region(d, f"pred image {image}, region {i}", dont_care)[0] for i, d in enumerate(pred)]
    gt_polys = [p for p, _ in gts]
    gt_ignored = [ign for _, ign in gts]
    det_ignored = []
    for d in dets:
        area = abs(_signed_area(d))
        det_ignored.append(
            any(
                area > 0 and _intersection_area(d, g) / area > dont_care_threshold
                for g, ign in zip(gt_polys, gt_ignored)
                if ign
            )
        )
    det_taken = [False] * len(dets)
    matched = 0
    for g, ign in zip(gt_polys, gt_ignored):
        if ign:
            continue
        g_area = abs(_signed_area(g))
        for j, d in enumerate(dets):
            if det_taken[j] or det_ignored[j]:
                continue
            inter = _intersection_area(d, g)
            union = g_area + abs(_signed_area(d)) - inter
            if union > 0 and inter / union > iou_threshold:
                det_taken[j] = True
                matched += 1
                break
    return matched, len(gts) - sum(gt_ignored), len(dets) - sum(det_ignored)


def text_detection_scores(
    gt: Sequence[Sequence[Any]],
    pred: Sequence[Sequence[Any]],
    *,
    iou_threshold: float = 0.5,
    dont_care_threshold: float = 0.5,
    dont_care: str = DONT_CARE,
) -> TextDetectionResult:
    """Precision, recall and h-mean of text detection with the ICDAR 2015 protocol (module notes).

    Args:
        gt: per image, the ground-truth regions: ``(points, transcription)`` pairs, dicts
            with ``points`` and ``transcription``, or :class:`vistakit.structures.TextInstance`;
            points are (4, 2) quadrilateral vertices, 8 flat coordinates, or any simple
            polygon. Transcription ``dont_care`` (or a true ``dont_care`` field) marks a
            don't-care region.
        pred: per image, the detected regions: points (or ``(points, transcription)`` pairs,
            whose text is not used here).
        iou_threshold: a match needs a polygon IoU above this.
        dont_care_threshold: a detection is dropped when more than this fraction of its
            area lies in one don't-care region.
        dont_care: the transcription of don't-care regions.

    Returns:
        :class:`TextDetectionResult`.

    Raises:
        ValueError: ``gt`` and ``pred`` hold different numbers of images, or a polygon is
            malformed (fewer than 3 vertices, non-finite, self-intersecting); the message
            names the image and the region.
    """
    if len(gt) != len(pred):
        raise ValueError(f"gt has {len(gt)} images but pred has {len(pred)}: they must describe the same images")
    for name, v in (("iou_threshold", iou_threshold), ("dont_care_threshold", dont_care_threshold)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must lie in [0, 1], got {v}")
    matched = num_gt = num_det = 0
    per_image = []
    for i, (g, p) in enumerate(zip(gt, pred)):
        m, ng, nd = _image_counts(g, p, i, iou_threshold, dont_care_threshold, dont_care)
        if ng == 0:
            rec, prec = 1.0, (0.0 if nd > 0 else 1.0)
        else:
            rec, prec = m / ng, (0.0 if nd == 0 else m / nd)
        per_image.append((prec, rec, _hmean(prec, rec)))
        matched, num_gt, num_det = matched + m, num_gt + ng, num_det + nd
    recall = 0.0 if num_gt == 0 else matched / num_gt
    precision = 0.0 if num_det == 0 else matched / num_det
    return TextDetectionResult(
        precision=precision,
        recall=recall,
        hmean=_hmean(precision, recall),
        matched=matched,
        num_gt=num_gt,
        num_det=num_det,
        per_image=tuple(per_image),
    )


def word_accuracy(y_true: Sequence[str], y_pred: Sequence[str], *, case_sensitive: bool = True) -> float:
    """Fraction of words recognised exactly (``case_sensitive=False``: equal after case folding).

    No other normalisation is applied (no punctuation or whitespace stripping).

    Raises:
        ValueError: the lists differ in length, are empty, or hold something other than strings.
    """
    t, p = list(y_true), list(y_pred)
    if len(t) != len(p):
        raise ValueError(f"y_true has {len(t)} words but y_pred has {len(p)}: they must describe the same words")
    if not t:
        raise ValueError("y_true is empty: word accuracy needs at least one word")
    for name, words in (("y_true", t), ("y_pred", p)):
        for i, w in enumerate(words):
            if not isinstance(w, str):
                raise ValueError(f"{name}[{i}] must be a string, got {w!r:.40}")
    if not case_sensitive:
        t, p = [w.casefold() for w in t], [w.casefold() for w in p]
    return sum(a == b for a, b in zip(t, p)) / len(t)


_NUMBER = r"\s*-?\d+(?:\.\d*)?\s*"
_LINE = re.compile(rf"^({_NUMBER}(?:,{_NUMBER}){{7}})(?:,(.*))?$")


def read_icdar2015(path: str | Path) -> list[tuple[np.ndarray, str | None]]:
    """Regions of one ICDAR 2015 text file: ``x1,y1,...,x4,y4[,transcription]`` per line.

    Ground-truth files carry the transcription (``###`` for don't care; it may contain
    commas); result files carry only the 8 coordinates (anything after them, such as a
    confidence, is returned as the text). A UTF-8 byte-order mark and blank lines are skipped.

    Returns:
        ``(points (4, 2) float64, text or None)`` per line.

    Raises:
        ValueError: a line that does not start with 8 numbers, naming the file and line.
    """
    path = Path(path)
    regions = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        m = _LINE.match(line.rstrip("\r"))
        if m is None:
            raise ValueError(f"{path}, line {n}: expected x1,y1,x2,y2,x3,y3,x4,y4[,text], got {line!r:.80}")
        coords = np.array([float(v) for v in m.group(1).split(",")]).reshape(4, 2)
        regions.append((coords, m.group(2)))
    return regions


def _image_key(path: Path, prefix: str) -> str:
    stem = path.stem
    return stem.removeprefix(prefix)


def read_icdar2015_folders(gt_dir: str | Path, pred_dir: str | Path) -> tuple[list[str], list, list]:
    """Ground truth and results of ICDAR 2015 folders of ``.txt`` files, paired by image.

    ``gt_img_12.txt`` pairs with ``res_img_12.txt`` (the ``gt_`` and ``res_`` prefixes are
    dropped; files without them pair by the same name). An image without a result file has
    no detections, as in the official script; a result file without ground truth is an error.

    Returns:
        (image names, ground-truth regions per image, detected regions per image), ready
        for :func:`text_detection_scores`.
    """
    gt_dir, pred_dir = Path(gt_dir), Path(pred_dir)
    for name, root in (("ground truth", gt_dir), ("result", pred_dir)):
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: the {name} folder does not exist")
    gt_files = {_image_key(p, "gt_"): p for p in sorted(gt_dir.glob("*.txt"))}
    pred_files = {_image_key(p, "res_"): p for p in sorted(pred_dir.glob("*.txt"))}
    if not gt_files:
        raise FileNotFoundError(f"{gt_dir}: no .txt ground-truth files")
    extra = sorted(set(pred_files) - set(gt_files))
    if extra:
        raise ValueError(
            f"{pred_dir}: result files without ground truth in {gt_dir}: {[pred_files[k].name for k in extra[:5]]}"
        )
    names = sorted(gt_files)
    gt = [read_icdar2015(gt_files[k]) for k in names]
    pred = [[points for points, _ in read_icdar2015(pred_files[k])] if k in pred_files else [] for k in names]
    return names, gt, pred
