"""YOLO (Ultralytics / Darknet) labels: one ``.txt`` per image and a ``data.yaml``.

The layout Ultralytics reads::

    data.yaml            train: images/train   val: images/val   (path: the root, else the yaml's folder)
                         names: {0: person, 1: car}    (or a list: [person, car])
    images/train/a.jpg   labels/train/a.txt   (the last "images" path part becomes "labels")

Each line of a label file is one object, every coordinate normalized by the image's width
(x) or height (y):

* detection: ``class cx cy w h`` (the box centre and size);
* segmentation: ``class x1 y1 x2 y2 ... xn yn`` (one polygon ring, n >= 3);
* pose (``kpt_shape: [K, 3]`` in data.yaml): ``class cx cy w h px1 py1 v1 ...``.

Class ids are 0..N-1 indices into ``names``. The sizes the coordinates are normalized by
come from the images (only their headers are read). An image without a label file is a
background image (no objects), as Ultralytics treats it. A box corner past the image edge by
no more than the rounding of its written centre and size (1e-4, normalized) is put on the edge;
further out is an error.

Writing maps the source category ids, sorted, to 0..N-1 (reported in
:attr:`ConversionReport.category_map`) and, by default (``decimals=None``), writes each
normalized value as the shortest decimal that reads back as the same float (``repr``), so
the round trip is exact to about 1e-12 pixels. ``decimals=6`` writes Ultralytics' usual six
places: each value is then within ``0.5e-6`` of the exact normalized one, so a box corner
read back (``(cx -/+ w/2) * W``) is within ``0.75e-6 * W`` pixels of the original (under
0.5 milli-pixels for a 640-pixel image) and a polygon point within ``0.5e-6 * W``. What YOLO cannot hold is
listed in the report: crowd regions (not written: YOLO would train on them as objects),
keypoints (outside the pose layout), polygons in detection labels (the box is kept), masks
given only as RLE and extra rings in segmentation labels.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from PIL import Image

from .._files import atomic_write, list_images
from ..structures import Polygons
from ._annotations import (
    AnnotatedImage,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    instance_where,
    place_images,
    register_format,
)
from ._errors import DatasetError

__all__ = ["YoloFormat", "yolo_label_path"]


def yolo_label_path(image: str | os.PathLike) -> Path:
    """The label file Ultralytics reads for ``image``: the last ``images`` part becomes ``labels``, suffix ``.txt``."""
    p = Path(image)
    parts = list(p.parts)
    for i in range(len(parts) - 2, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts).with_suffix(".txt")
    return p.with_suffix(".txt")


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(f"{path}: file is missing") from None
    except yaml.YAMLError as e:
        raise DatasetError(f"{path}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected a mapping with `names` and the split folders, got {type(data).__name__}")
    return data


def _names(data: dict[str, Any], path: Path) -> list[str]:
    if "names" not in data:
        raise DatasetError(f"{path}: field `names` is missing (a list of class names or a mapping id -> name)")
    names = data["names"]
    if isinstance(names, list):
        out = [str(n) for n in names]
    elif isinstance(names, dict):
        try:
            keys = sorted(int(k) for k in names)
        except (TypeError, ValueError):
            raise DatasetError(
                f"{path}: field `names`: mapping keys must be class ids 0..N-1, got {list(names)}"
            ) from None
        if keys != list(range(len(keys))):
            raise DatasetError(f"{path}: field `names`: class ids must be 0..{len(keys) - 1}, got {keys}")
        by_id = {int(k): v for k, v in names.items()}
        out = [str(by_id[i]) for i in keys]
    else:
        raise DatasetError(f"{path}: field `names`: expected a list or a mapping, got {type(names).__name__}")
    if "nc" in data and data["nc"] != len(out):
        raise DatasetError(f"{path}: field `nc` is {data['nc']} but `names` has {len(out)} entries")
    return out


def _split_images(root: Path, entry: Any, yaml_path: Path, split: str) -> list[Path]:
    entries = entry if isinstance(entry, list) else [entry]
    found: list[Path] = []
    for e in entries:
        if not isinstance(e, str):
            raise DatasetError(
                f"{yaml_path}: field `{split}`: expected a folder, a .txt list or a list of them, got {e!r}"
            )
        p = Path(e) if Path(e).is_absolute() else root / e
        if p.is_dir():
            found += list_images(p)
        elif p.suffix == ".txt" and p.is_file():
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
                line = line.strip()
                if line:
                    q = Path(line)
                    q = q if q.is_absolute() else (p.parent / q)
                    if not q.is_file():
                        raise DatasetError(f"{p}: line {n}: image {line!r} does not exist")
                    found.append(q)
        else:
            raise DatasetError(f"{yaml_path}: field `{split}`: {p} is neither an image folder nor a .txt list")
    return found


#: How far (normalized) a box corner may pass the image edge and be taken as on it: the rounding of
#: ``cx`` and ``w / 2`` written with 4 or more decimals (0.5e-4 + 0.25e-4).
_ROUNDING = 1e-4


def _parse_label_file(
    path: Path, *, width: int, height: int, num_classes: int, kpt_shape: tuple[int, int] | None
) -> list[Instance]:
    out: list[Instance] = []
    scale = np.array([width, height], np.float64)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}: line {n}"
        try:
            cls = int(fields[0])
        except ValueError:
            raise DatasetError(f"{where}: field 1 (class): expected an integer class id, got {fields[0]!r}") from None
        if not 0 <= cls < num_classes:
            raise DatasetError(
                f"{where}: field 1 (class): unknown class id {cls} (data.yaml names 0..{num_classes - 1})"
            )
        try:
            vals = np.array([float(v) for v in fields[1:]], np.float64)
        except ValueError:
            raise DatasetError(f"{where}: coordinates must be numbers, got {fields[1:]}") from None
        if not np.all(np.isfinite(vals)):
            raise DatasetError(f"{where}: coordinates must be finite, got {fields[1:]}")
        if kpt_shape is not None:
            k, dims = kpt_shape
            if len(vals) != 4 + k * dims:
                raise DatasetError(
                    f"{where}: a pose line needs class, 4 box values and {k}x{dims} keypoint values "
                    f"(kpt_shape {list(kpt_shape)}), got {len(vals)} values"
                )
        elif len(vals) != 4 and (len(vals) < 6 or len(vals) % 2):
            raise DatasetError(
                f"{where}: expected `class cx cy w h` or a polygon `class x1 y1 ... xn yn` with "
                f"n >= 3 points, got {len(vals)} values"
            )
        coords = vals[:4] if (kpt_shape is not None or len(vals) == 4) else vals
        bad = np.flatnonzero((coords < 0) | (coords > 1))
        if bad.size:
            i = int(bad[0])
            raise DatasetError(
                f"{where}: field {i + 2}: {fields[i + 1]} is outside [0, 1]: the "
                f"{'box' if len(coords) == 4 else 'polygon'} lies outside the {width}x{height} image"
            )
        if kpt_shape is None and len(vals) > 4:
            ring = vals.reshape(-1, 2) * scale
            poly = Polygons((ring,))
            out.append(Instance(cls, poly.bbox, polygons=poly))
            continue
        cx, cy, w, h = vals[:4]
        if w < 0 or h < 0:
            raise DatasetError(f"{where}: fields 4-5 (w h): negative size {w}, {h}")
        corners = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        if corners.min() < -_ROUNDING or corners.max() > 1 + _ROUNDING:
            raise DatasetError(
                f"{where}: fields 2-5 (cx cy w h): the box {np.round(corners, 6).tolist()} (normalized) "
                f"lies outside the {width}x{height} image"
            )
        # A corner past the edge by the rounding of the written centre and size is on the edge.
        box = np.clip(corners, 0.0, 1.0) * np.array([width, height, width, height], np.float64)
        kps = None
        if kpt_shape is not None:
            k, dims = kpt_shape
            raw = vals[4:].reshape(k, dims)
            kps = np.zeros((k, 3))
            kps[:, :2] = raw[:, :2] * scale
            kps[:, 2] = raw[:, 2] if dims == 3 else 2.0
        out.append(Instance(cls, box, keypoints=kps))
    return out


def _image_size(path: Path, where: str) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise DatasetError(f"{where}: image {path} is missing") from None
    except (OSError, ValueError, SyntaxError) as e:  # PIL: UnidentifiedImageError (an OSError), ...
        raise DatasetError(f"{where}: image {path} is not readable ({type(e).__name__}: {e})") from None


def _fmt(v: float, decimals: int | None) -> str:
    return repr(float(v)) if decimals is None else f"{v:.{decimals}f}"


@register_format
class YoloFormat(AnnotationFormat):
    """YOLO txt labels + data.yaml (see the module notes)."""

    name = "yolo"
    tasks = ("detection", "instances", "keypoints")
    describe = "YOLO / Ultralytics: labels/*.txt per image (class cx cy w h, or a polygon; normalized) + data.yaml"

    def read(self, path: str | os.PathLike, *, split: str = "train", **options: Any) -> AnnotationSet:
        """Read one split of a YOLO data set.

        Args:
            path: the ``data.yaml`` file, or the folder holding it.
            split: the data.yaml key whose images to read (``train``, ``val``, ``test``).

        Returns:
            The annotation set; category ids are the class indices 0..N-1, ``file_name`` s
            are relative to the data set root (data.yaml's ``path``, or its folder).

        Raises:
            DatasetError: naming the file, the line and the field of what is malformed.
        """
        if options:
            raise TypeError(f"yolo: unknown read options {sorted(options)}")
        yaml_path = Path(path)
        if yaml_path.is_dir():
            candidates = [yaml_path / n for n in ("data.yaml", "data.yml", "dataset.yaml")]
            found = [c for c in candidates if c.is_file()]
            if not found:
                raise DatasetError(f"{yaml_path}: no data.yaml in this folder")
            yaml_path = found[0]
        data = _load_yaml(yaml_path)
        names = _names(data, yaml_path)
        # Ultralytics: `path` absolute, or relative to its datasets folder; left out: the yaml's folder.
        root = Path(data.get("path") or ".")
        if not root.is_absolute():
            root = yaml_path.parent / root if (yaml_path.parent / root).is_dir() else yaml_path.parent
        if split not in data or data[split] in (None, ""):
            present = [k for k in ("train", "val", "test") if data.get(k)]
            raise DatasetError(f"{yaml_path}: field `{split}` is missing (splits present: {present})")
        kpt = data.get("kpt_shape")
        kpt_shape = None
        if kpt is not None:
            if not (isinstance(kpt, list) and len(kpt) == 2 and kpt[1] in (2, 3)):
                raise DatasetError(f"{yaml_path}: field `kpt_shape`: expected [K, 2] or [K, 3], got {kpt!r}")
            kpt_shape = (int(kpt[0]), int(kpt[1]))
        images = []
        for idx, img_path in enumerate(_split_images(root, data[split], yaml_path, split)):
            width, height = _image_size(img_path, f"{yaml_path}: split {split}")
            label = yolo_label_path(img_path)
            instances = (
                _parse_label_file(label, width=width, height=height, num_classes=len(names), kpt_shape=kpt_shape)
                if label.is_file()
                else []
            )
            try:
                rel = img_path.relative_to(root).as_posix()
            except ValueError:
                rel = str(img_path.resolve())
            images.append(AnnotatedImage(rel, width, height, idx, instances))
        kp_names = tuple(f"kp{i}" for i in range(kpt_shape[0])) if kpt_shape else ()
        categories = [Category(i, n, keypoints=kp_names) for i, n in enumerate(names)]
        return AnnotationSet(
            categories, images, image_root=root, info={"format": "yolo", "data_yaml": str(yaml_path), "split": split}
        )

    def write(
        self,
        annotations: AnnotationSet,
        out: str | os.PathLike,
        *,
        split: str = "train",
        task: str = "detect",
        decimals: int | None = None,
        images: str = "copy",
        **options: Any,
    ) -> ConversionReport:
        """Write ``annotations`` as a YOLO data set under ``out``.

        ``out/data.yaml`` (``{split}: images/{split}``, ``names`` as a mapping; no ``path``, so
        Ultralytics takes the yaml's folder),
        ``out/labels/{split}/<stem>.txt`` per image (empty for an image without objects) and,
        unless ``images="none"``, the images under ``out/images/{split}/``. Everything is
        checked before the first file is written: on an error nothing is written.

        Args:
            annotations: the set to write.
            out: the data set folder.
            split: the split name to write (a data.yaml key).
            task: ``"detect"`` (boxes) or ``"segment"`` (one polygon ring per object).
            decimals: decimal places of the normalized values (None, the default: the shortest
                exact ``repr``, a lossless round trip; 6: Ultralytics' usual files).
            images: ``"copy"``, ``"symlink"`` or ``"none"`` (labels and data.yaml only).

        Returns:
            The report, with the category map and what YOLO cannot hold.
        """
        if options:
            raise TypeError(f"yolo: unknown write options {sorted(options)}")
        if task not in ("detect", "segment"):
            raise ValueError(f"yolo: task must be 'detect' or 'segment', got {task!r}")
        if images not in ("copy", "symlink", "none"):
            raise ValueError(f"yolo: images must be 'copy', 'symlink' or 'none', got {images!r}")
        out = Path(out)
        cats = sorted(annotations.categories, key=lambda c: c.id)
        cmap = {c.id: i for i, c in enumerate(cats)}
        report = ConversionReport(self.name, out, category_map=dict(cmap))
        files: dict[Path, str] = {}
        copies: list[tuple[Path, Path]] = []
        for im in annotations.images:
            src_img = annotations.image_path(im)
            name = Path(im.file_name).name
            dst_img = out / "images" / split / name
            label = out / "labels" / split / (Path(name).stem + ".txt")
            if label in files:
                raise DatasetError(
                    f"yolo: image {im.id} ({im.file_name}): another image has the same stem; "
                    f"its label file {label} would be overwritten"
                )
            if images != "none":
                if not src_img.is_file():
                    raise DatasetError(
                        f"yolo: image {im.id} ({im.file_name}): image file {src_img} is missing "
                        "(write with images='none' to write the labels only)"
                    )
                copies.append((src_img, dst_img))
            if im.width <= 0 or im.height <= 0:
                raise DatasetError(f"yolo: image {im.id} ({im.file_name}): field width/height: {im.width}x{im.height}")
            lines = []
            for k, inst in enumerate(im.instances):
                where = instance_where(im, k, inst)
                if inst.category_id not in cmap:
                    raise DatasetError(f"yolo: {where}: field category_id: unknown category id {inst.category_id}")
                if inst.iscrowd:
                    report.skipped.append(f"{where}: crowd region (YOLO has no crowd flag; not written)")
                    continue
                if inst.keypoints is not None:
                    report.skipped.append(f"{where}: {len(inst.keypoints)} keypoints (not written; the box is kept)")
                for key in sorted(inst.attributes):
                    report.skipped.append(f"{where}: attribute {key!r} (YOLO labels hold no attributes)")
                cls = str(cmap[inst.category_id])
                x1, y1, x2, y2 = inst.box
                if not (0 <= x1 <= x2 <= im.width and 0 <= y1 <= y2 <= im.height):
                    raise DatasetError(
                        f"yolo: {where}: field box: {inst.box.tolist()} lies outside the "
                        f"{im.width}x{im.height} image (YOLO coordinates must be in [0, 1])"
                    )
                if task == "segment":
                    ring = None
                    if inst.polygons is not None and len(inst.polygons.rings):
                        areas = inst.polygons.ring_areas()
                        keep = int(np.argmax(areas))
                        ring = inst.polygons.rings[keep]
                        if len(inst.polygons.rings) > 1:
                            report.skipped.append(
                                f"{where}: {len(inst.polygons.rings) - 1} more polygon rings "
                                "(YOLO holds one ring per object; the largest is written)"
                            )
                    else:
                        what = "an RLE mask" if inst.rle is not None else "a box only"
                        report.skipped.append(f"{where}: {what} (written as the box's 4-corner polygon)")
                        ring = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
                    norm = ring / np.array([im.width, im.height], np.float64)
                    if norm.min() < 0 or (norm > 1).any():
                        raise DatasetError(
                            f"yolo: {where}: field polygons: a point lies outside the {im.width}x{im.height} image"
                        )
                    lines.append(cls + " " + " ".join(_fmt(v, decimals) for v in norm.ravel()))
                else:
                    if inst.polygons is not None:
                        report.skipped.append(f"{where}: polygon outline (YOLO detection keeps the box)")
                    elif inst.rle is not None:
                        report.skipped.append(f"{where}: RLE mask (YOLO detection keeps the box)")
                    vals = (
                        (x1 + x2) / 2 / im.width,
                        (y1 + y2) / 2 / im.height,
                        (x2 - x1) / im.width,
                        (y2 - y1) / im.height,
                    )
                    lines.append(cls + " " + " ".join(_fmt(v, decimals) for v in vals))
                report.instances += 1
            if im.captions:
                report.skipped.append(f"image {im.id} ({im.file_name}): {len(im.captions)} captions")
            if im.segmentation is not None:
                report.skipped.append(f"image {im.id} ({im.file_name}): segmentation image {im.segmentation}")
            if im.segments:
                report.skipped.append(f"image {im.id} ({im.file_name}): {len(im.segments)} panoptic segments")
            for key in sorted(im.attributes):
                report.skipped.append(f"image {im.id} ({im.file_name}): attribute {key!r} (YOLO labels hold none)")
            files[label] = "".join(line + "\n" for line in lines)
            report.images += 1
        names = {i: c.name for i, c in enumerate(cats)}
        data: dict[str, Any] = {split: f"images/{split}", "names": names}  # no `path`: the yaml's folder
        if (out / "data.yaml").is_file():  # another split written before: keep it, if the classes agree
            old = _load_yaml(out / "data.yaml")
            if _names(old, out / "data.yaml") != list(names.values()):
                raise DatasetError(
                    f"{out / 'data.yaml'}: field `names` differs from the categories written "
                    f"({list(names.values())}); write to another folder"
                )
            data = {**old, split: f"images/{split}", "names": names}
        files[out / "data.yaml"] = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        # Everything is known to be writable: now write (each file atomically).
        place_images(copies, mode=images)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
        for p, text in files.items():
            atomic_write(p, text)
        return report
