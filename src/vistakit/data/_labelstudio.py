"""Label Studio: the JSON export of a project (a list of tasks with their annotations).

One task of the export::

    {"id": 1, "data": {"image": "/data/upload/1/a.jpg"},
     "annotations": [{"id": 1, "was_cancelled": false, "result": [
        {"id": "r1", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
         "original_width": 640, "original_height": 480, "image_rotation": 0,
         "value": {"x": 10.0, "y": 20.0, "width": 30.0, "height": 40.0, "rotation": 0,
                   "rectanglelabels": ["car"]}},
        {"type": "polygonlabels", ..., "value": {"points": [[x, y], ...], "closed": true,
                                                 "polygonlabels": ["car"]}}, ...]}],
     "predictions": [], ...}

Coordinates are in PERCENT of ``original_width`` / ``original_height``: ``x_px = x / 100 * W``.

* ``rectanglelabels``: ``x, y`` is the top-left corner *before* rotation and ``rotation`` turns the
  rectangle clockwise (degrees, image y pointing down) about that corner. An unrotated rectangle is
  the box; a rotated one becomes the polygon of its four rotated corners, whose bounds are the
  box, and keeps ``rotation`` and ``rect`` (``x, y, width, height`` in pixels before rotation) as
  attributes, from which it is written back as the same rotated rectangle;
* ``polygonlabels``: :class:`Polygons` and its box;
* ``brushlabels`` with ``format: "rle"``: Label Studio's own brush RLE (:func:`ls_brush_decode`) of the
  RGBA canvas, the mask being its alpha channel -> an :class:`RLE` and its tight box; a mask
  without a polygon is written back as a brush;
* every other result (``keypointlabels``, ``choices``, ``textarea``, ...): kept as it is in the
  image's ``ls_results`` attribute and written back, so nothing is lost within Label Studio; other
  formats report it.

The first annotation of a task that is not cancelled is read (``annotation`` picks another). Labels
become categories by name (sorted, ids 0..N-1, or the ``classes`` given). The image's
``file_name`` is the file part of ``data.image`` (``/data/upload/1/a.jpg`` -> ``a.jpg``,
``/data/local-files/?d=dir/a.jpg`` -> ``dir/a.jpg``), relative to ``image_root``; the original
reference is kept (``ls_image``) and written back.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
from PIL import Image

from .._files import atomic_write
from ..structures import RLE, Polygons
from ._annotations import (
    AnnotatedImage,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    register_format,
    writable_instance,
)
from ._errors import DatasetError

__all__ = ["LabelStudioFormat", "ls_brush_decode", "ls_brush_encode", "rotated_rectangle"]

_REGION = ("rectanglelabels", "polygonlabels", "brushlabels")


def rotated_rectangle(x: float, y: float, width: float, height: float, rotation: float) -> np.ndarray:
    """(4, 2) corners of a Label Studio rectangle in pixels: top-left ``(x, y)``, turned clockwise by ``rotation`` degrees about it."""
    t = math.radians(rotation)
    c, s = math.cos(t), math.sin(t)
    local = np.array([[0.0, 0.0], [width, 0.0], [width, height], [0.0, height]])
    return np.stack([x + local[:, 0] * c - local[:, 1] * s, y + local[:, 0] * s + local[:, 1] * c], axis=1)


_RLE_SIZES = (3, 4, 8, 16)  # the run-length bit widths Label Studio's encoder uses


def ls_brush_decode(rle: list[int] | bytes, *, width: int, height: int) -> np.ndarray:
    """(height, width) bool mask from a Label Studio brush RLE (``value.rle`` of a ``brushlabels`` result).

    The RLE is a bit stream (most significant bit first) over the flattened RGBA canvas:
    32 bits the number of values, 5 bits the word size - 1, four 4-bit run-length widths - 1,
    then groups: a 1-bit flag, a 2-bit index choosing a width, a run length - 1 in that many bits;
    a set flag repeats one word that many times, a clear flag is followed by that many words.
    The mask is the alpha channel (> 0), as ``label_studio_converter.brush`` reads it.

    Raises:
        ValueError: the stream is truncated or does not hold ``width * height * 4`` values.
    """
    bits = np.unpackbits(np.frombuffer(bytes(bytearray(rle)), dtype=np.uint8))
    pos = 0

    def read(n: int) -> int:
        nonlocal pos
        if pos + n > len(bits):
            raise ValueError("the brush RLE ends in the middle of a value")
        v = 0
        for b in bits[pos : pos + n]:
            v = (v << 1) | int(b)
        pos += n
        return v

    num = read(32)
    if num != width * height * 4:
        raise ValueError(f"the brush RLE holds {num} values, a {width}x{height} RGBA canvas has {width * height * 4}")
    word = read(5) + 1
    sizes = [read(4) + 1 for _ in range(4)]
    out = np.zeros(num, np.uint8)
    i = 0
    while i < num:
        repeat = read(1)
        j = i + 1 + read(sizes[read(2)])
        if j > num:
            raise ValueError(f"a run ends at value {j}, past the {num} values of the canvas")
        if repeat:
            out[i:j] = read(word)
        else:
            out[i:j] = [read(word) for _ in range(j - i)]
        i = j
    return out.reshape(height, width, 4)[:, :, 3] > 0


def ls_brush_encode(mask: np.ndarray) -> list[int]:
    """Label Studio's brush RLE of a (height, width) bool mask (RGBA all 255 where set, as its converter writes)."""
    flat = np.repeat(np.where(np.asarray(mask, bool).ravel(), 255, 0).astype(np.int64), 4)
    out = [f"{len(flat):032b}", f"{8 - 1:05b}", "".join(f"{x - 1:04b}" for x in _RLE_SIZES)]
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [len(flat)]]))
    top = 2 ** _RLE_SIZES[-1]
    for start, length in zip(starts.tolist(), lengths.tolist()):
        value = f"{int(flat[start]):08b}"
        while length > 0:
            n = min(length, top)
            k = next(i for i, size in enumerate(_RLE_SIZES) if n - 1 < 2**size)
            out.append(("1" if n > 1 else "0") + f"{k:02b}" + f"{n - 1:0{_RLE_SIZES[k]}b}" + value)
            length -= n
    text = "".join(out)
    text += "0" * (-len(text) % 8)
    return np.packbits(np.array([c == "1" for c in text], np.uint8)).tolist()


