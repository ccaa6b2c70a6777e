"""Pascal VOC: the devkit folder (XML boxes, image sets, palette segmentation PNGs).

The layout of a VOC year folder (``VOCdevkit/VOC2012``)::

    Annotations/2007_000027.xml        one XML per image (boxes, flags, parts)
    JPEGImages/2007_000027.jpg
    ImageSets/Main/{train,val,trainval}.txt            image ids of a detection split
    ImageSets/Segmentation/{train,val,trainval}.txt    image ids of a segmentation split
    SegmentationClass/2007_000032.png   palette PNG: 0 background, c + 1 for class c, 255 void
    SegmentationObject/2007_000032.png  palette PNG: k for the k-th <object> of the XML, 255 void

Boxes are 1-based inclusive pixel indices (``xmin..xmax`` both covered); they become
0-based edge coordinates exactly as the standard tools do it (detectron2, the devkit's
Python ports): ``x1 = xmin - 1, y1 = ymin - 1, x2 = xmax, y2 = ymax``, and back
``xmin = x1 + 1, xmax = x2``. ``pose``, ``truncated``, ``difficult``, ``occluded`` and
every other element of an ``<object>`` (``part``, ``actions``, ``point``) become the
instance's attributes, and the elements of the ``<annotation>`` besides the objects
(``folder``, ``source``, ``owner``, ``segmented``, the size's ``depth``) the image's
attributes, so that writing gives back the same XML content.

Categories are the 20 VOC classes with ids 0..19 in the official order when every name
found is one of them, else the names found, sorted (a custom VOC-style set), or the
``classes`` given. The ``k``-th object's mask (``SegmentationObject == k``, the void border
excluded) is its RLE; ``segmentation`` is the SegmentationClass PNG.

Writing keeps the box of what VOC cannot express and reports it: a crowd region (written as
a ``difficult`` object, so the official evaluation ignores it), a polygon outline (its
mask goes to SegmentationObject, its outline is lost). Segmentation PNGs are written with
the VOC palette (the standard 256-colour bit-interleaved palette, :func:`voc_palette`).
"""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .._files import atomic_write
from ..structures import RLE, Sample
from ._annotations import (
    AnnotatedImage,
    AnnotationDataset,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    instance_where,
    place_images,
    register_format,
    writable_instance,
)
from ._base import VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, fetch_files

__all__ = ["VOC2012", "VOC_CLASSES", "VocFormat", "voc_palette"]

#: The 20 Pascal VOC classes in the official order (ids 0..19; label PNG values 1..20).
VOC_CLASSES: tuple[str, ...] = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)

_FLAGS = ("truncated", "difficult", "occluded")  # integer 0/1 object flags
_IMAGE_KEYS = ("folder", "source", "owner", "segmented")
_OBJECT_KEYS = ("pose", "truncated", "difficult", "occluded", "part", "actions", "point")
_DEFAULTS = (("pose", "Unspecified"), ("truncated", 0), ("difficult", 0))  # what the devkit always writes


def voc_palette() -> np.ndarray:
    """(256, 3) uint8: the VOC colour map (the devkit's ``labelcolormap``: bits of the index interleaved into RGB)."""
    idx = np.arange(256)
    pal = np.zeros((256, 3), np.int64)
    c = idx.copy()
    for j in range(8):
        for ch in range(3):
            pal[:, ch] |= ((c >> ch) & 1) << (7 - j)
        c >>= 3
    return pal.astype(np.uint8)


def _palette_png_bytes(labels: np.ndarray) -> bytes:
    im = Image.fromarray(labels.astype(np.uint8))  # mode L; putpalette makes it P with the same indices
    im.putpalette(voc_palette().ravel().tolist())
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _read_label_png(path: Path, where: str) -> np.ndarray:
    try:
        with Image.open(path) as im:
            if im.mode not in ("P", "L"):
                raise DatasetError(f"{where}: {path}: a label PNG must be palette (P) or grey (L), got mode {im.mode}")
            return np.array(im)
    except FileNotFoundError:
        raise DatasetError(f"{where}: {path} is missing") from None
    except OSError as e:
        raise DatasetError(f"{where}: {path} is not a readable image ({e})") from None


