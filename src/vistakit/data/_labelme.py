"""labelme: one JSON file per image, with its shapes.

A labelme file (labelme 5.x writes these keys in this order)::

    {"version": "5.5.0", "flags": {},
     "shapes": [{"label": "dog", "points": [[x, y], ...], "group_id": null, "description": "",
                 "shape_type": "polygon", "flags": {}, "mask": null}, ...],
     "imagePath": "a.jpg", "imageData": null, "imageHeight": 480, "imageWidth": 640}

Shapes, in pixel coordinates of the image:

* ``rectangle``: two opposite corners -> the box;
* ``polygon``: the outline -> :class:`Polygons` and its box; polygons with the same label and
  ``group_id`` are one instance with several rings (as labelme's ``labelme2coco`` merges them);
* ``mask`` (labelme >= 5.3): ``points`` are the inclusive pixel corners ``[[xmin, ymin], [xmax, ymax]]``
  and ``mask`` a base64 PNG of that crop -> an :class:`RLE` and the box ``[xmin, ymin, xmax + 1, ymax + 1]``;
* ``circle``: centre and a point on the circle -> an instance whose box bounds the circle (clipped to
  the image), with ``shape_type`` and ``points`` kept in its attributes so it is written back as a circle;
* ``point``, ``points``, ``line``, ``linestrip``: not objects with an extent; kept as they are in the
  image's ``shapes`` attribute and written back.

The image is the file ``imagePath`` names (``imageData``, the optional embedded copy, is not
decoded; the writer embeds the file with ``image_data=True``). Labels become categories by name (sorted, ids 0..N-1, or the ``classes`` given). A shape's
``group_id``, ``description`` and ``flags`` are the instance's attributes; the shape flag
``iscrowd`` is the crowd flag (labelme has none: writing a crowd region reports it).
"""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

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
    mask_crop,
    next_group_id,
    place_images,
    register_format,
    writable_instance,
)
from ._errors import DatasetError

__all__ = ["LabelmeFormat"]

_REGION = ("rectangle", "polygon", "circle", "mask")
_OTHER = ("point", "points", "line", "linestrip")
_SHAPE_ATTRS = ("group_id", "description", "flags")
LABELME_VERSION = "5.5.0"


def _points(shape: dict[str, Any], where: str) -> np.ndarray:
    pts = shape.get("points")
    try:
        arr = np.asarray(pts, dtype=np.float64)
    except (TypeError, ValueError):
        raise DatasetError(f"{where}: field points: expected a list of [x, y] pairs, got {pts!r}") from None
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.all(np.isfinite(arr)):
        raise DatasetError(f"{where}: field points: expected a list of finite [x, y] pairs, got {pts!r}")
    return arr


def _decode_mask(b64: Any, where: str) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(base64.b64decode(b64, validate=True))) as im:
            return np.array(im) != 0 if im.mode in ("L", "1", "P") else np.array(im.convert("L")) != 0
    except (TypeError, ValueError, OSError) as e:
        raise DatasetError(f"{where}: field mask: not a base64 PNG ({e})") from None


