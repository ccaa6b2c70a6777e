"""MS COCO: the five annotation files of the data set, read and written exactly.

Every COCO annotation file is one JSON object with ``images`` (``id``, ``file_name``,
``width``, ``height`` and the Flickr / licence fields), ``categories`` (``id``, ``name``,
``supercategory``) and ``annotations``, whose records depend on the file:

* ``instances_SPLIT.json`` (detection and instance segmentation): ``bbox`` ``[x, y, w, h]``
  in pixels, ``segmentation`` as polygons ``[[x1, y1, x2, y2, ...], ...]`` or, for crowd
  regions (``iscrowd`` 1), an uncompressed RLE ``{"size": [h, w], "counts": [...]}``, ``area``.
* ``person_keypoints_SPLIT.json``: the same, plus ``keypoints`` (17 x, y, v triplets) and
  ``num_keypoints``; the category names its keypoints and the ``skeleton`` (1-based pairs).
* ``stuff_SPLIT.json``: one compressed RLE (``counts`` a string) per image and stuff category.
* ``panoptic_SPLIT.json``: per image a PNG (``file_name`` in ``panoptic_SPLIT/``) whose
  colours encode segment ids (``R + 256 G + 256^2 B``) and ``segments_info``;
  categories carry ``isthing`` and ``color``.
* ``captions_SPLIT.json``: ``{"id", "image_id", "caption"}`` records.

:class:`CocoFormat` (registered as ``"coco"``) reads them into an :class:`AnnotationSet`
and writes one back in the type it was read from: boxes exact to the float, polygons as
polygons, RLE compressed or not as the source had it, areas as stored. Records are parsed
column by column with numpy (boxes, ids, keypoints, RLE strings decoded all at once), so a
file of 100,000 annotations reads and writes in seconds. Every error names the file, the
record and the field: ``instances_val2017.json: annotations[12].bbox: ...``.

The data set ``coco`` (``load_dataset("coco", split="val2017", root=..., task=...)``) reads
the standard layout ``ROOT/annotations/{instances,person_keypoints,stuff,panoptic,captions}_SPLIT.json``,
``ROOT/SPLIT/*.jpg`` and ``ROOT/annotations/panoptic_SPLIT/*.png``.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .._files import atomic_open, atomic_write
from ..structures import (
    RLE,
    Boxes,
    Caption,
    Keypoints,
    PanopticSegment,
    Polygons,
    Sample,
    rgb_to_id,
    rle_counts_from_strings,
    rle_counts_to_strings,
)
from ._annotations import (
    AnnotatedImage,
    AnnotationDataset,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    register_format,
)
from ._base import Transform
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, extract_archive, fetch_files, search_dirs

__all__ = [
    "COCO",
    "COCO_KEYPOINT_NAMES",
    "COCO_SKELETON",
    "COCO_THING_CATEGORIES",
    "CocoDataset",
    "CocoFormat",
    "load_coco",
]

#: The 17 keypoints of COCO's person category, in the order of ``keypoints``.
COCO_KEYPOINT_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
#: The person skeleton: limbs as 1-based keypoint index pairs (as in person_keypoints_*.json).
COCO_SKELETON: tuple[tuple[int, int], ...] = (
    (16, 14),
    (14, 12),
    (17, 15),
    (15, 13),
    (12, 13),
    (6, 12),
    (7, 13),
    (6, 7),
    (6, 8),
    (7, 9),
    (8, 10),
    (9, 11),
    (2, 3),
    (1, 2),
    (1, 3),
    (2, 4),
    (3, 5),
    (4, 6),
    (5, 7),
)

_THINGS = {
    "person": [(1, "person")],
    "vehicle": [
        (2, "bicycle"),
        (3, "car"),
        (4, "motorcycle"),
        (5, "airplane"),
        (6, "bus"),
        (7, "train"),
        (8, "truck"),
        (9, "boat"),
    ],
    "outdoor": [(10, "traffic light"), (11, "fire hydrant"), (13, "stop sign"), (14, "parking meter"), (15, "bench")],
    "animal": [
        (16, "bird"),
        (17, "cat"),
        (18, "dog"),
        (19, "horse"),
        (20, "sheep"),
        (21, "cow"),
        (22, "elephant"),
        (23, "bear"),
        (24, "zebra"),
        (25, "giraffe"),
    ],
    "accessory": [(27, "backpack"), (28, "umbrella"), (31, "handbag"), (32, "tie"), (33, "suitcase")],
    "sports": [
        (34, "frisbee"),
        (35, "skis"),
        (36, "snowboard"),
        (37, "sports ball"),
        (38, "kite"),
        (39, "baseball bat"),
        (40, "baseball glove"),
        (41, "skateboard"),
        (42, "surfboard"),
        (43, "tennis racket"),
    ],
    "kitchen": [
        (44, "bottle"),
        (46, "wine glass"),
        (47, "cup"),
        (48, "fork"),
        (49, "knife"),
        (50, "spoon"),
        (51, "bowl"),
    ],
    "food": [
        (52, "banana"),
        (53, "apple"),
        (54, "sandwich"),
        (55, "orange"),
        (56, "broccoli"),
        (57, "carrot"),
        (58, "hot dog"),
        (59, "pizza"),
        (60, "donut"),
        (61, "cake"),
    ],
    "furniture": [
        (62, "chair"),
        (63, "couch"),
        (64, "potted plant"),
        (65, "bed"),
        (67, "dining table"),
        (70, "toilet"),
    ],
    "electronic": [(72, "tv"), (73, "laptop"), (74, "mouse"), (75, "remote"), (76, "keyboard"), (77, "cell phone")],
    "appliance": [(78, "microwave"), (79, "oven"), (80, "toaster"), (81, "sink"), (82, "refrigerator")],
    "indoor": [
        (84, "book"),
        (85, "clock"),
        (86, "vase"),
        (87, "scissors"),
        (88, "teddy bear"),
        (89, "hair drier"),
        (90, "toothbrush"),
    ],
}
#: The 80 thing categories of COCO 2017 with their official ids (1..90, with gaps) and supercategories.
COCO_THING_CATEGORIES: tuple[Category, ...] = tuple(
    sorted(
        (
            Category(
                i,
                name,
                sup,
                keypoints=COCO_KEYPOINT_NAMES if name == "person" else (),
                skeleton=COCO_SKELETON if name == "person" else (),
            )
            for sup, cats in _THINGS.items()
            for i, name in cats
        ),
        key=lambda c: c.id,
    )
)

#: What each file type holds, by the prefix of its name.
_TYPES = ("instances", "person_keypoints", "stuff", "panoptic", "captions", "image_info")
#: ``task=`` -> the file type (prefix of ``annotations/PREFIX_SPLIT.json``).
TASK_FILES = {
    "detection": "instances",
    "instances": "instances",
    "keypoints": "person_keypoints",
    "stuff": "stuff",
    "panoptic": "panoptic",
    "captions": "captions",
}
_INSTANCE_TYPES = ("instances", "person_keypoints", "stuff")
_ANN_KEYS = {"id", "image_id", "category_id", "bbox", "segmentation", "area", "iscrowd", "keypoints", "num_keypoints"}
_IMAGE_KEYS = {"id", "file_name", "width", "height"}
_CAT_KEYS = {"id", "name", "supercategory", "keypoints", "skeleton", "isthing", "color"}


# ---------------------------------------------------------------------- reading helpers


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Parsing 100,000 annotations makes millions of lists, dicts and arrays, none of them in
    a cycle; the collector's generation-2 passes over them cost about as much as the parsing
    itself (measured in benchmarks/convert.py). Reference counting still frees everything.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _where(src: str, section: str, i: int, field: str | None = None) -> str:
    return f"{src}: {section}[{i}]" + (f".{field}" if field else "")


def _records(data: dict[str, Any], key: str, src: str, *, required: bool = True) -> list[dict[str, Any]]:
    if key not in data:
        if required:
            raise DatasetError(
                f"{src}: missing top-level key {key!r} (a COCO file has images, categories, annotations)"
            )
        return []
    recs = data[key]
    if not isinstance(recs, list):
        raise DatasetError(f"{src}: {key}: expected a list of records, got {type(recs).__name__}")
    for i, r in enumerate(recs):
        if not isinstance(r, dict):
            raise DatasetError(f"{_where(src, key, i)}: expected an object, got {type(r).__name__}")
    return recs


def _column(recs: list[dict[str, Any]], key: str, src: str, section: str) -> list[Any]:
    """``[r[key] for r in recs]``, or an error naming the first record without ``key``."""
    try:
        return [r[key] for r in recs]
    except KeyError:
        i = next(i for i, r in enumerate(recs) if key not in r)
        raise DatasetError(
            f"{_where(src, section, i, key)}: missing (every record of {section} needs {key!r})"
        ) from None


def _int_column(recs: list[dict[str, Any]], key: str, src: str, section: str) -> np.ndarray:
    values = _column(recs, key, src, section)
    if all(type(v) is int for v in values):
        return np.array(values, dtype=np.int64) if values else np.zeros(0, np.int64)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v != round(v):
            raise DatasetError(f"{_where(src, section, i, key)}: expected an integer, got {v!r:.60}")
    return np.array(values, dtype=np.float64).astype(np.int64)


def _unique_ids(recs: list[dict[str, Any]], src: str, section: str = "annotations") -> np.ndarray:
    """The ``id`` column, every id once (the COCO API indexes annotations by id)."""
    ids = _int_column(recs, "id", src, section)
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dup = int(uniq[counts > 1][0])
        i = int(np.flatnonzero(ids == dup)[1])
        raise DatasetError(f"{_where(src, section, i, 'id')}: id {dup} occurs more than once")
    return ids


def _number_rows(values: list[Any], width: int | None, src: str, section: str, key: str) -> np.ndarray:
    """(N, width) float64 from lists of numbers; an error names the first bad record."""
    try:
        arr = np.array(values, dtype=np.float64)
        ok = arr.ndim == 2 and (width is None or arr.shape[1] == width) and np.isfinite(arr).all()
        if not values:
            return np.zeros((0, width or 0))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        for i, v in enumerate(values):
            good = isinstance(v, (list, tuple)) and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v
            )
            if not good or (width is not None and len(v) != width):
                want = f"{width} numbers" if width else "a list of numbers"
                raise DatasetError(f"{_where(src, section, i, key)}: expected {want}, got {v!r:.80}")
        raise DatasetError(f"{src}: {section}: {key} lists of different lengths")
    return arr


def _category(rec: dict[str, Any], i: int, src: str) -> Category:
    for key in ("id", "name"):
        if key not in rec:
            raise DatasetError(f"{_where(src, 'categories', i, key)}: missing")
    cid = rec["id"]
    if isinstance(cid, bool) or not isinstance(cid, int):
        raise DatasetError(f"{_where(src, 'categories', i, 'id')}: expected an integer, got {cid!r:.40}")
    kps = rec.get("keypoints") or ()
    skeleton = rec.get("skeleton") or ()
    try:
        skeleton = tuple((int(a), int(b)) for a, b in skeleton)
    except (TypeError, ValueError):
        raise DatasetError(
            f"{_where(src, 'categories', i, 'skeleton')}: expected [a, b] pairs, got {skeleton!r:.60}"
        ) from None
    if kps and any(not 1 <= v <= len(kps) for pair in skeleton for v in pair):
        raise DatasetError(f"{_where(src, 'categories', i, 'skeleton')}: indices must lie in 1..{len(kps)}")
    color = rec.get("color")
    return Category(
        cid,
        str(rec["name"]),
        str(rec.get("supercategory", "")),
        keypoints=tuple(map(str, kps)),
        skeleton=skeleton,
        isthing=bool(rec.get("isthing", 1)),
        color=tuple(int(v) for v in color) if color is not None else None,
    )


def detect_type(path: Path, data: dict[str, Any]) -> str:
    """The file type (``instances``, ``person_keypoints``, ``stuff``, ``panoptic``, ``captions``,
    ``image_info``) from the file name, else from the records."""
    for t in _TYPES:
        if path.name.startswith(t + "_"):
            return t
    anns = data.get("annotations")
    if "annotations" not in data:
        return "image_info"
    first = anns[0] if isinstance(anns, list) and anns and isinstance(anns[0], dict) else {}
    if "segments_info" in first:
        return "panoptic"
    if "caption" in first:
        return "captions"
    if any(isinstance(c, dict) and c.get("keypoints") for c in data.get("categories", [])):
        return "person_keypoints"
    return "instances"


# ---------------------------------------------------------------------- the format


@register_format
class CocoFormat(AnnotationFormat):
    """MS COCO annotation JSON: instances, person keypoints, stuff, panoptic (+ PNGs), captions."""

    name = "coco"
    tasks = ("detection", "instances", "keypoints", "semantic", "panoptic", "captions")
    describe = "MS COCO JSON: instances / person_keypoints / stuff (RLE) / panoptic (+ PNG folder) / captions"

    def read(
        self,
        path: str | os.PathLike,
        *,
        image_root: str | os.PathLike | None = None,
        task: str | None = None,
        on_invalid: str = "raise",
        panoptic_root: str | os.PathLike | None = None,
    ) -> AnnotationSet:
        """Read one COCO annotation file.

        Args:
            path: the JSON file (``instances_val2017.json`` ...).
            image_root: folder of the images (``ROOT/val2017``); default: the folder
                ``../SPLIT`` beside ``annotations/`` when it exists, else None.
            task: ``detection``, ``instances``, ``keypoints``, ``stuff``, ``panoptic`` or
                ``captions``: the file must be of that type (default: any, told by its
                name or its records).
            on_invalid: ``"raise"`` on a polygon ring of fewer than 3 points (6 numbers),
                or ``"skip"`` such rings (a few real COCO annotations have them); the
                skipped rings are listed in ``info["skipped"]``.
            panoptic_root: the folder of the panoptic PNGs (default: the JSON path
                without ``.json``, i.e. ``annotations/panoptic_val2017/``).

        Returns:
            The annotation set; ``info`` holds ``format``, ``coco_type``, the file's
            ``info`` / ``licenses`` sections and ``skipped``.

        Raises:
            DatasetError: naming the file, the record and the field.
        """
        if on_invalid not in ("raise", "skip"):
            raise ValueError(f"on_invalid: expected 'raise' or 'skip', got {on_invalid!r}")
        with _gc_paused():
            return self._read(
                Path(path), image_root=image_root, task=task, on_invalid=on_invalid, panoptic_root=panoptic_root
            )

    def _read(self, path: Path, *, image_root, task, on_invalid, panoptic_root) -> AnnotationSet:
        src = str(path)
        try:
            with open(path, "rb") as f:
                data = json.load(f)
        except FileNotFoundError:
            raise DatasetError(f"{src}: file is missing") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DatasetError(f"{src}: not a valid JSON file ({e})") from None
        if not isinstance(data, dict):
            raise DatasetError(f"{src}: expected a JSON object with images, categories and annotations")
        kind = detect_type(path, data)
        if task is not None:
            if task not in TASK_FILES:
                raise ValueError(f"task: expected one of {', '.join(TASK_FILES)}, got {task!r}")
            if TASK_FILES[task] != kind and not (kind == "person_keypoints" and task in ("detection", "instances")):
                raise DatasetError(f"{src}: a {kind} file, not the {TASK_FILES[task]} file that task={task!r} reads")
        if image_root is None and path.parent.name == "annotations":
            split = path.stem.split("_")[-1]
            guess = path.parent.parent / split
            image_root = guess if guess.is_dir() else None
        images = self._images(data, src)
        categories = [
            _category(c, i, src) for i, c in enumerate(_records(data, "categories", src, required=kind != "captions"))
        ]
        info: dict[str, Any] = {
            "format": "coco",
            "coco_type": kind,
            "source": src,
            "skipped": [],
            "coco": {k: v for k, v in data.items() if k not in ("images", "annotations", "categories")},
        }
        aset = AnnotationSet(
            categories, images, image_root=Path(image_root) if image_root is not None else None, info=info
        )
        if kind in _INSTANCE_TYPES:
            self._instances(data, aset, src, on_invalid=on_invalid)
        elif kind == "panoptic":
            folder = Path(panoptic_root) if panoptic_root is not None else path.with_suffix("")
            self._panoptic(data, aset, src, folder)
        elif kind == "captions":
            self._captions(data, aset, src)
        return aset

    # ------------------------------------------------------------------ reading sections

    @staticmethod
    def _images(data: dict[str, Any], src: str) -> list[AnnotatedImage]:
        recs = _records(data, "images", src)
        ids = _unique_ids(recs, src, "images")
        widths = _int_column(recs, "width", src, "images")
        heights = _int_column(recs, "height", src, "images")
        names = _column(recs, "file_name", src, "images")
        bad = np.flatnonzero((widths <= 0) | (heights <= 0))
        if bad.size:
            i = int(bad[0])
            raise DatasetError(f"{_where(src, 'images', i)}: size {widths[i]}x{heights[i]} must be positive")
        return [
            AnnotatedImage(
                str(n), int(w), int(h), int(i), attributes={k: v for k, v in r.items() if k not in _IMAGE_KEYS}
            )
            for r, n, w, h, i in zip(recs, names, widths.tolist(), heights.tolist(), ids.tolist())
        ]

    @staticmethod
    def _image_index(aset: AnnotationSet, image_ids: np.ndarray, src: str) -> np.ndarray:
        ids = np.array([im.id for im in aset.images], np.int64)
        order = np.argsort(ids, kind="stable")
        pos = np.searchsorted(ids[order], image_ids)
        pos = np.minimum(pos, max(len(ids) - 1, 0))
        found = (ids[order][pos] == image_ids) if len(ids) else np.zeros(len(image_ids), bool)
        if not found.all():
            i = int(np.flatnonzero(~found)[0])
            raise DatasetError(f"{_where(src, 'annotations', i, 'image_id')}: no image has id {int(image_ids[i])}")
        return order[pos]

    def _instances(self, data: dict[str, Any], aset: AnnotationSet, src: str, *, on_invalid: str) -> None:
        anns = _records(data, "annotations", src)
        n = len(anns)
        ids = _unique_ids(anns, src)
        image_ids = _int_column(anns, "image_id", src, "annotations")
        cat_ids = _int_column(anns, "category_id", src, "annotations")
        xywh = _number_rows(_column(anns, "bbox", src, "annotations"), 4, src, "annotations", "bbox")
        img = self._image_index(aset, image_ids, src)
        known = np.array(sorted(c.id for c in aset.categories), np.int64)
        bad = np.flatnonzero(~np.isin(cat_ids, known))
        if bad.size:
            i = int(bad[0])
            raise DatasetError(
                f"{_where(src, 'annotations', i, 'category_id')}: unknown category id {int(cat_ids[i])} "
                f"(the categories have ids {known[:20].tolist()}{'...' if len(known) > 20 else ''})"
            )
        W = np.array([im.width for im in aset.images], np.float64)[img] if n else np.zeros(0)
        H = np.array([im.height for im in aset.images], np.float64)[img] if n else np.zeros(0)
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1) if n else np.zeros((0, 4))
        bad = np.flatnonzero((xywh[:, 2] < 0) | (xywh[:, 3] < 0)) if n else []
        if len(bad):
            i = int(bad[0])
            raise DatasetError(
                f"{_where(src, 'annotations', i, 'bbox')}: negative width or height in {xywh[i].tolist()}"
            )
        tol = 1.0
        if n:
            outside = (boxes[:, 0] < -tol) | (boxes[:, 1] < -tol) | (boxes[:, 2] > W + tol) | (boxes[:, 3] > H + tol)
            bad = np.flatnonzero(outside)
            if bad.size:
                i = int(bad[0])
                raise DatasetError(
                    f"{_where(src, 'annotations', i, 'bbox')}: box {xywh[i].tolist()} (x, y, w, h) lies "
                    f"outside image {int(image_ids[i])} of {int(W[i])}x{int(H[i])}"
                )
        iscrowd = np.array([a.get("iscrowd", 0) for a in anns], dtype=object)
        bad = [i for i, v in enumerate(iscrowd) if v not in (0, 1, True, False)]
        if bad:
            raise DatasetError(
                f"{_where(src, 'annotations', bad[0], 'iscrowd')}: expected 0 or 1, got {iscrowd[bad[0]]!r:.40}"
            )
        iscrowd = iscrowd.astype(bool) if n else np.zeros(0, bool)
        areas = [a.get("area") for a in anns]
        for i, v in enumerate(areas):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0):
                raise DatasetError(f"{_where(src, 'annotations', i, 'area')}: expected a number >= 0, got {v!r:.40}")
        keypoints = self._keypoints(anns, cat_ids, aset, src)
        segs = self._segmentations(
            anns,
            H.astype(np.int64),
            W.astype(np.int64),
            image_ids,
            iscrowd,
            src,
            on_invalid=on_invalid,
            skipped=aset.info["skipped"],
        )
        exceptions = []
        box_rows = boxes.tolist()
        images = aset.images
        for i, a in enumerate(anns):
            poly, rle, compressed = segs[i]
            if rle is not None and compressed == bool(iscrowd[i]):
                exceptions.append(int(ids[i]))
            extra = {k: v for k, v in a.items() if k not in _ANN_KEYS}
            inst = Instance(
                int(cat_ids[i]),
                box_rows[i],
                polygons=poly,
                rle=rle,
                iscrowd=bool(iscrowd[i]),
                keypoints=keypoints[i] if keypoints is not None else None,
                area=areas[i],
                id=int(ids[i]),
                attributes=extra,
            )
            images[img[i]].instances.append(inst)
        # RLEs stored in the other form than COCO's habit (crowd: uncompressed; else compressed)
        aset.info["rle_form_exceptions"] = exceptions
        aset.info["has_segmentation"] = any("segmentation" in a for a in anns[:1])

    @staticmethod
    def _keypoints(anns, cat_ids, aset, src) -> list[np.ndarray | None] | None:
        has = [i for i, a in enumerate(anns) if "keypoints" in a]
        if not has:
            return None
        by_id = aset.category_by_id
        out: list[np.ndarray | None] = [None] * len(anns)
        rows = [anns[i]["keypoints"] for i in has]
        try:
            arr = np.array(rows, dtype=np.float64)
            uniform = arr.ndim == 2 and arr.shape[1] % 3 == 0 and np.isfinite(arr).all()
        except (TypeError, ValueError):
            uniform = False
        if not uniform:
            for i, r in zip(has, rows):
                if not isinstance(r, list) or len(r) % 3 or not all(isinstance(v, (int, float)) for v in r):
                    raise DatasetError(
                        f"{_where(src, 'annotations', i, 'keypoints')}: expected x, y, v triplets, got {r!r:.60}"
                    )
            arrs = [np.asarray(r, np.float64).reshape(-1, 3) for r in rows]
        else:
            arrs = list(arr.reshape(len(has), -1, 3))
        for i, kp in zip(has, arrs):
            bad = np.flatnonzero(~np.isin(kp[:, 2], (0, 1, 2)))
            if bad.size:
                raise DatasetError(
                    f"{_where(src, 'annotations', i, 'keypoints')}: point {int(bad[0])} has visibility "
                    f"{kp[bad[0], 2]:g}, expected 0 (not labelled), 1 (hidden) or 2 (visible)"
                )
            names = by_id[int(cat_ids[i])].keypoints
            if names and len(kp) != len(names):
                raise DatasetError(
                    f"{_where(src, 'annotations', i, 'keypoints')}: {len(kp)} points, but category "
                    f"{int(cat_ids[i])} names {len(names)}"
                )
            out[i] = kp
        return out

    @staticmethod
    def _segmentations(anns, H, W, image_ids, iscrowd, src, *, on_invalid, skipped) -> list[tuple[Any, Any, bool]]:
        """(Polygons | None, RLE | None, compressed) per annotation; compressed strings decoded at once."""
        out: list[tuple[Any, Any, bool]] = [(None, None, False)] * len(anns)
        strings: list[str] = []
        string_at: list[int] = []
        for i, a in enumerate(anns):
            seg = a.get("segmentation")
            if seg is None:
                continue
            if isinstance(seg, list):
                rings = []
                for r, ring in enumerate(seg):
                    arr = np.array(ring) if isinstance(ring, list) else None
                    if arr is None or arr.ndim != 1 or (arr.size and arr.dtype.kind not in "if"):
                        raise DatasetError(
                            f"{_where(src, 'annotations', i, f'segmentation[{r}]')}: expected a flat "
                            f"list of numbers [x1, y1, x2, y2, ...], got {ring!r:.60}"
                        )
                    if len(ring) < 6 or len(ring) % 2:
                        msg = (
                            f"{_where(src, 'annotations', i, f'segmentation[{r}]')}: a polygon ring needs an even "
                            f"count of at least 6 numbers (3 points), got {len(ring)}"
                        )
                        if on_invalid == "raise":
                            raise DatasetError(msg + " (read with on_invalid='skip' to drop such rings)")
                        skipped.append(msg)
                        continue
                    rings.append(arr.astype(np.float64).reshape(-1, 2))
                try:
                    out[i] = (Polygons(tuple(rings)), None, False)
                except ValueError as e:
                    raise DatasetError(f"{_where(src, 'annotations', i, 'segmentation')}: {e}") from None
            elif isinstance(seg, dict):
                size = seg.get("size")
                if "counts" not in seg or not isinstance(size, list) or len(size) != 2:
                    raise DatasetError(
                        f"{_where(src, 'annotations', i, 'segmentation')}: an RLE needs 'size' [h, w] "
                        f"and 'counts', got keys {sorted(seg)}"
                    )
                if size[0] != H[i] or size[1] != W[i]:
                    raise DatasetError(
                        f"{_where(src, 'annotations', i, 'segmentation.size')}: RLE of size {size} (h, w) "
                        f"on image {int(image_ids[i])} of height {H[i]} and width {W[i]}"
                    )
                counts = seg["counts"]
                if isinstance(counts, str):
                    strings.append(counts)
                    string_at.append(i)
                    continue
                try:
                    out[i] = (None, RLE((int(H[i]), int(W[i])), counts), False)
                except ValueError as e:
                    raise DatasetError(f"{_where(src, 'annotations', i, 'segmentation.counts')}: {e}") from None
            else:
                raise DatasetError(
                    f"{_where(src, 'annotations', i, 'segmentation')}: expected polygons (a list) or "
                    f"an RLE (an object), got {type(seg).__name__}"
                )
        try:
            decoded = rle_counts_from_strings(strings)
        except (ValueError, UnicodeEncodeError):
            decoded = None
        for k, i in enumerate(string_at):
            try:
                counts = decoded[k] if decoded is not None else RLE.from_coco(anns[i]["segmentation"]).counts
                out[i] = (None, RLE((int(H[i]), int(W[i])), counts), True)
            except (ValueError, UnicodeEncodeError) as e:
                raise DatasetError(f"{_where(src, 'annotations', i, 'segmentation.counts')}: {e}") from None
        return out

    def _panoptic(self, data: dict[str, Any], aset: AnnotationSet, src: str, folder: Path) -> None:
        anns = _records(data, "annotations", src)
        image_ids = _int_column(anns, "image_id", src, "annotations")
        names = _column(anns, "file_name", src, "annotations")
        infos = _column(anns, "segments_info", src, "annotations")
        img = self._image_index(aset, image_ids, src)
        known = aset.category_by_id
        for i, (segs, name) in enumerate(zip(infos, names)):
            im = aset.images[img[i]]
            if im.segments is not None:
                raise DatasetError(
                    f"{_where(src, 'annotations', i, 'image_id')}: image {im.id} has a panoptic record already"
                )
            if not isinstance(segs, list):
                raise DatasetError(f"{_where(src, 'annotations', i, 'segments_info')}: expected a list")
            out, seen = [], set()
            for j, s in enumerate(segs):
                field = f"segments_info[{j}]"
                try:
                    seg = PanopticSegment.from_coco(s)
                except (ValueError, TypeError) as e:
                    raise DatasetError(f"{_where(src, 'annotations', i, field)}: {e}") from None
                if seg.category_id not in known:
                    raise DatasetError(
                        f"{_where(src, 'annotations', i, field + '.category_id')}: unknown category id "
                        f"{seg.category_id}"
                    )
                if seg.id in seen:
                    raise DatasetError(
                        f"{_where(src, 'annotations', i, field + '.id')}: segment id {seg.id} occurs twice"
                    )
                seen.add(seg.id)
                out.append(seg)
            im.segments = out
            im.segmentation = str(folder / str(name))

    @staticmethod
    def _captions(data: dict[str, Any], aset: AnnotationSet, src: str) -> None:
        anns = _records(data, "annotations", src)
        ids = _unique_ids(anns, src)
        image_ids = _int_column(anns, "image_id", src, "annotations")
        texts = _column(anns, "caption", src, "annotations")
        img = CocoFormat._image_index(aset, image_ids, src)
        for i, (t, cid) in enumerate(zip(texts, ids.tolist())):
            if not isinstance(t, str):
                raise DatasetError(
                    f"{_where(src, 'annotations', i, 'caption')}: expected a string, got {type(t).__name__}"
                )
            aset.images[img[i]].captions.append(Caption(t, cid))

    # ------------------------------------------------------------------ writing

    def write(
        self,
        annotations: AnnotationSet,
        out: str | os.PathLike,
        *,
        coco_type: str | None = None,
        panoptic_root: str | os.PathLike | None = None,
        indent: int | None = None,
    ) -> ConversionReport:
        """Write ``annotations`` as one COCO JSON file (and, for panoptic, its PNG folder).

        Args:
            annotations: the set to write.
            out: the JSON file.
            coco_type: ``instances``, ``person_keypoints``, ``stuff``, ``panoptic``, ``captions`` or
                ``image_info``; default the type the set was read as (``info["coco_type"]``),
                else ``panoptic`` when images have panoptic segments, ``captions`` when there
                are captions and no instances, ``person_keypoints`` when instances have
                keypoints, else ``instances``.
            panoptic_root: where the panoptic PNGs go (default: ``out`` without ``.json``).
            indent: JSON indentation (default: compact, as the official files).

        Returns:
            The report: category ids are kept as they are; what this COCO type cannot hold
            (captions in an instances file, instances in a captions file...) is listed.

        Raises:
            DatasetError: the set cannot be written (a panoptic PNG is missing, an RLE of the
                wrong size...); nothing is written then.
        """
        with _gc_paused():
            return self._write(annotations, Path(out), coco_type=coco_type, panoptic_root=panoptic_root, indent=indent)

    def _write(self, annotations: AnnotationSet, out: Path, *, coco_type, panoptic_root, indent) -> ConversionReport:
        kind = coco_type or annotations.info.get("coco_type") or _infer_type(annotations)
        if kind not in _TYPES:
            raise ValueError(f"coco_type: expected one of {', '.join(_TYPES)}, got {kind!r}")
        report = ConversionReport(self.name, out, category_map={c.id: c.id for c in annotations.categories})
        coco = dict(annotations.info.get("coco") or {}) if annotations.info.get("format") == "coco" else {}
        doc: dict[str, Any] = {
            "info": coco.pop("info", {"description": "written by vistakit"}),
            "licenses": coco.pop("licenses", []),
        }
        doc.update(coco)
        doc["images"] = [_image_record(im) for im in annotations.images]
        pngs: list[tuple[Path, Path]] = []
        if kind in _INSTANCE_TYPES:
            doc["annotations"] = _instance_records(annotations, report)
        elif kind == "panoptic":
            folder = Path(panoptic_root) if panoptic_root is not None else out.with_suffix("")
            doc["annotations"], pngs = _panoptic_records(annotations, folder, report)
        elif kind == "captions":
            doc["annotations"] = _caption_records(annotations)
        report.images = len(annotations.images)
        # what this type cannot hold
        for im in annotations.images:
            if kind != "captions" and im.captions:
                report.skipped.append(
                    f"image {im.id} ({im.file_name}): {len(im.captions)} caption(s) "
                    f"(a COCO {kind} file holds none; write coco_type='captions')"
                )
            if kind != "panoptic" and im.segments:
                report.skipped.append(
                    f"image {im.id} ({im.file_name}): panoptic segmentation "
                    f"(a COCO {kind} file holds none; write coco_type='panoptic')"
                )
            elif kind != "panoptic" and im.segmentation is not None:
                report.skipped.append(
                    f"image {im.id} ({im.file_name}): label image {im.segmentation} (a COCO {kind} file holds none)"
                )
            if kind not in _INSTANCE_TYPES:
                for k, inst in enumerate(im.instances):
                    report.skipped.append(
                        f"image {im.id} ({im.file_name}), instance {inst.id if inst.id is not None else k}: "
                        f"object (a COCO {kind} file holds none)"
                    )
        if kind != "captions" or annotations.categories:  # captions files have no categories
            doc["categories"] = [_category_record(c, panoptic=kind == "panoptic") for c in annotations.categories]
        if kind == "image_info":
            doc.pop("annotations", None)
        try:
            text = json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise DatasetError(
                f"{out}: cannot be written as JSON ({e}); an attribute holds a value JSON cannot hold"
            ) from None
        for srcp, dst in pngs:
            if srcp.resolve() != dst.resolve():
                atomic_write(dst, srcp.read_bytes())
        with atomic_open(out, "w") as f:
            f.write(text)
        return report


# ---------------------------------------------------------------------- writing helpers


def _infer_type(annotations: AnnotationSet) -> str:
    ims = annotations.images
    if any(im.segments for im in ims):
        return "panoptic"
    has_inst = any(im.instances for im in ims)
    if not has_inst and any(im.captions for im in ims):
        return "captions"
    if any(inst.keypoints is not None for im in ims for inst in im.instances):
        return "person_keypoints"
    return "instances"


def _image_record(im: AnnotatedImage) -> dict[str, Any]:
    rec = {"id": int(im.id), "file_name": str(im.file_name), "width": int(im.width), "height": int(im.height)}
    rec.update({k: v for k, v in im.attributes.items() if k not in rec})
    return rec


def _category_record(c: Category, *, panoptic: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {"supercategory": c.supercategory, "id": int(c.id), "name": c.name}
    if c.keypoints:
        rec["keypoints"] = list(c.keypoints)
        rec["skeleton"] = [list(p) for p in c.skeleton]
    if panoptic:
        rec["isthing"] = int(c.isthing)
    if c.color is not None:
        rec["color"] = list(c.color)
    return rec


def _clean(values: np.ndarray) -> list[Any]:
    """Numbers for JSON: integers as ints when all are integral, else floats rounded to 1e-10
    (so that ``x + w - x`` gives back the ``w`` that was read)."""
    if values.size and np.all(values == np.round(values)) and np.abs(values).max() < 2**53:
        return values.astype(np.int64).tolist()
    return np.round(values, 10).tolist()


def _instance_records(annotations: AnnotationSet, report: ConversionReport) -> list[dict[str, Any]]:
    pairs = [(im, k, inst) for im in annotations.images for k, inst in enumerate(im.instances)]
    if not pairs:
        return []
    boxes = np.stack([inst.box for _, _, inst in pairs])
    wh = boxes[:, 2:] - boxes[:, :2]
    xywh = np.round(np.concatenate([boxes[:, :2], wh], axis=1), 10).tolist()
    ids = [inst.id for _, _, inst in pairs]
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        ids = list(range(1, len(pairs) + 1))
    exceptions = (
        set(annotations.info.get("rle_form_exceptions", ())) if annotations.info.get("format") == "coco" else set()
    )
    segs = _segmentation_records(pairs, ids, exceptions, empty=annotations.info.get("has_segmentation", False))
    recs = []
    for (im, _k, inst), box, aid, seg in zip(pairs, xywh, ids, segs):
        rec: dict[str, Any] = {}
        if seg is not None:
            rec["segmentation"] = seg
        if inst.keypoints is not None:
            rec["num_keypoints"] = int((inst.keypoints[:, 2] > 0).sum())
        area = inst.area if inst.area is not None else _coco_area(inst, im)
        rec["area"] = area if type(area) in (int, float) else float(area)  # numpy scalars from other readers
        rec["iscrowd"] = int(inst.iscrowd)
        if inst.keypoints is not None:
            rec["keypoints"] = _clean(inst.keypoints.ravel())
        rec["image_id"] = int(im.id)
        rec["bbox"] = box
        rec["category_id"] = int(inst.category_id)
        rec["id"] = aid
        for key, v in inst.attributes.items():
            if key in rec:
                continue
            try:
                json.dumps(v, allow_nan=False)
            except (TypeError, ValueError):
                report.skipped.append(
                    f"image {im.id} ({im.file_name}), instance {aid}: attribute {key!r} "
                    f"({type(v).__name__}, not a JSON value)"
                )
                continue
            rec[key] = v
        recs.append(rec)
    report.instances = len(recs)
    return recs


def _segmentation_records(pairs, ids, exceptions: set[int], *, empty: bool) -> list[Any]:
    """COCO ``segmentation`` of every instance: every polygon ring flattened by one ``tolist``,
    every compressed RLE string encoded in one vectorised pass."""
    out: list[Any] = [[] if empty else None] * len(pairs)
    rings, ring_owner, strings, string_owner = [], [], [], []
    for n, ((im, _, inst), aid) in enumerate(zip(pairs, ids)):
        if inst.rle is not None:
            if tuple(inst.rle.size) != (im.height, im.width):
                raise DatasetError(
                    f"image {im.id} ({im.file_name}), instance {aid}: RLE of size {list(inst.rle.size)} "
                    f"on a {im.height}x{im.width} image"
                )
            if (not inst.iscrowd) != (aid in exceptions):
                strings.append(inst.rle.counts)
                string_owner.append(n)
            else:
                out[n] = inst.rle.to_coco(compressed=False)
        elif inst.polygons is not None:
            out[n] = []
            rings += inst.polygons.rings
            ring_owner += [n] * len(inst.polygons.rings)
    if rings:
        sizes = np.fromiter((2 * len(r) for r in rings), np.int64, len(rings))
        flat = np.concatenate(rings).ravel().tolist()
        ends = np.cumsum(sizes).tolist()
        start = 0
        for n, end in zip(ring_owner, ends):
            out[n].append(flat[start:end])
            start = end
    for n, text in zip(string_owner, rle_counts_to_strings(strings)):
        h, w = pairs[n][2].rle.size
        out[n] = {"size": [h, w], "counts": text}
    return out


def _coco_area(inst: Instance, im: AnnotatedImage) -> float:
    """The area COCO would store: mask pixels (RLE, rasterised polygons), else the box's w * h."""
    if inst.rle is not None:
        return float(inst.rle.area)
    if inst.polygons is not None and len(inst.polygons):
        return float(inst.polygons.area(height=im.height, width=im.width))
    x1, y1, x2, y2 = inst.box
    return float((x2 - x1) * (y2 - y1))