def _value(e: ET.Element) -> Any:
    """An element as text (a leaf) or a dict of its children (a repeated tag: a list)."""
    children = list(e)
    if not children:
        return (e.text or "").strip()
    out: dict[str, Any] = {}
    listed: set[str] = set()
    for c in children:
        v = _value(c)
        if c.tag not in out:
            out[c.tag] = v
        elif c.tag in listed:
            out[c.tag].append(v)
        else:
            out[c.tag] = [out[c.tag], v]
            listed.add(c.tag)
    return out


def _tag_ok(name: str) -> bool:
    """True when ``name`` can be an XML element name (letters, digits, ``_ - .``, not starting with a digit)."""
    return bool(name) and (name[0].isalpha() or name[0] == "_") and all(ch.isalnum() or ch in "_-." for ch in name)


def _xml_ok(value: Any) -> bool:
    """True when :func:`_add` can write ``value``: text, numbers, or dicts / lists of them with element-name keys."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _tag_ok(k) and _xml_ok(v) for k, v in value.items())
    if isinstance(value, list):
        return all(not isinstance(v, list) and _xml_ok(v) for v in value)
    return isinstance(value, (str, int, float, bool))


def _writable(key: str, value: Any, *, known: tuple[str, ...], structured: bool) -> bool:
    """An attribute VOC's XML can hold: a scalar, or (a VOC key, or a set read from VOC) a nested structure."""
    if not (_tag_ok(key) and _xml_ok(value)):
        return False
    return isinstance(value, (str, int, float, bool)) or key in known or structured


def _add(parent: ET.Element, tag: str, value: Any) -> None:
    """Inverse of :func:`_value`: a list gives repeated elements, a dict children, else text."""
    if isinstance(value, list):
        for v in value:
            _add(parent, tag, v)
        return
    e = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _add(e, k, v)
    elif isinstance(value, bool):
        e.text = str(int(value))
    else:
        e.text = str(value)


def _num(text: str) -> str:
    v = float(text)
    return str(int(v)) if v == int(v) else repr(v)


def _field(e: ET.Element, path: str, where: str) -> str:
    f = e.find(path)
    if f is None or f.text is None or not f.text.strip():
        raise DatasetError(f"{where}: field <{path}> is missing")
    return f.text.strip()


def _number(e: ET.Element, path: str, where: str) -> float:
    text = _field(e, path, where)
    try:
        v = float(text)
    except ValueError:
        raise DatasetError(f"{where}: field <{path}>: expected a number, got {text!r}") from None
    if not np.isfinite(v):
        raise DatasetError(f"{where}: field <{path}>: expected a finite number, got {text!r}")
    return v