def _encode_mask(crop: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(crop.astype(np.uint8)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _read_file(
    path: Path, root: Path, index: int, names: dict[str, int] | None, found: set[str]
) -> tuple[AnnotatedImage, list[tuple[str, Instance, str]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected a labelme object with `shapes`, got {type(data).__name__}")
    for key in ("shapes", "imagePath", "imageHeight", "imageWidth"):
        if key not in data:
            raise DatasetError(f"{path}: field {key} is missing")
    width, height = data["imageWidth"], data["imageHeight"]
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise DatasetError(f"{path}: fields imageWidth/imageHeight: expected positive integers, got {width}x{height}")
    if not isinstance(data["shapes"], list):
        raise DatasetError(f"{path}: field shapes: expected a list, got {type(data['shapes']).__name__}")
    image_path = str(data["imagePath"]).replace("\\", "/")  # labelme on Windows writes backslashes
    rel = os.path.normpath(os.path.relpath(path.parent / image_path, root)).replace(os.sep, "/")
    attrs: dict[str, Any] = {"json": path.relative_to(root).as_posix()}
    if data.get("flags"):
        attrs["flags"] = data["flags"]
    if data.get("version"):
        attrs["version"] = data["version"]
    others: list[dict[str, Any]] = []
    pending: list[tuple[str, Instance, str]] = []  # label, instance, where
    groups: dict[tuple[str, Any], Instance] = {}
    for k, shape in enumerate(data["shapes"]):
        where = f"{path}: shape {k}"
        if not isinstance(shape, dict):
            raise DatasetError(f"{where}: expected an object, got {type(shape).__name__}")
        if "label" not in shape or not isinstance(shape["label"], str):
            raise DatasetError(f"{where}: field label is missing")
        label = shape["label"]
        where = f"{where} ({label})"
        kind = shape.get("shape_type") or "polygon"  # labelme 3 left it out for polygons
        if kind in _OTHER:
            _points(shape, where)
            others.append(shape)
            continue
        if kind not in _REGION:
            raise DatasetError(
                f"{where}: field shape_type: unknown shape type {kind!r} (known: {', '.join(_REGION + _OTHER)})"
            )
        pts = _points(shape, where)
        a = {key: shape[key] for key in _SHAPE_ATTRS if shape.get(key) not in (None, "", {})}
        flags = dict(a.get("flags", {}))
        crowd = bool(flags.pop("iscrowd", False))
        if flags:
            a["flags"] = flags
        else:
            a.pop("flags", None)
        if kind == "rectangle":
            if len(pts) != 2:
                raise DatasetError(f"{where}: field points: a rectangle has 2 corners, got {len(pts)} points")
            box = np.concatenate([pts.min(axis=0), pts.max(axis=0)])
            inst = Instance(-1, box, iscrowd=crowd, attributes=a)
        elif kind == "polygon":
            if len(pts) < 3:
                raise DatasetError(f"{where}: field points: a polygon needs at least 3 points, got {len(pts)}")
            key = (label, shape.get("group_id"))
            if shape.get("group_id") is not None and key in groups:
                g = groups[key]
                g.polygons = Polygons(g.polygons.rings + (pts,))
                g.box = g.polygons.bbox
                continue
            poly = Polygons((pts,))
            inst = Instance(-1, poly.bbox, polygons=poly, iscrowd=crowd, attributes=a)
            if shape.get("group_id") is not None:
                groups[key] = inst
        elif kind == "circle":
            if len(pts) != 2:
                raise DatasetError(
                    f"{where}: field points: a circle has a centre and a point on it, got {len(pts)} points"
                )
            r = float(np.hypot(*(pts[1] - pts[0])))
            (cx, cy) = pts[0]
            box = np.array([max(cx - r, 0), max(cy - r, 0), min(cx + r, width), min(cy + r, height)])
            inst = Instance(-1, box, iscrowd=crowd, attributes={**a, "shape_type": "circle", "points": pts.tolist()})
        else:  # mask
            if len(pts) != 2 or not np.all(pts == np.round(pts)):
                raise DatasetError(f"{where}: field points: a mask has 2 integer pixel corners, got {pts.tolist()}")
            (x1, y1), (x2, y2) = pts.astype(int)
            if "mask" not in shape or shape["mask"] is None:
                raise DatasetError(f"{where}: field mask is missing")
            crop = _decode_mask(shape["mask"], where)
            if crop.shape != (y2 - y1 + 1, x2 - x1 + 1):
                raise DatasetError(
                    f"{where}: field mask: a {crop.shape[1]}x{crop.shape[0]} crop for the corners "
                    f"{pts.tolist()} (expected {x2 - x1 + 1}x{y2 - y1 + 1})"
                )
            if x1 < 0 or y1 < 0 or x2 >= width or y2 >= height:
                raise DatasetError(
                    f"{where}: field points: the mask {pts.tolist()} lies outside the {width}x{height} image"
                )
            full = np.zeros((height, width), bool)
            full[y1 : y2 + 1, x1 : x2 + 1] = crop
            inst = Instance(-1, [x1, y1, x2 + 1, y2 + 1], rle=RLE.encode(full), iscrowd=crowd, attributes=a)
        x1, y1, x2, y2 = inst.box
        if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
            raise DatasetError(
                f"{where}: field points: the {kind} {pts.tolist()} lies outside the {width}x{height} image"
            )
        if names is not None and label not in names:
            raise DatasetError(f"{where}: field label: unknown category {label!r} (classes: {sorted(names)})")
        found.add(label)
        pending.append((label, inst, where))
    if others:
        attrs["shapes"] = others
    return AnnotatedImage(rel, width, height, index, [], attributes=attrs), pending


@register_format
class LabelmeFormat(AnnotationFormat):
    """labelme JSON files (see the module notes)."""

    name = "labelme"
    tasks = ("detection", "instances")
    describe = "labelme: a JSON per image (shapes: rectangle, polygon, mask, circle; points and lines kept)"

    def read(
        self, path: str | os.PathLike, *, classes: list[str] | tuple[str, ...] | None = None, **options: Any
    ) -> AnnotationSet:
        """Read every labelme JSON under a folder (or one file).

        Args:
            path: a folder (searched recursively for ``*.json``) or one JSON file.
            classes: the category names in id order (default: the labels found, sorted).

        Returns:
            The annotation set, ``file_name`` s relative to the folder (``image_root``).

        Raises:
            DatasetError: naming the file, the shape and the field of what is malformed.
        """
        if options:
            raise TypeError(f"labelme: unknown read options {sorted(options)}")
        path = Path(path)
        if path.is_file():
            root, files = path.parent, [path]
        elif path.is_dir():
            root = path
            files = sorted(p for p in path.rglob("*.json") if not any(part.startswith(".") for part in p.parts))
            if not files:
                raise DatasetError(f"{path}: no labelme .json files in this folder")
        else:
            raise DatasetError(f"{path}: no such file or folder")
        names = None if classes is None else {n: i for i, n in enumerate(classes)}
        found: set[str] = set()
        read = [_read_file(p, root, i, names, found) for i, p in enumerate(files)]
        if names is None:
            names = {n: i for i, n in enumerate(sorted(found))}
        images = []
        for im, pending in read:
            for k, (label, inst, _) in enumerate(pending):
                inst.category_id = names[label]
                inst.id = k
                im.instances.append(inst)
            images.append(im)
        return AnnotationSet(
            [Category(i, n) for n, i in names.items()], images, image_root=root, info={"format": "labelme"}
        )

    def write(
        self,
        annotations: AnnotationSet,
        out: str | os.PathLike,
        *,
        images: str = "copy",
        image_data: bool = False,
        **options: Any,
    ) -> ConversionReport:
        """Write one labelme JSON per image under ``out``.

        The JSON goes where it was read from (the image's ``json`` attribute), else beside the
        image's path; ``imagePath`` is relative to it. Everything is encoded before the first
        file is written: on an error nothing is written.

        Args:
            annotations: the set to write.
            out: the folder.
            images: ``"copy"`` the images into ``out``, ``"symlink"`` them, or ``"none"``
                (``imagePath`` then points at the source image).
            image_data: embed the image file, base64, as ``imageData`` (labelme's option).

        Returns:
            The report: category id -> the id a labelme reader gives (the index in the sorted
            names), and what labelme cannot hold.
        """
        if options:
            raise TypeError(f"labelme: unknown write options {sorted(options)}")
        if images not in ("copy", "symlink", "none"):
            raise ValueError(f"labelme: images must be 'copy', 'symlink' or 'none', got {images!r}")
        out = Path(out)
        name_of = {c.id: c.name for c in annotations.categories}
        order = sorted(set(name_of.values()))
        report = ConversionReport(self.name, out, category_map={i: order.index(n) for i, n in name_of.items()})
        files: dict[Path, str] = {}
        copies: list[tuple[Path, Path]] = []
        for im in annotations.images:
            where_im = f"image {im.id} ({im.file_name})"
            src = annotations.image_path(im)
            rel = PurePosixPath(im.file_name.replace("\\", "/"))
            local = not rel.is_absolute() and ".." not in rel.parts
            dest_image = out / (rel if local else rel.name)
            json_rel = im.attributes.get("json") or str(rel.with_suffix(".json") if local else rel.stem + ".json")
            json_path = out / json_rel
            if json_path in files:
                raise DatasetError(f"labelme: {where_im}: its JSON {json_path} is another image's too")
            if (images != "none" or image_data) and not src.is_file():
                raise DatasetError(
                    f"labelme: {where_im}: image file {src} is missing "
                    "(write with images='none' to write the JSON only)"
                )
            if images != "none":
                copies.append((src, dest_image))
                image_path = os.path.relpath(dest_image, json_path.parent)
            else:
                image_path = os.path.relpath(src.resolve(), json_path.parent.resolve())
            shapes = []
            next_group = next_group_id(im)
            for k, inst in enumerate(im.instances):
                where = writable_instance("labelme", im, k, inst, name_of)
                x1, y1, x2, y2 = (float(v) for v in inst.box)
                a = dict(inst.attributes)
                flags = dict(a.pop("flags", None) or {})
                label = name_of[inst.category_id]
                base = {"group_id": a.pop("group_id", None), "description": a.pop("description", "") or ""}
                if inst.iscrowd:
                    flags["iscrowd"] = True
                    report.skipped.append(
                        f"{where}: crowd region (labelme has no crowd flag; written with the shape flag iscrowd)"
                    )
                kind = a.pop("shape_type", None)
                circle = a.pop("points", None) if kind == "circle" else None
                for key in sorted(a):
                    if isinstance(a[key], bool):
                        flags[key] = a[key]
                    else:
                        report.skipped.append(f"{where}: attribute {key!r} (labelme shapes hold only boolean flags)")
                if inst.keypoints is not None:
                    report.skipped.append(f"{where}: {len(inst.keypoints)} keypoints (labelme keeps the box)")
                geoms: list[tuple[str, list, Any]] = []  # shape_type, points, mask
                if inst.polygons is not None and len(inst.polygons.rings):
                    rings = inst.polygons.rings
                    if len(rings) > 1 and base["group_id"] is None:
                        base["group_id"] = next_group
                        next_group += 1
                    geoms = [("polygon", r.tolist(), None) for r in rings]
                elif inst.rle is not None:
                    try:
                        m = inst.mask(height=im.height, width=im.width)
                    except ValueError as e:
                        raise DatasetError(f"labelme: {where}: field rle: {e}") from None
                    if not m.any():
                        report.skipped.append(f"{where}: empty mask (labelme cannot hold it; written as its box)")
                        geoms = [("rectangle", [[x1, y1], [x2, y2]], None)]
                    else:
                        (bx1, by1, bx2, by2), exact = mask_crop(m, inst.box)
                        if not exact:
                            report.skipped.append(
                                f"{where}: box {inst.box.tolist()} (a labelme mask shape's box is "
                                f"its integer crop; the mask's bounds {[bx1, by1, bx2, by2]} are kept)"
                            )
                        geoms = [("mask", [[bx1, by1], [bx2 - 1, by2 - 1]], _encode_mask(m[by1:by2, bx1:bx2]))]
                elif circle is not None:
                    geoms = [("circle", circle, None)]
                else:
                    geoms = [("rectangle", [[x1, y1], [x2, y2]], None)]
                for kind_out, pts, mask in geoms:
                    shapes.append(
                        {
                            "label": label,
                            "points": pts,
                            **base,
                            "shape_type": kind_out,
                            "flags": dict(flags),
                            "mask": mask,
                        }
                    )
                report.instances += 1
            shapes += list(im.attributes.get("shapes", []))
            for key in sorted(set(im.attributes) - {"json", "flags", "version", "shapes"}):
                report.skipped.append(f"{where_im}: attribute {key!r} (labelme files hold only flags)")
            if im.captions:
                report.skipped.append(f"{where_im}: {len(im.captions)} captions")
            if im.segmentation is not None:
                report.skipped.append(f"{where_im}: segmentation image {im.segmentation}")
            if im.segments:
                report.skipped.append(f"{where_im}: {len(im.segments)} panoptic segments")
            doc = {
                "version": im.attributes.get("version", LABELME_VERSION),
                "flags": im.attributes.get("flags", {}),
                "shapes": shapes,
                "imagePath": Path(image_path).as_posix(),
                "imageData": base64.b64encode(src.read_bytes()).decode("ascii") if image_data else None,
                "imageHeight": im.height,
                "imageWidth": im.width,
            }
            files[json_path] = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
            report.images += 1
        place_images(copies, mode=images)
        for p, text in files.items():
            atomic_write(p, text)
        return report