def _panoptic_records(annotations: AnnotationSet, folder: Path, report: ConversionReport):
    recs, pngs = [], []
    for im in annotations.images:
        if im.segmentation is None or im.segments is None:
            report.skipped.append(f"image {im.id} ({im.file_name}): no panoptic segmentation (no record written)")
            continue
        srcp = Path(im.segmentation)
        if not srcp.is_absolute() and annotations.image_root is not None:
            srcp = annotations.image_root / srcp
        if not srcp.is_file():
            raise DatasetError(f"image {im.id} ({im.file_name}): panoptic PNG {srcp} is missing")
        pngs.append((srcp, folder / srcp.name))
        recs.append({"segments_info": [s.to_coco() for s in im.segments], "file_name": srcp.name, "image_id": im.id})
        report.instances += len(im.segments)
    return recs, pngs


def _caption_records(annotations: AnnotationSet) -> list[dict[str, Any]]:
    caps = [(im, c) for im in annotations.images for c in im.captions]
    ids = [c.id for _, c in caps]
    if any(i is None for i in ids) or len(set(ids)) != len(ids):
        ids = list(range(1, len(caps) + 1))
    return [{"image_id": im.id, "id": cid, "caption": c.text} for (im, c), cid in zip(caps, ids)]


# ---------------------------------------------------------------------- the data set