def _parse_xml(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One annotation file: the image's facts and its objects (name, 0-based box, attributes)."""
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise DatasetError(f"{path}: file is missing") from None
    except ET.ParseError as e:
        raise DatasetError(f"{path}: not well-formed XML ({e})") from None
    if root.tag != "annotation":
        raise DatasetError(f"{path}: the root element is <{root.tag}>, expected <annotation>")
    where = str(path)
    width = _number(root, "size/width", where)
    height = _number(root, "size/height", where)
    if width <= 0 or height <= 0 or width != int(width) or height != int(height):
        raise DatasetError(f"{where}: field <size>: expected positive integer width and height, got {width}x{height}")
    image: dict[str, Any] = {
        "filename": _field(root, "filename", where),
        "width": int(width),
        "height": int(height),
        "attributes": {},
    }
    for child in root:
        if child.tag in ("object", "filename"):
            continue
        if child.tag == "size":
            depth = child.find("depth")
            if depth is not None:
                image["attributes"]["depth"] = (depth.text or "").strip()
            continue
        image["attributes"][child.tag] = _value(child)
    objects = []
    for k, obj in enumerate(root.findall("object")):
        ow = f"{where}: object {k}"
        name = _field(obj, "name", ow)
        if obj.find("bndbox") is None:
            raise DatasetError(f"{ow} ({name}): field <bndbox> is missing")
        xmin, ymin, xmax, ymax = (
            _number(obj, f"bndbox/{c}", f"{ow} ({name})") for c in ("xmin", "ymin", "xmax", "ymax")
        )
        box = np.array([xmin - 1, ymin - 1, xmax, ymax])
        if not (box[2] >= box[0] and box[3] >= box[1]):
            raise DatasetError(
                f"{ow} ({name}): field <bndbox>: xmax < xmin or ymax < ymin ({xmin}, {ymin}, {xmax}, {ymax})"
            )
        if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
            raise DatasetError(
                f"{ow} ({name}): field <bndbox>: ({_num(str(xmin))}, {_num(str(ymin))}, "
                f"{_num(str(xmax))}, {_num(str(ymax))}) lies outside the {int(width)}x{int(height)} "
                "image (VOC pixels are 1..width, 1..height)"
            )
        attrs: dict[str, Any] = {}
        for child in obj:
            if child.tag in ("name", "bndbox"):
                continue
            v = _value(child)
            if child.tag in _FLAGS:
                try:
                    v = int(v)
                except (TypeError, ValueError):
                    raise DatasetError(f"{ow} ({name}): field <{child.tag}>: expected 0 or 1, got {v!r}") from None
            if child.tag in attrs:
                attrs[child.tag] = (attrs[child.tag] if isinstance(attrs[child.tag], list) else [attrs[child.tag]]) + [
                    v
                ]
            else:
                attrs[child.tag] = v
        objects.append({"name": name, "box": box, "attributes": attrs})
    return image, objects


def _split_ids(root: Path, split: str | None, imageset: str) -> list[str]:
    if split is None:
        return sorted(p.stem for p in (root / "Annotations").glob("*.xml"))
    path = root / "ImageSets" / imageset / f"{split}.txt"
    if not path.is_file():
        have = sorted(p.stem for p in (root / "ImageSets" / imageset).glob("*.txt") if "_" not in p.stem)
        raise DatasetError(f"{path}: the split file is missing (splits in ImageSets/{imageset}: {have})")
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts:
            ids.append(parts[0])
    return ids


@register_format
class VocFormat(AnnotationFormat):
    """Pascal VOC devkit folders (see the module notes)."""

    name = "voc"
    tasks = ("detection", "instances", "semantic")
    describe = (
        "Pascal VOC: Annotations/*.xml (1-based boxes, difficult/truncated), ImageSets, palette segmentation PNGs"
    )

    def read(
        self,
        path: str | os.PathLike,
        *,
        split: str | None = "trainval",
        imageset: str = "Main",
        classes: tuple[str, ...] | list[str] | None = None,
        masks: bool = True,
        **options: Any,
    ) -> AnnotationSet:
        """Read one split of a VOC year folder.

        Args:
            path: the year folder (holding ``Annotations``), or a ``VOCdevkit`` folder with one year in it.
            split: the image set (``train``, ``val``, ``trainval``, ``test``), or None for every XML.
            imageset: ``"Main"`` (detection splits) or ``"Segmentation"``.
            classes: the category names in id order (default: the VOC classes, or the names found).
            masks: read each object's mask from SegmentationObject (when the image has one) as its RLE.

        Raises:
            DatasetError: naming the file, the object and the field of what is malformed.
        """
        if options:
            raise TypeError(f"voc: unknown read options {sorted(options)}")
        root = Path(path)
        if not (root / "Annotations").is_dir():
            years = sorted(p for p in root.glob("VOC*") if (p / "Annotations").is_dir())
            if len(years) != 1:
                raise DatasetError(
                    f"{root}: no Annotations folder here (a VOC year folder holds Annotations/, "
                    f"JPEGImages/, ImageSets/); year folders found: {[p.name for p in years]}"
                )
            root = years[0]
        parsed = []
        for stem in _split_ids(root, split, imageset):
            parsed.append((stem, *_parse_xml(root / "Annotations" / f"{stem}.xml")))
        found = sorted({o["name"] for _, _, objs in parsed for o in objs})
        if classes is None:
            names = list(VOC_CLASSES) if set(found) <= set(VOC_CLASSES) else found
        else:
            names = list(classes)
        ids = {n: i for i, n in enumerate(names)}
        images = []
        for idx, (stem, im, objs) in enumerate(parsed):
            xml = root / "Annotations" / f"{stem}.xml"
            instances = []
            for k, o in enumerate(objs):
                if o["name"] not in ids:
                    raise DatasetError(
                        f"{xml}: object {k}: field <name>: unknown category {o['name']!r} (classes: {names})"
                    )
                instances.append(Instance(ids[o["name"]], o["box"], id=k, attributes=o["attributes"]))
            attrs = dict(im["attributes"])
            seg = root / "SegmentationClass" / f"{stem}.png"
            obj_png = root / "SegmentationObject" / f"{stem}.png"
            if obj_png.is_file():
                attrs["segmentation_object"] = f"SegmentationObject/{stem}.png"
                if masks:
                    labels = _read_label_png(obj_png, str(xml))
                    if labels.shape != (im["height"], im["width"]):
                        raise DatasetError(
                            f"{obj_png}: size {labels.shape[1]}x{labels.shape[0]} differs from the "
                            f"{im['width']}x{im['height']} of {xml}"
                        )
                    present = sorted(set(np.unique(labels).tolist()) - {0, 255})
                    if present and present[-1] > len(instances):
                        raise DatasetError(
                            f"{obj_png}: object index {present[-1]} but {xml} has {len(instances)} objects"
                        )
                    for k, inst in enumerate(instances):
                        m = labels == k + 1
                        if m.any():  # an object without pixels there (a box-only one) has no mask
                            inst.rle = RLE.encode(m)
            images.append(
                AnnotatedImage(
                    f"JPEGImages/{im['filename']}",
                    im["width"],
                    im["height"],
                    idx,
                    instances,
                    segmentation=f"SegmentationClass/{stem}.png" if seg.is_file() else None,
                    attributes={"stem": stem, **attrs},
                )
            )
        return AnnotationSet(
            [Category(i, n) for i, n in enumerate(names)],
            images,
            image_root=root,
            info={"format": "voc", "split": split, "imageset": imageset},
        )

    def write(
        self,
        annotations: AnnotationSet,
        out: str | os.PathLike,
        *,
        split: str = "trainval",
        images: str = "copy",
        masks: bool = True,
        fill_defaults: bool = True,
        **options: Any,
    ) -> ConversionReport:
        """Write ``annotations`` as a VOC year folder ``out``.

        ``Annotations/<stem>.xml`` per image, ``ImageSets/Main/{split}.txt``, the images in
        ``JPEGImages/`` (``images="copy"``, ``"symlink"`` or ``"none"``) and, for images with
        masks, ``SegmentationObject/`` / ``SegmentationClass/`` palette PNGs and
        ``ImageSets/Segmentation/{split}.txt``. Everything is checked and encoded before the first
        file is written: on an error nothing is written.

        Args:
            annotations: the set to write.
            out: the year folder to write.
            split: the image set name.
            images: how the images get into ``JPEGImages``.
            masks: write segmentation PNGs (from the source's label PNGs, else from the instance masks).
            fill_defaults: write ``pose`` Unspecified, ``truncated`` 0, ``difficult`` 0 where an
                instance does not say (the devkit's evaluation reads them).

        Returns:
            The report: category id -> the id a VOC reader gives it (its index in :data:`VOC_CLASSES`
            when every name is a VOC class, else in the sorted names; the SegmentationClass value
            is that id + 1), and what VOC cannot hold.
        """
        if options:
            raise TypeError(f"voc: unknown write options {sorted(options)}")
        if images not in ("copy", "symlink", "none"):
            raise ValueError(f"voc: images must be 'copy', 'symlink' or 'none', got {images!r}")
        out = Path(out)
        cats = sorted(annotations.categories, key=lambda c: c.id)
        names = [c.name for c in cats]
        if len(set(names)) != len(names):
            raise DatasetError(f"voc: category names must be unique (VOC names classes), got {names}")
        # The ids a VOC reader gives back: the VOC order when every name is a VOC class, else the names sorted.
        order = list(VOC_CLASSES) if set(names) <= set(VOC_CLASSES) else sorted(names)
        cmap = {c.id: order.index(c.name) for c in cats}
        name_of = {c.id: c.name for c in cats}
        report = ConversionReport(self.name, out, category_map=dict(cmap))
        from_voc = annotations.info.get("format") == "voc"  # its own nested elements are written back as read
        files: dict[Path, bytes | str] = {}
        copies: list[tuple[Path, Path]] = []
        main_ids: list[str] = []
        seg_ids: list[str] = []
        for im in annotations.images:
            src = annotations.image_path(im)
            stem = str(im.attributes.get("stem") or Path(im.file_name).stem)
            xml_path = out / "Annotations" / f"{stem}.xml"
            if xml_path in files:
                raise DatasetError(f"voc: image {im.id} ({im.file_name}): another image has the stem {stem!r}")
            if images != "none":
                if not src.is_file():
                    raise DatasetError(
                        f"voc: image {im.id} ({im.file_name}): image file {src} is missing "
                        "(write with images='none' to write the annotations only)"
                    )
                copies.append((src, out / "JPEGImages" / Path(im.file_name).name))
            root = ET.Element("annotation")
            attrs = {k: v for k, v in im.attributes.items() if k not in ("stem", "depth", "segmentation_object")}
            seg_png, obj_png = self._segmentation(annotations, im, cmap, report) if masks else (None, None)
            head = {k: attrs.pop(k) for k in ("folder",) if k in attrs}
            for k, v in head.items():
                _add(root, k, v)
            _add(root, "filename", Path(im.file_name).name)
            for k, v in attrs.items():
                if k == "segmented" or v is None:
                    continue
                if k in ("object", "size", "filename") or not _writable(k, v, known=_IMAGE_KEYS, structured=from_voc):
                    report.skipped.append(
                        f"image {im.id} ({im.file_name}): attribute {k!r} (VOC's XML does not hold it)"
                    )
                    continue
                _add(root, k, v)
            size = ET.SubElement(root, "size")
            _add(size, "width", im.width)
            _add(size, "height", im.height)
            _add(size, "depth", im.attributes.get("depth", 3))
            if "segmented" in im.attributes or seg_png is not None or obj_png is not None:
                _add(
                    root,
                    "segmented",
                    1 if (seg_png is not None or obj_png is not None) else im.attributes.get("segmented", 0),
                )
            for k, inst in enumerate(im.instances):
                where = writable_instance("voc", im, k, inst, name_of)
                x1, y1, x2, y2 = (float(v) for v in inst.box)
                obj = ET.SubElement(root, "object")
                _add(obj, "name", name_of[inst.category_id])
                a = dict(inst.attributes)
                if inst.iscrowd:
                    a["difficult"] = 1
                    report.skipped.append(
                        f"{where}: crowd region (VOC has no crowd flag; written as a difficult object with its box)"
                    )
                if fill_defaults:
                    for key, default in _DEFAULTS:
                        a.setdefault(key, default)
                for key, v in a.items():
                    if v is None:
                        continue
                    if key in ("name", "bndbox") or not _writable(key, v, known=_OBJECT_KEYS, structured=from_voc):
                        report.skipped.append(f"{where}: attribute {key!r} (VOC's XML does not hold it)")
                        continue
                    _add(obj, key, v)
                bnd = ET.SubElement(obj, "bndbox")
                for tag, v in (("xmin", x1 + 1), ("ymin", y1 + 1), ("xmax", x2), ("ymax", y2)):
                    _add(bnd, tag, _num(repr(v)))
                if inst.polygons is not None:
                    report.skipped.append(
                        f"{where}: polygon outline (VOC keeps the box"
                        + ("; the filled mask is in SegmentationObject)" if obj_png is not None else ")")
                    )
                elif inst.rle is not None and obj_png is None and not inst.iscrowd:
                    report.skipped.append(f"{where}: RLE mask (VOC keeps the box; masks=False)")
                if inst.keypoints is not None:
                    report.skipped.append(f"{where}: {len(inst.keypoints)} keypoints (VOC keeps the box)")
                report.instances += 1
            if im.captions:
                report.skipped.append(f"image {im.id} ({im.file_name}): {len(im.captions)} captions")
            if im.segments:
                report.skipped.append(f"image {im.id} ({im.file_name}): {len(im.segments)} panoptic segments")
            ET.indent(root, space="\t")
            files[xml_path] = ET.tostring(root, encoding="unicode") + "\n"
            if seg_png is not None:
                files[out / "SegmentationClass" / f"{stem}.png"] = seg_png
            if obj_png is not None:
                files[out / "SegmentationObject" / f"{stem}.png"] = obj_png
            if seg_png is not None or obj_png is not None:
                seg_ids.append(stem)
            main_ids.append(stem)
            report.images += 1
        files[out / "ImageSets" / "Main" / f"{split}.txt"] = "".join(s + "\n" for s in main_ids)
        if seg_ids:
            files[out / "ImageSets" / "Segmentation" / f"{split}.txt"] = "".join(s + "\n" for s in seg_ids)
        place_images(copies, mode=images)
        for p, data in files.items():
            atomic_write(p, data)
        return report

    @staticmethod
    def _segmentation(
        annotations: AnnotationSet, im: AnnotatedImage, cmap: dict[int, int], report: ConversionReport
    ) -> tuple[bytes | None, bytes | None]:
        """The SegmentationClass and SegmentationObject PNGs of one image (None where there is nothing to write)."""
        where = f"image {im.id} ({im.file_name})"
        objects = None
        src_obj = im.attributes.get("segmentation_object")
        if src_obj:
            p = (
                Path(src_obj)
                if Path(src_obj).is_absolute() or annotations.image_root is None
                else annotations.image_root / src_obj
            )
            if p.is_file():
                objects = _read_label_png(p, f"voc: {where}: field segmentation_object")
        masked = [
            (k, inst)
            for k, inst in enumerate(im.instances)
            if not inst.iscrowd and (inst.rle is not None or inst.polygons is not None)
        ]
        if objects is None and masked:
            if len(im.instances) > 254:
                raise DatasetError(
                    f"voc: {where}: {len(im.instances)} objects do not fit SegmentationObject's values 1..254"
                )
            objects = np.zeros((im.height, im.width), np.uint8)
            for k, inst in masked:
                try:
                    m = inst.mask(height=im.height, width=im.width)
                except ValueError as e:
                    raise DatasetError(f"voc: {instance_where(im, k, inst)}: field rle: {e}") from None
                hidden = m & (objects > 0)
                if hidden.any():  # SegmentationObject holds one object per pixel: the later one wins
                    others = sorted({int(v) - 1 for v in np.unique(objects[hidden])})
                    for j in others:
                        n = int((hidden & (objects == j + 1)).sum())
                        report.skipped.append(
                            f"{instance_where(im, j, im.instances[j])}: {n} mask pixels overlap "
                            f"instance {inst.id if inst.id is not None else k}, which "
                            "SegmentationObject (one object per pixel) gives them to"
                        )
                objects[m] = k + 1
        classes = None
        if im.segmentation is not None:
            p = annotations.image_path(AnnotatedImage(im.segmentation, im.width, im.height, im.id))
            classes = _read_label_png(p, f"voc: {where}: field segmentation")
            if classes.shape != (im.height, im.width):
                raise DatasetError(
                    f"voc: {where}: field segmentation: {p} is {classes.shape[1]}x{classes.shape[0]}, "
                    f"the image {im.width}x{im.height}"
                )
        elif objects is not None:
            if len(cmap) > 254:
                raise DatasetError(f"voc: {where}: {len(cmap)} categories do not fit SegmentationClass's values 1..254")
            classes = np.zeros_like(objects)
            for k, inst in enumerate(im.instances):
                if not inst.iscrowd and inst.category_id in cmap:
                    classes[objects == k + 1] = cmap[inst.category_id] + 1
            classes[objects == 255] = 255
        return (
            None if classes is None else _palette_png_bytes(classes),
            None if objects is None else _palette_png_bytes(objects),
        )


# ----------------------------------------------------------------------------- the VOC2012 data set

VOC2012 = DatasetInfo(
    name="voc2012",
    title="PASCAL Visual Object Classes Challenge 2012 (VOC2012)",
    task="detection",
    classes=VOC_CLASSES,
    splits={"train": 5_717, "val": 5_823, "trainval": 11_540},
    channels=3,
    license=(
        "images from flickr under flickr's terms of use; the annotations are for research use under the "
        "VOC challenge's terms"
    ),
    homepage="http://host.robots.ox.ac.uk/pascal/VOC/voc2012/",
    citation=(
        "M. Everingham, L. Van Gool, C. K. I. Williams, J. Winn and A. Zisserman. The PASCAL Visual Object "
        "Classes (VOC) Challenge. International Journal of Computer Vision, 88(2):303-338, 2010."
    ),
    files=(
        DataFile(
            "VOCtrainval_11-May-2012.tar",
            urls=("http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",),
            size=1_999_639_040,
            md5="6cd6e144f989b92b3379bac3b3de84fd",
            extracted="VOCdevkit",
        ),
    ),
    description=(
        "11,540 photos of the detection train/val split with 27,450 boxes of 20 object classes "
        "(difficult and truncated flags), 2,913 of them with class and object segmentation PNGs."
    ),
)


@register_dataset(VOC2012)
def load_voc2012(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
    masks: bool = False,
) -> VisionDataset:
    """One detection split (``ImageSets/Main``) as an :class:`AnnotationDataset`.

    Args:
        masks: decode every object's mask into ``Sample.masks`` (only for images that have a
            SegmentationObject PNG; an image without one is an error then).
    """
    found = fetch_files(info, root=root, download=download)
    devkit = archive_member(found["VOCtrainval_11-May-2012.tar"], root=root, info=info)
    annotations = VocFormat().read(devkit / "VOC2012", split=split, masks=True)
    return AnnotationDataset(annotations, info=info, split=split, masks=masks, transform=transform)
