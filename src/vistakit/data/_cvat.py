"""CVAT for images 1.1: one ``annotations.xml`` for a task (or project / job) export.

The file CVAT exports::

    <annotations>
      <version>1.1</version>
      <meta><task><name>...</name><size>2</size>...
        <labels><label><name>car</name><color>#fa3253</color><type>any</type>
          <attributes><attribute><name>color</name><input_type>select</input_type>...</attribute></attributes>
        </label></labels></task><dumped>...</dumped></meta>
      <image id="0" name="a.jpg" width="640" height="480">
        <box label="car" source="manual" occluded="0" xtl="1.00" ytl="2.00" xbr="30.50" ybr="40.00" z_order="0">
          <attribute name="color">red</attribute>
        </box>
        <polygon label="car" occluded="0" points="1.00,2.00;10.00,2.00;10.00,9.00" z_order="0" group_id="1"/>
        <mask label="car" occluded="0" rle="3, 2, 4, ..." left="10" top="5" width="4" height="3" z_order="0"/>
        <points .../> <polyline .../> <ellipse .../> <tag .../> ...
      </image>
    </annotations>

* ``box``: the xyxy box (pixels, top-left ``xtl, ytl``, bottom-right ``xbr, ybr``); a
  ``rotation`` (degrees, clockwise about the centre) is kept as an attribute;
* ``polygon``: :class:`Polygons` and its box; polygons with the same label and a ``group_id``
  are one instance with several rings (as CVAT's COCO export merges them);
* ``mask``: CVAT's own run-length encoding: counts over the ``width x height`` crop at
  ``left, top`` in row-major order, alternating background / foreground and starting with
  background -> an :class:`RLE` of the whole image and the crop's box;
* ``points``, ``polyline``, ``ellipse``, ``cuboid``, ``skeleton``, ``tag``: kept as they are in
  the image's ``cvat_shapes`` attribute and written back.

``occluded``, ``z_order``, ``source``, ``group_id``, ``rotation`` and every ``<attribute>``
become instance attributes (flat: a VOC ``difficult`` and a CVAT checkbox ``difficult`` meet);
CVAT's ``is_crowd`` attribute (what CVAT's COCO import creates) is the crowd flag.
Categories are the meta's labels in order (ids 0..N-1), with their colours. Coordinates are
written exactly (CVAT writes two decimals; the shortest exact form is used where two are not
enough).
"""

from __future__ import annotations

import copy
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

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

__all__ = ["CvatFormat", "cvat_rle_decode", "cvat_rle_encode"]

_REGION = ("box", "polygon", "mask")
_OTHER = ("points", "polyline", "ellipse", "cuboid", "skeleton", "tag")
_XML_ATTRS = ("occluded", "z_order", "source", "group_id", "rotation")  # element attributes kept per instance
_INT_ATTRS = ("occluded", "z_order", "group_id")


def cvat_rle_decode(counts: list[int] | np.ndarray, *, width: int, height: int) -> np.ndarray:
    """(height, width) bool crop from CVAT's mask RLE (row-major runs, background first).

    Raises:
        ValueError: the runs are negative or do not cover ``width * height`` pixels.
    """
    c = np.asarray(counts, dtype=np.int64)
    if c.size and c.min() < 0:
        raise ValueError(f"negative run length {int(c.min())}")
    if int(c.sum()) != width * height:
        raise ValueError(f"the runs cover {int(c.sum())} pixels, the {width}x{height} crop has {width * height}")
    values = np.arange(c.size) % 2 == 1
    return np.repeat(values, c).reshape(height, width)


def cvat_rle_encode(crop: np.ndarray) -> list[int]:
    """CVAT's mask RLE of a (height, width) bool crop (inverse of :func:`cvat_rle_decode`)."""
    flat = np.asarray(crop, bool).ravel()
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0] + runs
    return runs


def _num(v: float) -> str:
    s = f"{v:.2f}"
    return s if float(s) == v else repr(float(v))


def _float(e: ET.Element, key: str, where: str) -> float:
    text = e.get(key)
    if text is None:
        raise DatasetError(f"{where}: field {key} is missing")
    try:
        v = float(text)
    except ValueError:
        raise DatasetError(f"{where}: field {key}: expected a number, got {text!r}") from None
    if not np.isfinite(v):
        raise DatasetError(f"{where}: field {key}: expected a finite number, got {text!r}")
    return v