_ANN_URL = "http://images.cocodataset.org/annotations/"
_ZIP_URL = "http://images.cocodataset.org/zips/"

COCO = DatasetInfo(
    name="coco",
    title="Microsoft COCO 2017: Common Objects in Context",
    task="detection",
    classes=tuple(c.name for c in COCO_THING_CATEGORIES),
    splits={"train2017": 118_287, "val2017": 5_000, "test2017": 40_670},
    image_size=None,
    channels=3,
    license=(
        "annotations: Creative Commons Attribution 4.0 (CC BY 4.0), (c) the COCO Consortium; "
        "images: the Flickr Terms of Use (each image keeps its own Flickr licence, listed in the "
        "annotation files' `licenses`)"
    ),
    homepage="https://cocodataset.org",
    citation=(
        "T.-Y. Lin, M. Maire, S. Belongie, J. Hays, P. Perona, D. Ramanan, P. Dollar, C. L. Zitnick. "
        "Microsoft COCO: Common Objects in Context. European Conference on Computer Vision (ECCV), "
        "2014. arXiv:1405.0312."
    ),
    files=(
        DataFile(
            "train2017.zip",
            (_ZIP_URL + "train2017.zip",),
            size=19_336_861_798,
            md5="cced6f7f71b7629ddf16f17bbcfab6b2",
            extracted="train2017",
            splits=("train2017",),
        ),
        DataFile(
            "val2017.zip",
            (_ZIP_URL + "val2017.zip",),
            size=815_585_330,
            md5="442b8da7639aecaf257c1dceb8ba8c80",
            extracted="val2017",
            splits=("val2017",),
        ),
        DataFile(
            "test2017.zip",
            (_ZIP_URL + "test2017.zip",),
            md5="77ad2c53ac5d0aea611d422c0938fb35",
            extracted="test2017",
            splits=("test2017",),
        ),
        DataFile(
            "annotations_trainval2017.zip",
            (_ANN_URL + "annotations_trainval2017.zip",),
            size=252_907_541,
            md5="f4bbac642086de4f52a3fdda2de5fa2c",
            splits=("train2017", "val2017"),
        ),
        DataFile(
            "stuff_annotations_trainval2017.zip",
            (_ANN_URL + "stuff_annotations_trainval2017.zip",),
            md5="2a27c15a2dfcbd2e1c9276dc23cac101",
            splits=("train2017", "val2017"),
        ),
        DataFile(
            "panoptic_annotations_trainval2017.zip",
            (_ANN_URL + "panoptic_annotations_trainval2017.zip",),
            md5="4170db65fc022c9c296af880dbca6055",
            splits=("train2017", "val2017"),
        ),
        DataFile(
            "image_info_test2017.zip",
            (_ANN_URL + "image_info_test2017.zip",),
            md5="85da7065e5e600ebfee8af1edb634eb5",
            splits=("test2017",),
        ),
    ),
    description=(
        "330K images of everyday scenes; the 2017 splits have 118,287 train, 5,000 val and 40,670 test "
        "images. Annotations: object detection and instance segmentation of 80 thing categories "
        "(ids 1..90 with gaps; polygons, crowd regions as RLE), 17 person keypoints, 91 stuff "
        "categories (ids 92..182, 183 'other'), panoptic segmentation (133 categories, PNG + "
        "segments_info) and 5 captions per image. load_dataset('coco', split=..., task=...) takes "
        "task='detection' | 'instances' | 'keypoints' | 'stuff' | 'panoptic' | 'captions' and reads "
        "ROOT/annotations/{instances,person_keypoints,stuff,panoptic,captions}_SPLIT.json, the images "
        "in ROOT/SPLIT/ and the panoptic PNGs in ROOT/annotations/panoptic_SPLIT/. The annotation "
        "zips (about 241 MB, 1.1 GB stuff, 821 MB panoptic) are unpacked on first use; test2017 has "
        "image information only (image_info_test2017.json)."
    ),
)