def _file_name(ref: str) -> str:
    """The local file part of a task's image reference."""
    parsed = urlparse(ref)
    if parsed.path.startswith("/data/local-files") and parsed.query:
        d = parse_qs(parsed.query).get("d")
        if d:
            return d[0]
    if parsed.path.startswith("/data/upload/"):
        return PurePosixPath(unquote(parsed.path)).name
    if parsed.scheme in ("http", "https", "s3", "gs", "azure-blob"):
        return PurePosixPath(unquote(parsed.path)).name
    return ref


def _number(value: dict[str, Any], key: str, where: str) -> float:
    if key not in value:
        raise DatasetError(f"{where}: field value.{key} is missing")
    v = value[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise DatasetError(f"{where}: field value.{key}: expected a finite number, got {v!r}")
    return float(v)


def _region(
    head: dict[str, Any], tail: dict[str, Any], rid: str, kind: str, value: dict[str, Any], label: str
) -> dict[str, Any]:
    """One result of an export, its keys in Label Studio's order."""
    return {
        **head,
        "value": {**value, kind: [label]},
        "id": rid,
        "from_name": tail["from_name"],
        "to_name": tail["to_name"],
        "type": kind,
        "origin": tail["origin"],
    }


@register_format
class LabelStudioFormat(AnnotationFormat):
    """Label Studio JSON export (see the module notes)."""

    name = "labelstudio"
    tasks = ("detection", "instances")
    describe = "Label Studio JSON export: tasks with rectanglelabels / polygonlabels in percent of the image"

    def read(
        self,
        path: str | os.PathLike,
        *,
        image_root: str | os.PathLike | None = None,
        annotation: int = 0,
        classes: list[str] | tuple[str, ...] | None = None,
        **options: Any,
    ) -> AnnotationSet:
        """Read a Label Studio JSON export.

        Args:
            path: the exported ``.json`` file.
            image_root: the folder the images' file names are relative to (default: the JSON's folder).
            annotation: which of a task's annotations that are not cancelled to read (0: the first).
            classes: the category names in id order (default: the labels found, sorted).

        Raises:
            DatasetError: naming the file, the task, the result and the field of what is malformed.
        """
        if options:
            raise TypeError(f"labelstudio: unknown read options {sorted(options)}")
        path = Path(path)
        try:
            tasks = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DatasetError(f"{path}: file is missing") from None
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path}: not valid JSON ({e})") from None
        if not isinstance(tasks, list):
            raise DatasetError(f"{path}: expected the export's list of tasks, got {type(tasks).__name__}")
        root = Path(image_root) if image_root is not None else path.parent
        names = None if classes is None else {n: i for i, n in enumerate(classes)}
        found: set[str] = set()
        staged = []
        for t, task in enumerate(tasks):
            tw = f"{path}: task {task.get('id', t) if isinstance(task, dict) else t}"
            if not isinstance(task, dict):
                raise DatasetError(f"{tw}: expected an object, got {type(task).__name__}")
            data = task.get("data")
            if not isinstance(data, dict) or not isinstance(data.get("image"), str):
                raise DatasetError(f"{tw}: field data.image is missing")
            anns = [a for a in task.get("annotations", []) if isinstance(a, dict) and not a.get("was_cancelled")]
            results = []
            if len(anns) > annotation:
                results = anns[annotation].get("result")
                if not isinstance(results, list):
                    raise DatasetError(f"{tw}: annotation {annotation}: field result: expected a list")
            ref = data["image"]
            file_name = _file_name(ref)
            size = None
            instances: list[tuple[str, Instance]] = []
            others = []
            for r, res in enumerate(results):
                rw = f"{tw}: result {r}"
                if not isinstance(res, dict):
                    raise DatasetError(f"{rw}: expected an object, got {type(res).__name__}")
                kind = res.get("type")
                if kind not in _REGION:
                    others.append(res)
                    continue
                rw = f"{rw} ({kind})"
                for key in ("original_width", "original_height", "value"):
                    if key not in res:
                        raise DatasetError(f"{rw}: field {key} is missing")
                w, h = res["original_width"], res["original_height"]
                if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
                    raise DatasetError(
                        f"{rw}: fields original_width/original_height: expected positive integers, got {w}x{h}"
                    )
                if size is not None and size != (w, h):
                    raise DatasetError(
                        f"{rw}: fields original_width/original_height: {w}x{h}, but an earlier "
                        f"result says {size[0]}x{size[1]}"
                    )
                size = (w, h)
                if res.get("image_rotation", 0) not in (0, None):
                    raise DatasetError(
                        f"{rw}: field image_rotation: {res['image_rotation']} (a region drawn on a "
                        "rotated image view; this reader takes unrotated images only)"
                    )
                value = res["value"]
                labels = value.get(kind) if isinstance(value, dict) else None
                if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
                    raise DatasetError(f"{rw}: field value.{kind}: expected one label, got {labels!r}")
                label = labels[0]
                if names is not None and label not in names:
                    raise DatasetError(
                        f"{rw}: field value.{kind}: unknown category {label!r} (classes: {sorted(names)})"
                    )
                attrs: dict[str, Any] = {}
                if kind == "rectanglelabels":
                    x, y, bw, bh = (_number(value, k, rw) for k in ("x", "y", "width", "height"))
                    rot = _number(value, "rotation", rw) if "rotation" in value else 0.0
                    px = tuple(_pixels(v, side) for v, side in ((x, w), (y, h), (bw, w), (bh, h)))
                    if bw < 0 or bh < 0:
                        raise DatasetError(f"{rw}: fields value.width/height: negative size {bw}, {bh}")
                    if rot % 360 == 0:
                        inst = Instance(-1, [px[0], px[1], px[0] + px[2], px[1] + px[3]])
                    else:
                        corners = rotated_rectangle(*px, rot)
                        poly = Polygons((corners,))
                        attrs = {"rotation": rot, "rect": list(px)}
                        inst = Instance(-1, poly.bbox, polygons=poly)
                elif kind == "brushlabels":
                    if value.get("format") != "rle" or not isinstance(value.get("rle"), list):
                        raise DatasetError(
                            f"{rw}: fields value.format/value.rle: expected format 'rle' and a list "
                            f"of bytes, got format {value.get('format')!r}"
                        )
                    try:
                        m = ls_brush_decode(value["rle"], width=w, height=h)
                    except (ValueError, TypeError) as e:
                        raise DatasetError(f"{rw}: field value.rle: {e}") from None
                    rle = RLE.encode(m)
                    bx, by, bw_, bh_ = rle.bbox
                    inst = Instance(-1, [bx, by, bx + bw_, by + bh_], rle=rle)
                else:
                    pts = value.get("points")
                    try:
                        arr = np.asarray(pts, np.float64)
                    except (TypeError, ValueError):
                        arr = np.zeros((0,))
                    if arr.ndim != 2 or arr.shape[1] != 2 or not np.all(np.isfinite(arr)):
                        raise DatasetError(f"{rw}: field value.points: expected a list of [x, y] percent pairs")
                    if len(arr) < 3:
                        raise DatasetError(
                            f"{rw}: field value.points: a polygon needs at least 3 points, got {len(arr)}"
                        )
                    poly = Polygons((_pixels(arr, np.array([w, h])),))
                    inst = Instance(-1, poly.bbox, polygons=poly)
                    if value.get("closed") is False:
                        attrs["closed"] = False
                x1, y1, x2, y2 = inst.box
                tol = 1e-9 * max(w, h)
                if x1 < -tol or y1 < -tol or x2 > w + tol or y2 > h + tol:
                    raise DatasetError(
                        f"{rw}: field value: the region {[round(float(v), 4) for v in inst.box]} lies "
                        f"outside the {w}x{h} image"
                    )
                inst.box = np.clip(inst.box, 0.0, [w, h, w, h])  # float dust past the edge is on the edge
                inst.attributes = attrs
                found.add(label)
                instances.append((label, inst))
            if size is None:
                p = Path(file_name) if Path(file_name).is_absolute() else root / file_name
                try:
                    with Image.open(p) as im:
                        size = im.size
                except (OSError, ValueError) as e:
                    raise DatasetError(
                        f"{tw}: no result gives original_width/original_height and the image "
                        f"{p} is not readable ({type(e).__name__})"
                    ) from None
            task_id = task.get("id", t)
            staged.append((task_id if isinstance(task_id, int) else t, ref, file_name, size, instances, others))
        if names is None:
            names = {n: i for i, n in enumerate(sorted(found))}
        images = []
        for task_id, ref, file_name, (w, h), instances, others in staged:
            insts = []
            for k, (label, inst) in enumerate(instances):
                inst.category_id = names[label]
                inst.id = k
                insts.append(inst)
            attrs: dict[str, Any] = {"ls_image": ref}
            if others:
                attrs["ls_results"] = others
            images.append(AnnotatedImage(file_name, w, h, task_id, insts, attributes=attrs))
        return AnnotationSet(
            [Category(i, n) for n, i in names.items()], images, image_root=root, info={"format": "labelstudio"}
        )

    def write(
        self,
        annotations: AnnotationSet,
        out: str | os.PathLike,
        *,
        from_name: str = "label",
        to_name: str = "image",
        image_prefix: str = "",
        **options: Any,
    ) -> ConversionReport:
        """Write a Label Studio JSON export (importable as tasks with annotations).

        Args:
            annotations: the set to write.
            out: the ``.json`` file.
            from_name: the labelling control's name in the project's config.
            to_name: the image object's name in the project's config.
            image_prefix: put before ``file_name`` as ``data.image`` (e.g. ``/data/local-files/?d=``)
                for images read from another format (a Label Studio reference read is written back).

        Returns:
            The report: category id -> the id a reader gives (the index in the sorted names),
            and what Label Studio cannot hold. On an error nothing is written.
        """
        if options:
            raise TypeError(f"labelstudio: unknown write options {sorted(options)}")
        out = Path(out)
        name_of = {c.id: c.name for c in annotations.categories}
        order = sorted(set(name_of.values()))
        report = ConversionReport(self.name, out, category_map={i: order.index(n) for i, n in name_of.items()})
        tasks = []
        for n, im in enumerate(annotations.images):
            where_im = f"image {im.id} ({im.file_name})"
            W, H = im.width, im.height
            results: list[dict[str, Any]] = []
            head = {"original_width": W, "original_height": H, "image_rotation": 0}
            tail = {"from_name": from_name, "to_name": to_name, "origin": "manual"}

            for k, inst in enumerate(im.instances):
                where = writable_instance("labelstudio", im, k, inst, name_of)
                x1, y1, x2, y2 = (float(v) for v in inst.box)
                label = name_of[inst.category_id]
                a = dict(inst.attributes)
                rot, rect = a.pop("rotation", None), a.pop("rect", None)
                closed = a.pop("closed", None)
                if inst.iscrowd:
                    report.skipped.append(
                        f"{where}: crowd region (Label Studio has no crowd flag; written as a plain region)"
                    )
                for key in sorted(a):
                    report.skipped.append(f"{where}: attribute {key!r} (Label Studio regions hold none here)")
                if inst.keypoints is not None:
                    report.skipped.append(f"{where}: {len(inst.keypoints)} keypoints (Label Studio keeps the region)")
                if rot is not None and rect is not None:
                    rx, ry, rw, rh = (float(v) for v in rect)
                    value = {
                        "x": rx / W * 100,
                        "y": ry / H * 100,
                        "width": rw / W * 100,
                        "height": rh / H * 100,
                        "rotation": float(rot),
                    }
                    results.append(_region(head, tail, f"{n}_{len(results)}", "rectanglelabels", value, label))
                elif inst.polygons is not None and len(inst.polygons.rings):
                    if len(inst.polygons.rings) > 1:
                        report.skipped.append(
                            f"{where}: {len(inst.polygons.rings)} polygon rings (Label Studio has "
                            "no multi-ring region; written as separate polygons)"
                        )
                    for ring in inst.polygons.rings:
                        value = {
                            "points": (ring / np.array([W, H]) * 100).tolist(),
                            "closed": closed if closed is not None else True,
                        }
                        results.append(_region(head, tail, f"{n}_{len(results)}", "polygonlabels", value, label))
                elif inst.rle is not None:
                    try:
                        m = inst.mask(height=H, width=W)
                    except ValueError as e:
                        raise DatasetError(f"labelstudio: {where}: field rle: {e}") from None
                    if m.any():
                        bx, by, bw_, bh_ = RLE.encode(m).bbox.tolist()
                        bounds = [bx, by, bx + bw_, by + bh_]
                        if not np.allclose(bounds, inst.box, rtol=0, atol=1e-9):
                            report.skipped.append(
                                f"{where}: box {inst.box.tolist()} (a brush region has no box; "
                                f"its mask's bounds {bounds} are kept)"
                            )
                    else:
                        report.skipped.append(
                            f"{where}: box {inst.box.tolist()} of an empty mask (a brush region has no box)"
                        )
                    value = {"format": "rle", "rle": ls_brush_encode(m)}
                    results.append(_region(head, tail, f"{n}_{len(results)}", "brushlabels", value, label))
                else:
                    value = {
                        "x": x1 / W * 100,
                        "y": y1 / H * 100,
                        "width": (x2 - x1) / W * 100,
                        "height": (y2 - y1) / H * 100,
                        "rotation": 0,
                    }
                    results.append(_region(head, tail, f"{n}_{len(results)}", "rectanglelabels", value, label))
                report.instances += 1
            results += list(im.attributes.get("ls_results", []))
            for key in sorted(set(im.attributes) - {"ls_image", "ls_results"}):
                report.skipped.append(f"{where_im}: attribute {key!r} (Label Studio tasks hold only data.image here)")
            if im.captions:
                report.skipped.append(f"{where_im}: {len(im.captions)} captions")
            if im.segmentation is not None:
                report.skipped.append(f"{where_im}: segmentation image {im.segmentation}")
            if im.segments:
                report.skipped.append(f"{where_im}: {len(im.segments)} panoptic segments")
            ref = im.attributes.get("ls_image") or image_prefix + im.file_name
            tasks.append(
                {
                    "id": im.id if isinstance(im.id, int) else n,
                    "annotations": [{"id": n + 1, "result": results, "was_cancelled": False, "ground_truth": False}],
                    "predictions": [],
                    "data": {"image": ref},
                }
            )
            report.images += 1
        atomic_write(out, json.dumps(tasks, indent=2, ensure_ascii=False) + "\n")
        return report


def _pixels(percent, side):
    """Percent of a side -> pixels, rounded to 1e-9 px: ``x / W * 100`` and back is exact again
    (without the rounding, 12.5 px comes back as 12.499999999999998 and a rasteriser that cuts at
    the half pixel fills another column)."""
    if np.ndim(percent):
        return np.round(np.asarray(percent, dtype=np.float64) / 100 * side, 9)
    return round(float(percent) / 100 * float(side), 9)