def _int(e: ET.Element, key: str, where: str) -> int:
    v = _float(e, key, where)
    if v != int(v):
        raise DatasetError(f"{where}: field {key}: expected an integer, got {e.get(key)!r}")
    return int(v)


def _points(e: ET.Element, where: str) -> np.ndarray:
    text = e.get("points")
    if text is None:
        raise DatasetError(f"{where}: field points is missing")
    try:
        pts = np.array([[float(v) for v in p.split(",")] for p in text.split(";") if p.strip()], np.float64)
    except ValueError:
        raise DatasetError(f"{where}: field points: expected 'x,y;x,y;...', got {text[:60]!r}") from None
    if pts.ndim != 2 or pts.shape[1] != 2 or not np.all(np.isfinite(pts)):
        raise DatasetError(f"{where}: field points: expected 'x,y;x,y;...', got {text[:60]!r}")
    return pts


def _color(text: str | None) -> tuple[int, int, int] | None:
    if not text or not text.startswith("#") or len(text) != 7:
        return None
    try:
        return tuple(int(text[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    except ValueError:
        return None


def _raw(e: ET.Element) -> dict[str, Any]:
    """A shape kept as it is: its tag, its XML attributes, its children (recursively)."""
    return {"tag": e.tag, "attrib": dict(e.attrib), "text": (e.text or "").strip(), "children": [_raw(c) for c in e]}


def _unraw(parent: ET.Element, raw: dict[str, Any]) -> None:
    e = ET.SubElement(parent, raw["tag"], {k: str(v) for k, v in raw.get("attrib", {}).items()})
    if raw.get("text"):
        e.text = raw["text"]
    for c in raw.get("children", []):
        _unraw(e, c)


def _meta_labels(meta: ET.Element | None) -> list[ET.Element]:
    if meta is None:
        return []
    for owner in ("task", "project", "job"):
        labels = meta.find(f"{owner}/labels")
        if labels is not None:
            return labels.findall("label")
    return []


@register_format
class CvatFormat(AnnotationFormat):
    """CVAT for images 1.1 XML (see the module notes)."""

    name = "cvat"
    tasks = ("detection", "instances")
    describe = "CVAT for images 1.1: annotations.xml (box, polygon, mask with CVAT's RLE, attributes)"

    def read(self, path: str | os.PathLike, **options: Any) -> AnnotationSet:
        """Read a CVAT for images 1.1 export.

        Args:
            path: ``annotations.xml``, or the export folder holding it (images in its ``images/``).

        Returns:
            The annotation set: categories are the meta's labels (ids 0..N-1, in order; the
            labels used, sorted, when the meta lists none).

        Raises:
            DatasetError: naming the file, the image, the shape and the field of what is malformed.
        """
        if options:
            raise TypeError(f"cvat: unknown read options {sorted(options)}")
        path = Path(path)
        if path.is_dir():
            path = path / "annotations.xml"
        try:
            root = ET.parse(path).getroot()
        except FileNotFoundError:
            raise DatasetError(f"{path}: file is missing") from None
        except ET.ParseError as e:
            raise DatasetError(f"{path}: not well-formed XML ({e})") from None
        if root.tag != "annotations":
            raise DatasetError(f"{path}: the root element is <{root.tag}>, expected <annotations>")
        version = (root.findtext("version") or "").strip()
        if version != "1.1":
            raise DatasetError(f"{path}: field <version>: this reader knows CVAT for images 1.1, got {version!r}")
        meta = root.find("meta")
        label_elems = _meta_labels(meta)
        names = [(le.findtext("name") or "").strip() for le in label_elems]
        if label_elems and "" in names:
            raise DatasetError(f"{path}: <meta> label {names.index('')}: field <name> is missing")
        used = sorted({s.get("label", "") for im in root.iter("image") for s in im if s.tag in _REGION})
        if not label_elems:
            names = used
        ids = {n: i for i, n in enumerate(names)}
        colors = {(le.findtext("name") or "").strip(): _color(le.findtext("color")) for le in label_elems}
        images = []
        for n, im in enumerate(root.iter("image")):
            where_im = f"{path}: <image> {n}"
            name = im.get("name")
            if not name:
                raise DatasetError(f"{where_im}: field name is missing")
            where_im = f"{path}: image {im.get('id', n)} ({name})"
            width, height = _int(im, "width", where_im), _int(im, "height", where_im)
            if width <= 0 or height <= 0:
                raise DatasetError(f"{where_im}: fields width/height: expected positive sizes, got {width}x{height}")
            image_id = _int(im, "id", where_im) if im.get("id") is not None else n
            attrs: dict[str, Any] = {k: v for k, v in im.attrib.items() if k not in ("id", "name", "width", "height")}
            others: list[dict[str, Any]] = []
            instances: list[Instance] = []
            groups: dict[tuple[str, int], Instance] = {}
            for k, shape in enumerate(im):
                where = f"{where_im}: <{shape.tag}> {k}"
                if shape.tag in _OTHER:
                    others.append(_raw(shape))
                    continue
                if shape.tag not in _REGION:
                    raise DatasetError(f"{where}: unknown shape <{shape.tag}> (known: {', '.join(_REGION + _OTHER)})")
                label = shape.get("label")
                if not label:
                    raise DatasetError(f"{where}: field label is missing")
                where = f"{where} ({label})"
                if label not in ids:
                    raise DatasetError(f"{where}: field label: unknown label {label!r} (meta labels: {names})")
                a: dict[str, Any] = {}
                for key in _XML_ATTRS:
                    if shape.get(key) is not None:
                        a[key] = (
                            _int(shape, key, where)
                            if key in _INT_ATTRS
                            else (_float(shape, key, where) if key == "rotation" else shape.get(key))
                        )
                for child in shape.findall("attribute"):
                    if not child.get("name"):
                        raise DatasetError(f"{where}: an <attribute> has no field name")
                    a[child.get("name")] = child.text or ""
                crowd = str(a.pop("is_crowd", "false")).strip().lower() in ("true", "1")
                if shape.tag == "box":
                    box = np.array([_float(shape, c, where) for c in ("xtl", "ytl", "xbr", "ybr")])
                    if not (box[2] >= box[0] and box[3] >= box[1]):
                        raise DatasetError(f"{where}: fields xtl..ybr: {box.tolist()} has xbr < xtl or ybr < ytl")
                    inst = Instance(ids[label], box, iscrowd=crowd, attributes=a)
                elif shape.tag == "polygon":
                    pts = _points(shape, where)
                    if len(pts) < 3:
                        raise DatasetError(f"{where}: field points: a polygon needs at least 3 points, got {len(pts)}")
                    gid = a.get("group_id")
                    if gid and (label, gid) in groups:
                        g = groups[(label, gid)]
                        g.polygons = Polygons(g.polygons.rings + (pts,))
                        g.box = g.polygons.bbox
                        continue
                    poly = Polygons((pts,))
                    inst = Instance(ids[label], poly.bbox, polygons=poly, iscrowd=crowd, attributes=a)
                    if gid:
                        groups[(label, gid)] = inst
                else:
                    left, top = _int(shape, "left", where), _int(shape, "top", where)
                    w, h = _int(shape, "width", where), _int(shape, "height", where)
                    text = shape.get("rle")
                    if text is None:
                        raise DatasetError(f"{where}: field rle is missing")
                    try:
                        crop = cvat_rle_decode([int(v) for v in text.split(",") if v.strip()], width=w, height=h)
                    except ValueError as e:
                        raise DatasetError(f"{where}: field rle: {e}") from None
                    if left < 0 or top < 0 or left + w > width or top + h > height:
                        raise DatasetError(
                            f"{where}: fields left/top/width/height: the {w}x{h} mask at ({left}, {top}) "
                            f"lies outside the {width}x{height} image"
                        )
                    full = np.zeros((height, width), bool)
                    full[top : top + h, left : left + w] = crop
                    inst = Instance(
                        ids[label], [left, top, left + w, top + h], rle=RLE.encode(full), iscrowd=crowd, attributes=a
                    )
                x1, y1, x2, y2 = inst.box
                if x1 < 0 or y1 < 0 or x2 > width or y2 > height:
                    raise DatasetError(
                        f"{where}: the {shape.tag} {[round(float(v), 3) for v in inst.box]} lies outside "
                        f"the {width}x{height} image"
                    )
                inst.id = len(instances)
                instances.append(inst)
            if others:
                attrs["cvat_shapes"] = others
            images.append(AnnotatedImage(name, width, height, image_id, instances, attributes=attrs))
        image_root = path.parent / "images" if (path.parent / "images").is_dir() else path.parent
        info: dict[str, Any] = {"format": "cvat", "version": version}
        if meta is not None:
            info["cvat_meta"] = ET.tostring(meta, encoding="unicode")
        return AnnotationSet(
            [Category(i, n, color=colors.get(n)) for i, n in enumerate(names)], images, image_root=image_root, info=info
        )

    def write(
        self, annotations: AnnotationSet, out: str | os.PathLike, *, images: str = "copy", **options: Any
    ) -> ConversionReport:
        """Write a CVAT for images 1.1 export.

        Args:
            annotations: the set to write.
            out: an ``.xml`` file (the annotations only), or a folder: ``annotations.xml`` and the
                images in ``images/`` (``images="copy"``, ``"symlink"`` or ``"none"``).

        Returns:
            The report: category id -> label index, and what CVAT cannot hold. Everything is
            encoded before the first file is written: on an error nothing is written.
        """
        if options:
            raise TypeError(f"cvat: unknown write options {sorted(options)}")
        if images not in ("copy", "symlink", "none"):
            raise ValueError(f"cvat: images must be 'copy', 'symlink' or 'none', got {images!r}")
        out = Path(out)
        xml_path = out if out.suffix.lower() == ".xml" else out / "annotations.xml"
        cats = sorted(annotations.categories, key=lambda c: c.id)
        names = [c.name for c in cats]
        if len(set(names)) != len(names):
            raise DatasetError(f"cvat: category names must be unique (CVAT names labels), got {names}")
        cmap = {c.id: i for i, c in enumerate(cats)}
        name_of = {c.id: c.name for c in cats}
        report = ConversionReport(self.name, out, category_map=dict(cmap))
        root = ET.Element("annotations")
        ET.SubElement(root, "version").text = "1.1"
        root.append(self._meta(annotations, cats))
        copies: list[tuple[Path, Path]] = []
        seen: set[str] = set()
        for n, im in enumerate(annotations.images):
            where_im = f"image {im.id} ({im.file_name})"
            if im.file_name in seen:
                raise DatasetError(f"cvat: {where_im}: field file_name: another image has the same name")
            seen.add(im.file_name)
            if images != "none" and xml_path.parent == out:
                src = annotations.image_path(im)
                if not src.is_file():
                    raise DatasetError(
                        f"cvat: {where_im}: image file {src} is missing "
                        "(write with images='none' to write the XML only)"
                    )
                rel = Path(im.file_name)
                copies.append(
                    (src, out / "images" / (rel if not rel.is_absolute() and ".." not in rel.parts else rel.name))
                )
            attrib = {"id": str(n), "name": im.file_name, "width": str(im.width), "height": str(im.height)}
            attrib.update({k: str(v) for k, v in im.attributes.items() if k in ("subset", "task_id") and v is not None})
            e = ET.SubElement(root, "image", attrib)
            for key in sorted(set(im.attributes) - {"subset", "task_id", "cvat_shapes"}):
                report.skipped.append(f"{where_im}: attribute {key!r} (CVAT images hold no free attributes)")
            next_group = next_group_id(im)
            for k, inst in enumerate(im.instances):
                where = writable_instance("cvat", im, k, inst, name_of)
                x1, y1, x2, y2 = (float(v) for v in inst.box)
                a = dict(inst.attributes)
                xml_a = {
                    "label": name_of[inst.category_id],
                    "source": str(a.pop("source", "manual")),
                    "occluded": str(int(a.pop("occluded", 0) or 0)),
                }
                z_order = a.pop("z_order", 0)
                group = a.pop("group_id", None)
                rotation = a.pop("rotation", None)
                children = [
                    (str(key), "" if v is None else (("true" if v else "false") if isinstance(v, bool) else str(v)))
                    for key, v in a.items()
                    if isinstance(v, (str, int, float, bool)) or v is None
                ]
                for key, v in a.items():
                    if not (isinstance(v, (str, int, float, bool)) or v is None):
                        report.skipped.append(
                            f"{where}: attribute {key!r} (a {type(v).__name__}; CVAT attributes are text)"
                        )
                if inst.iscrowd:
                    children.append(("is_crowd", "true"))
                    report.skipped.append(
                        f"{where}: crowd region (CVAT has no crowd flag; written as the "
                        "attribute is_crowd, as CVAT's COCO import does)"
                    )
                if inst.keypoints is not None:
                    report.skipped.append(f"{where}: {len(inst.keypoints)} keypoints (CVAT keeps the box)")
                shapes: list[tuple[str, dict[str, str]]] = []
                if inst.polygons is not None and len(inst.polygons.rings):
                    rings = inst.polygons.rings
                    if len(rings) > 1 and not group:
                        group = next_group
                        next_group += 1
                    for r in rings:
                        shapes.append(("polygon", {"points": ";".join(f"{_num(x)},{_num(y)}" for x, y in r)}))
                elif inst.rle is not None:
                    try:
                        m = inst.mask(height=im.height, width=im.width)
                    except ValueError as err:
                        raise DatasetError(f"cvat: {where}: field rle: {err}") from None
                    if not m.any():
                        report.skipped.append(f"{where}: empty mask (CVAT cannot hold it; written as its box)")
                        shapes.append(("box", {}))
                    else:
                        (bx1, by1, bx2, by2), exact = mask_crop(m, inst.box)
                        if not exact:
                            report.skipped.append(
                                f"{where}: box {inst.box.tolist()} (a CVAT mask's box is its integer "
                                f"crop; the mask's bounds {[bx1, by1, bx2, by2]} are kept)"
                            )
                        rle = cvat_rle_encode(m[by1:by2, bx1:bx2])
                        shapes.append(
                            (
                                "mask",
                                {
                                    "rle": ", ".join(map(str, rle)),
                                    "left": str(bx1),
                                    "top": str(by1),
                                    "width": str(bx2 - bx1),
                                    "height": str(by2 - by1),
                                },
                            )
                        )
                else:
                    shapes.append(("box", {}))
                for tag, geo in shapes:
                    if tag == "box":
                        geo = {"xtl": _num(x1), "ytl": _num(y1), "xbr": _num(x2), "ybr": _num(y2)}
                        if rotation is not None:
                            geo["rotation"] = _num(float(rotation))
                    elif rotation is not None:
                        report.skipped.append(f"{where}: attribute 'rotation' (only CVAT boxes rotate)")
                    attrib = {**xml_a, **geo, "z_order": str(z_order)}
                    if group:
                        attrib["group_id"] = str(group)
                    s = ET.SubElement(e, tag, attrib)
                    for key, v in children:
                        ET.SubElement(s, "attribute", {"name": key}).text = v
                report.instances += 1
            for raw in im.attributes.get("cvat_shapes", []):
                _unraw(e, raw)
            if im.captions:
                report.skipped.append(f"{where_im}: {len(im.captions)} captions")
            if im.segmentation is not None:
                report.skipped.append(f"{where_im}: segmentation image {im.segmentation}")
            if im.segments:
                report.skipped.append(f"{where_im}: {len(im.segments)} panoptic segments")
            report.images += 1
        ET.indent(root, space="  ")
        text = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
        place_images(copies, mode=images)
        atomic_write(xml_path, text)
        return report

    @staticmethod
    def _meta(annotations: AnnotationSet, cats: list[Category]) -> ET.Element:
        """``<meta>``: the source's CVAT meta with its labels replaced by the categories (label specs kept by name)."""
        meta = None
        kept: dict[str, ET.Element] = {}
        if annotations.info.get("cvat_meta"):
            meta = ET.fromstring(annotations.info["cvat_meta"])
            kept = {(le.findtext("name") or "").strip(): le for le in _meta_labels(meta)}
        if meta is None:
            meta = ET.Element("meta")
            task = ET.SubElement(meta, "task")
            ET.SubElement(task, "name").text = "vistakit"
            ET.SubElement(task, "size").text = str(len(annotations.images))
            ET.SubElement(task, "mode").text = "annotation"
            ET.SubElement(task, "labels")
        owner = next((meta.find(o) for o in ("task", "project", "job") if meta.find(o) is not None), None)
        if owner is None:
            owner = ET.SubElement(meta, "task")
        labels = owner.find("labels")
        if labels is None:
            labels = ET.SubElement(owner, "labels")
        for old in list(labels):
            labels.remove(old)
        for c in cats:
            if c.name in kept:
                labels.append(copy.deepcopy(kept[c.name]))
                continue
            le = ET.SubElement(labels, "label")
            ET.SubElement(le, "name").text = c.name
            if c.color is not None:
                ET.SubElement(le, "color").text = "#{:02x}{:02x}{:02x}".format(*c.color)
            ET.SubElement(le, "type").text = "any"
            ET.SubElement(le, "attributes")
        for e in meta.iter():  # drop the source's indentation: the writer indents again
            e.tail = None
            if len(e) and e.text is not None and not e.text.strip():
                e.text = None
        return meta