_TASK_ZIPS = {
    "instances": "annotations_trainval2017.zip",
    "person_keypoints": "annotations_trainval2017.zip",
    "captions": "annotations_trainval2017.zip",
    "stuff": "stuff_annotations_trainval2017.zip",
    "panoptic": "panoptic_annotations_trainval2017.zip",
    "image_info": "image_info_test2017.zip",
}


def _annotation_file(info: DatasetInfo, kind: str, split: str, *, root, download: bool) -> Path:
    """``annotations/KIND_SPLIT.json`` from the data folders, unpacked from its zip when needed.

    For panoptic, the PNG folder ``annotations/panoptic_SPLIT/`` too: the official zip holds
    the PNGs as a second zip (``annotations/panoptic_SPLIT.zip``), unpacked beside the JSON.
    """
    member = f"annotations/{kind}_{split}.json"
    path = next((d / member for _, d in search_dirs(info, root=root) if (d / member).is_file()), None)
    archive = None
    if path is None:
        zip_name = _TASK_ZIPS[kind]
        archive = fetch_files(info, names=[zip_name], root=root, download=download)[zip_name].path
        path = archive.parent / member
        _unzip_member(archive, member, path)
    if kind == "panoptic" and not (path.parent / f"panoptic_{split}").is_dir():
        inner = path.parent / f"panoptic_{split}.zip"
        if not inner.is_file() and archive is not None:
            _unzip_member(archive, f"annotations/panoptic_{split}.zip", inner)
        if inner.is_file():
            extract_archive(inner, member=f"panoptic_{split}", into=path.parent)
    return path


