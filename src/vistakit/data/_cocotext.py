"""COCO-Text v2: text in MS COCO images (``cocotext.v2.json``).

The file is one JSON object keyed by string ids::

    {"imgs": {"390310": {"id": 390310, "file_name": "COCO_train2014_000000390310.jpg",
                         "width": 640, "height": 427, "set": "train"}, ...},
     "anns": {"45346": {"id": 45346, "image_id": 390310, "bbox": [x, y, w, h],
                        "mask": [x1, y1, x2, y2, ...], "utf8_string": "STOP",
                        "legibility": "legible", "language": "english",
                        "class": "machine printed", "area": 313.6}, ...},
     "imgToAnns": {"390310": [45346, ...]}, "cats": {}, "info": {...}}

``legibility`` is ``legible`` or ``illegible`` (illegible words carry no ``utf8_string`` and
are don't care in evaluation), ``language`` ``english``, ``not english`` or ``na``, and
``class`` ``machine printed``, ``handwritten`` or ``others``. The images are those of COCO
``train2014``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_open
from ..structures import Sample
from ._annotations import (
    AnnotatedImage,
    AnnotationDataset,
    AnnotationFormat,
    AnnotationSet,
    ConversionReport,
    instance_where,
    register_format,
)
from ._base import VisionDataset
from ._errors import DatasetError
from ._icdar import TEXT_CATEGORY, text_instance
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, fetch_files

__all__ = ["COCO_TEXT", "CocoTextFormat"]

_IMAGE_KEYS = ("id", "file_name", "width", "height")
_ANN_KEYS = ("id", "image_id", "bbox")


def _number_list(value: Any, *, where: str, field: str, multiple: int, minimum: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise DatasetError(f"{where}: field {field!r} is not a list of numbers: {value!r:.80}") from None
    if len(arr) < minimum or len(arr) % multiple or not np.all(np.isfinite(arr)):
        raise DatasetError(
            f"{where}: field {field!r} holds {len(arr)} numbers, expected "
            f"{'4' if multiple == 4 else 'an even count, at least ' + str(minimum)}"
        )
    return arr


@register_format
class CocoTextFormat(AnnotationFormat):
    """COCO-Text v2 JSON (see the module notes).

    Read options:
        images: folder of the COCO ``train2014`` images (default: the JSON's folder).
        split: ``train`` or ``val`` to keep only the images of that ``set`` (default: all).

    Every annotation becomes a ``text`` instance outlined by its ``mask`` polygon (its
    ``bbox`` corners when the mask is empty, marked ``outline_from_bbox``), with the attributes
    ``text`` (``utf8_string``,
    absent for illegible words), ``legibility``, ``language``, ``class`` and ``dont_care``
    (illegible). Writing gives back the same JSON (``info`` and ``cats`` kept when read).
    """

    name = "coco-text"
    tasks = ("text", "detection")
    describe = (
        "COCO-Text v2: cocotext.v2.json (imgs, anns with bbox, mask polygon, utf8_string, legibility, language, class)"
    )

    def read(
        self,
        path: str | os.PathLike,
        *,
        images: str | os.PathLike | None = None,
        split: str | None = None,
        **options: Any,
    ) -> AnnotationSet:
        if options:
            raise TypeError(f"{self.name} read takes no option(s) {sorted(options)}")
        if split not in (None, "train", "val"):
            raise ValueError(f"split must be 'train', 'val' or None, got {split!r}")
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise DatasetError(f"{path}: cannot be read as JSON ({type(e).__name__}: {e})") from None
        if not isinstance(doc, dict):
            raise DatasetError(f"{path}: expected a JSON object, got {type(doc).__name__}")
        for key in ("imgs", "anns"):
            if not isinstance(doc.get(key), dict):
                raise DatasetError(
                    f"{path}: missing key {key!r} (a dict by id)"
                    if key not in doc
                    else f"{path}: key {key!r} must be a dict by id, got {type(doc[key]).__name__}"
                )
        by_id: dict[int, AnnotatedImage] = {}
        for key, img in doc["imgs"].items():
            where = f"{path}: imgs[{key!r}]"
            missing = [k for k in _IMAGE_KEYS if k not in img]
            if missing:
                raise DatasetError(f"{where}: missing key {missing[0]!r}")
            if split is not None and img.get("set") != split:
                continue
            attrs = {"set": img["set"]} if "set" in img else {}
            by_id[int(img["id"])] = AnnotatedImage(
                img["file_name"], int(img["width"]), int(img["height"]), int(img["id"]), attributes=attrs
            )
        known = {int(img["id"]) for img in doc["imgs"].values()}
        for key, ann in doc["anns"].items():
            where = f"{path}: anns[{key!r}]"
            missing = [k for k in _ANN_KEYS if k not in ann]
            if missing:
                raise DatasetError(f"{where}: missing key {missing[0]!r}")
            image_id = int(ann["image_id"])
            if image_id not in known:
                raise DatasetError(f"{where}: field 'image_id' is {image_id}, an image that 'imgs' does not list")
            im = by_id.get(image_id)
            if im is None:  # another split
                continue
            x, y, w, h = _number_list(ann["bbox"], where=where, field="bbox", multiple=4, minimum=4)
            mask = ann.get("mask") or []
            if len(mask):
                pts = _number_list(mask, where=where, field="mask", multiple=2, minimum=6).reshape(-1, 2)
            else:
                pts = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])
            legibility = ann.get("legibility")
            inst = text_instance(
                pts,
                text=ann.get("utf8_string"),
                dont_care=legibility == "illegible",
                id=int(ann["id"]),
                legibility=legibility,
                language=ann.get("language"),
                **{"class": ann.get("class")},
            )
            inst.box = np.array([x, y, x + w, y + h])  # the file's bbox, exactly
            inst.area = float(ann["area"]) if "area" in ann else None
            if not len(mask):
                inst.attributes["outline_from_bbox"] = True  # written back as an empty mask
            im.instances.append(inst)
        annotated = sorted(by_id.values(), key=lambda im: im.id)
        for im in annotated:
            im.instances.sort(key=lambda i: i.id)
        root = Path(images) if images is not None else path.parent
        return AnnotationSet(
            [TEXT_CATEGORY],
            annotated,
            image_root=root,
            info={"format": self.name, "info": doc.get("info"), "cats": doc.get("cats", {})},
        )

    def write(self, annotations: AnnotationSet, out: str | os.PathLike, **options: Any) -> ConversionReport:
        if options:
            raise TypeError(f"{self.name} write takes no option(s) {sorted(options)}")
        out = Path(out)
        report = ConversionReport(self.name, out)
        imgs: dict[str, Any] = {}
        anns: dict[str, Any] = {}
        img_to_anns: dict[str, list[int]] = {}
        next_id = 1 + max((i.id for im in annotations.images for i in im.instances if i.id is not None), default=0)
        for im in annotations.images:
            entry = {
                "id": im.id,
                "set": im.attributes.get("set", "train"),
                "width": im.width,
                "height": im.height,
                "file_name": Path(im.file_name).name,
            }
            imgs[str(im.id)] = entry
            ids = []
            for k, inst in enumerate(im.instances):
                where = instance_where(im, k, inst)
                if inst.id is None:
                    inst_id, next_id = next_id, next_id + 1
                else:
                    inst_id = inst.id
                x1, y1, x2, y2 = (float(v) for v in inst.box)
                ann: dict[str, Any] = {"id": inst_id, "image_id": im.id, "bbox": [x1, y1, x2 - x1, y2 - y1]}
                a = inst.attributes
                if inst.polygons is not None and len(inst.polygons) and not a.get("outline_from_bbox"):
                    if len(inst.polygons) > 1:
                        report.skipped.append(f"{where}: {len(inst.polygons)} rings (COCO-Text keeps the first)")
                    ann["mask"] = inst.polygons.rings[0].ravel().tolist()
                else:
                    ann["mask"] = []
                if inst.rle is not None and inst.polygons is None:
                    report.skipped.append(f"{where}: RLE mask (COCO-Text keeps the box)")
                ann["area"] = float(inst.area) if inst.area is not None else (x2 - x1) * (y2 - y1)
                legibility = a.get("legibility") or ("illegible" if a.get("dont_care") else "legible")
                ann["legibility"] = legibility
                if a.get("text") is not None and not (legibility == "illegible" and a.get("text") == "###"):
                    ann["utf8_string"] = a["text"]
                ann["language"] = a.get("language") or "na"
                ann["class"] = a.get("class") or "others"
                anns[str(inst_id)] = ann
                ids.append(inst_id)
                report.instances += 1
            img_to_anns[str(im.id)] = ids
            report.images += 1
        doc = {"cats": annotations.info.get("cats", {}), "anns": anns, "imgs": imgs, "imgToAnns": img_to_anns}
        if annotations.info.get("info") is not None:
            doc["info"] = annotations.info["info"]
        with atomic_open(out, "w") as f:
            json.dump(doc, f)
        return report


COCO_TEXT = DatasetInfo(
    name="coco-text",
    title="COCO-Text v2 (text in MS COCO train2014 images)",
    task="text",
    classes=(TEXT_CATEGORY.name,),
    splits={"train": 43_686, "val": 10_000},
    channels=3,
    license=(
        "annotations: Creative Commons Attribution 4.0; images: the MS COCO terms of use "
        "(Flickr licences of each image)"
    ),
    homepage="https://bgshih.github.io/cocotext/",
    citation=(
        "A. Veit, T. Matera, L. Neumann, J. Matas and S. Belongie. COCO-Text: Dataset and Benchmark for "
        "Text Detection and Recognition in Natural Images. arXiv:1601.07140, 2016."
    ),
    files=(
        DataFile("cocotext.v2.zip", extracted="cocotext.v2.json"),
        DataFile(
            "train2014.zip",
            urls=("http://images.cocodataset.org/zips/train2014.zip",),
            md5="0da8c0bd3d6becc4dcb32757491aca88",
            extracted="train2014",
        ),
    ),
    description=(
        "239,506 text instances in 63,686 COCO train2014 images (the v2 annotations cover 43,686 "
        "train and 10,000 val images), each with a bounding box, a polygon mask, its transcription "
        "(legible words), legibility, language and class (machine printed, handwritten, others)."
    ),
    manual_download=(
        "Fetch the annotations cocotext.v2.zip from https://bgshih.github.io/cocotext/ (the "
        "'COCO-Text V2.0' link: https://github.com/bgshih/cocotext/releases/download/dl/cocotext.v2.zip) "
        "and put the zip or its cocotext.v2.json in the data folder; train2014.zip is downloaded "
        "from cocodataset.org."
    ),
)


@register_dataset(COCO_TEXT)
def load_coco_text(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
) -> VisionDataset:
    """One split (``set`` of the v2 JSON) as an :class:`AnnotationDataset` of text samples."""
    found = fetch_files(info, root=root, download=download)
    ann_path = archive_member(found["cocotext.v2.zip"], root=root, info=info)
    images = archive_member(found["train2014.zip"], root=root, info=info)
    annotations = CocoTextFormat().read(ann_path, images=images, split=split)
    return AnnotationDataset(annotations, info=info, split=split, transform=transform)