def _unzip_member(archive: Path, member: str, dest: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as f, atomic_open(dest, "wb") as out:
            while chunk := f.read(1 << 20):
                out.write(chunk)
    except KeyError:
        raise DatasetError(f"{archive}: has no {member}") from None
    except zipfile.BadZipFile as e:
        raise DatasetError(f"{archive}: not a readable zip ({e})") from None


class CocoDataset(AnnotationDataset):
    """:class:`AnnotationDataset` of COCO, whose samples also carry the stuff / panoptic maps.

    * ``task="keypoints"``: ``Sample.keypoints`` carry the category's point names.
    * ``task="stuff"``: ``Sample.mask`` is the (H, W) int64 semantic map of stuff category ids
      (0 where no stuff region is labelled), painted from the RLEs.
    * ``task="panoptic"``: ``Sample.mask`` is the (H, W) int64 panoptic segment-id map of the
      PNG (``R + 256 G + 256^2 B``, 0 void); ``boxes`` / ``labels`` / ``ids`` are the segments'
      boxes, category ids and segment ids, and ``meta["segments"]`` its :class:`PanopticSegment` s.
    """

    def __init__(
        self,
        annotations: AnnotationSet,
        *,
        info: Any,
        split: str,
        task: str,
        masks: bool = False,
        transform: Callable[[Sample], Sample] | None = None,
    ) -> None:
        super().__init__(annotations, info=info, split=split, masks=masks, transform=transform)
        self.task = task

    def get_sample(self, index: int) -> Sample:
        sample = super().get_sample(index)
        im = self.annotations.images[self._check_index(index)]
        if sample.keypoints is not None:  # name the points when every instance's category names them alike
            names = {self.annotations.category_by_id[i.category_id].keypoints for i in im.instances}
            if len(names) == 1 and len(next(iter(names))) == sample.keypoints.data.shape[1]:
                sample.keypoints = Keypoints(sample.keypoints.data, sample.keypoints.visible, names=next(iter(names)))
        if self.task == "stuff":
            sample.mask = semantic_map(im)
        elif self.task == "panoptic" and im.segmentation is not None:
            segs = list(im.segments or [])
            sample.mask = panoptic_ids(im.segmentation, height=im.height, width=im.width)
            xywh = np.array([g.bbox for g in segs], np.float64).reshape(-1, 4)
            sample.boxes = Boxes(np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1), "xyxy")
            sample.labels = np.array([g.category_id for g in segs], np.int64)
            sample.ids = np.array([g.id for g in segs], np.int64)
            sample.meta["segments"] = segs
            sample.meta["iscrowd"] = np.array([g.iscrowd for g in segs], bool)
            sample.meta["category_ids"] = sample.labels.copy()
        return sample


def semantic_map(image: AnnotatedImage) -> np.ndarray:
    """(H, W) int64 map of category ids painted from the instances' masks in order (0 elsewhere)."""
    out = np.zeros((image.height, image.width), np.int64)
    for inst in image.instances:
        m = inst.mask(height=image.height, width=image.width)
        if m is not None:
            out[m] = inst.category_id
    return out


def panoptic_ids(path: str | os.PathLike, *, height: int, width: int) -> np.ndarray:
    """(H, W) int64 segment ids of a COCO panoptic PNG (error naming the file on a wrong size)."""
    try:
        with Image.open(path) as f:
            rgb = np.asarray(f.convert("RGB"))
    except FileNotFoundError:
        raise DatasetError(f"{path}: panoptic PNG is missing") from None
    if rgb.shape[:2] != (height, width):
        raise DatasetError(f"{path}: panoptic PNG of {rgb.shape[1]}x{rgb.shape[0]}, but its image is {width}x{height}")
    return rgb_to_id(rgb)


@register_dataset(COCO)
def load_coco(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Transform | None,
    task: str = "detection",
    on_invalid: str = "raise",
) -> CocoDataset:
    """One split of COCO 2017 for one task (see the module notes and :data:`TASK_FILES`).

    ``transform`` is a per-sample transform (``Sample -> Sample``) as for every
    :class:`AnnotationDataset`. ``task="instances"`` decodes every instance mask
    (``Sample.masks``); ``on_invalid="skip"`` drops the few degenerate polygon rings.
    """
    if task not in TASK_FILES:
        raise ValueError(f"task: expected one of {', '.join(TASK_FILES)}, got {task!r}")
    kind = TASK_FILES[task]
    if split == "test2017":
        if task != "detection":
            raise ValueError("test2017 has no public annotations: only task='detection' (images, no objects) reads it")
        kind = "image_info"
    ann = _annotation_file(info, kind, split, root=root, download=download)
    images = fetch_files(info, names=[f"{split}.zip"], root=root, download=download)
    folder = archive_member(images[f"{split}.zip"], root=root, info=info)
    aset = CocoFormat().read(ann, image_root=folder, on_invalid=on_invalid)
    return CocoDataset(aset, info=info, split=split, task=task, masks=task == "instances", transform=transform)
