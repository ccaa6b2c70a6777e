"""Cityscapes: the official label table, the gtFine PNGs and the polygons JSON.

The fine annotations (package ``gtFine_trainvaltest.zip``) lie beside the images
(``leftImg8bit_trainvaltest.zip``)::

    leftImg8bit/SPLIT/CITY/CITY_000000_000019_leftImg8bit.png
    gtFine/SPLIT/CITY/CITY_000000_000019_gtFine_labelIds.png      label id per pixel (uint8)
    gtFine/SPLIT/CITY/CITY_000000_000019_gtFine_instanceIds.png   16-bit: id * 1000 + instance, or
                                                                  the label id for stuff and groups
    gtFine/SPLIT/CITY/CITY_000000_000019_gtFine_polygons.json     {"imgHeight", "imgWidth", "objects":
                                                                  [{"label", "polygon": [[x, y], ...]}]}

:data:`LABELS` is the table of ``cityscapesscripts/helpers/labels.py``: 34 labels with ids
0..33 (and ``license plate`` with id -1, which no ground-truth image holds). Training uses the
19 ``train_id`` s 0..18; every other label maps to 255, the ignore label. Objects of the
polygons JSON whose label ends in ``group`` (``cargroup``) are crowds of that label.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .._files import atomic_open
from ..structures import RLE, Polygons, Sample
from ._annotations import (
    AnnotatedImage,
    AnnotationDataset,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    instance_where,
    register_format,
)
from ._base import VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, fetch_files
from ._semantic import SemanticDataset, read_label_png

__all__ = [
    "CITYSCAPES",
    "IGNORE_INDEX",
    "LABELS",
    "CityscapesInstances",
    "CityscapesLabel",
    "CityscapesPolygonsFormat",
    "label_ids_to_train_ids",
    "read_instance_ids",
    "read_label_ids",
]

#: The ignore label of train-id masks.
IGNORE_INDEX = 255


@dataclass(frozen=True)
class CityscapesLabel:
    """One row of the official label table (``cityscapesscripts/helpers/labels.py``)."""

    name: str
    id: int
    train_id: int
    category: str
    category_id: int
    has_instances: bool
    ignore_in_eval: bool
    color: tuple[int, int, int]


_L = CityscapesLabel
#: The official table, in its order: name, id, trainId, category, categoryId, hasInstances, ignoreInEval, colour.
LABELS: tuple[CityscapesLabel, ...] = (
    _L("unlabeled", 0, 255, "void", 0, False, True, (0, 0, 0)),
    _L("ego vehicle", 1, 255, "void", 0, False, True, (0, 0, 0)),
    _L("rectification border", 2, 255, "void", 0, False, True, (0, 0, 0)),
    _L("out of roi", 3, 255, "void", 0, False, True, (0, 0, 0)),
    _L("static", 4, 255, "void", 0, False, True, (0, 0, 0)),
    _L("dynamic", 5, 255, "void", 0, False, True, (111, 74, 0)),
    _L("ground", 6, 255, "void", 0, False, True, (81, 0, 81)),
    _L("road", 7, 0, "flat", 1, False, False, (128, 64, 128)),
    _L("sidewalk", 8, 1, "flat", 1, False, False, (244, 35, 232)),
    _L("parking", 9, 255, "flat", 1, False, True, (250, 170, 160)),
    _L("rail track", 10, 255, "flat", 1, False, True, (230, 150, 140)),
    _L("building", 11, 2, "construction", 2, False, False, (70, 70, 70)),
    _L("wall", 12, 3, "construction", 2, False, False, (102, 102, 156)),
    _L("fence", 13, 4, "construction", 2, False, False, (190, 153, 153)),
    _L("guard rail", 14, 255, "construction", 2, False, True, (180, 165, 180)),
    _L("bridge", 15, 255, "construction", 2, False, True, (150, 100, 100)),
    _L("tunnel", 16, 255, "construction", 2, False, True, (150, 120, 90)),
    _L("pole", 17, 5, "object", 3, False, False, (153, 153, 153)),
    _L("polegroup", 18, 255, "object", 3, False, True, (153, 153, 153)),
    _L("traffic light", 19, 6, "object", 3, False, False, (250, 170, 30)),
    _L("traffic sign", 20, 7, "object", 3, False, False, (220, 220, 0)),
    _L("vegetation", 21, 8, "nature", 4, False, False, (107, 142, 35)),
    _L("terrain", 22, 9, "nature", 4, False, False, (152, 251, 152)),
    _L("sky", 23, 10, "sky", 5, False, False, (70, 130, 180)),
    _L("person", 24, 11, "human", 6, True, False, (220, 20, 60)),
    _L("rider", 25, 12, "human", 6, True, False, (255, 0, 0)),
    _L("car", 26, 13, "vehicle", 7, True, False, (0, 0, 142)),
    _L("truck", 27, 14, "vehicle", 7, True, False, (0, 0, 70)),
    _L("bus", 28, 15, "vehicle", 7, True, False, (0, 60, 100)),
    _L("caravan", 29, 255, "vehicle", 7, True, True, (0, 0, 90)),
    _L("trailer", 30, 255, "vehicle", 7, True, True, (0, 0, 110)),
    _L("train", 31, 16, "vehicle", 7, True, False, (0, 80, 100)),
    _L("motorcycle", 32, 17, "vehicle", 7, True, False, (0, 0, 230)),
    _L("bicycle", 33, 18, "vehicle", 7, True, False, (119, 11, 32)),
    _L("license plate", -1, -1, "vehicle", 7, False, True, (0, 0, 142)),
)
del _L

_BY_NAME = {lab.name: lab for lab in LABELS}
_BY_ID = {lab.id: lab for lab in LABELS if lab.id >= 0}
#: The 19 evaluation classes in train-id order.
TRAIN_CLASSES = tuple(
    lab.name for lab in sorted((x for x in LABELS if 0 <= x.train_id < 255), key=lambda x: x.train_id)
)
#: The 34 labels in id order (0..33).
LABEL_CLASSES = tuple(_BY_ID[i].name for i in range(len(_BY_ID)))
_TRAIN_LUT = np.full(256, -1, np.int64)
for _lab in _BY_ID.values():
    _TRAIN_LUT[_lab.id] = _lab.train_id if _lab.train_id >= 0 else IGNORE_INDEX


def _categories(*, things_only: bool) -> list[Category]:
    return [
        Category(lab.id, lab.name, supercategory=lab.category, isthing=lab.has_instances, color=lab.color)
        for lab in LABELS
        if lab.has_instances or not things_only
    ]


def _unknown(path: Path, ids: np.ndarray, bad: np.ndarray, what: str) -> DatasetError:
    y, x = np.argwhere(bad)[0]
    values = sorted({int(v) for v in np.unique(ids[bad])})
    return DatasetError(
        f"{path}: pixel (x={x}, y={y}) of the {what} holds label id {int(ids[y, x])}, not in the "
        f"Cityscapes table (ids 0..33; unknown ids in the file: {values[:10]})"
    )


def read_label_ids(path: str | os.PathLike, *, size: tuple[int, int] | None = None) -> np.ndarray:
    """A ``*_gtFine_labelIds.png`` as an (H, W) int64 array of label ids, checked against the table.

    Args:
        path: the PNG.
        size: (height, width) of its image, to check.

    Raises:
        DatasetError: naming the file for a size mismatch or a pixel whose id the table lacks.
    """
    path = Path(path)
    ids = read_label_png(path, size=size, what="labelIds")
    bad = (ids < 0) | (ids > 255)
    bad[~bad] = _TRAIN_LUT[ids[~bad]] < 0
    if bad.any():
        raise _unknown(path, ids, bad, "labelIds")
    return ids


def label_ids_to_train_ids(label_ids: np.ndarray) -> np.ndarray:
    """Map label ids (0..33) to train ids (0..18, :data:`IGNORE_INDEX` for the rest); int64, same shape."""
    ids = np.asarray(label_ids)
    if ids.size and (ids.min() < 0 or ids.max() > 255 or (_TRAIN_LUT[ids] < 0).any()):
        raise ValueError(
            f"label ids {sorted(set(np.unique(ids).tolist()) - set(_BY_ID))[:10]} are not in the Cityscapes table"
        )
    return _TRAIN_LUT[ids]


def read_instance_ids(path: str | os.PathLike, *, size: tuple[int, int] | None = None) -> list[Instance]:
    """The instances of a ``*_gtFine_instanceIds.png``.

    A pixel value ``v >= 1000`` is instance ``v % 1000`` of label ``v // 1000``; a value below
    1000 is a label id: for a label with instances (``hasInstances``) it is a group of them that
    could not be told apart, read as a crowd (``iscrowd``); stuff labels are left out.

    Returns:
        One :class:`Instance` per instance or crowd, in increasing pixel value: its label id as
        ``category_id``, the mask as an :class:`RLE`, the tight xyxy box over the pixels, and
        the attribute ``instance_id`` (the pixel value).

    Raises:
        DatasetError: naming the file for a size mismatch, an unknown label id, or an
            instance of a label without instances.
    """
    path = Path(path)
    ids = read_label_png(path, size=size, what="instanceIds")
    values = np.unique(ids)
    out = []
    for v in values.tolist():
        label_id = v // 1000 if v >= 1000 else v
        lab = _BY_ID.get(label_id)
        if lab is None:
            raise _unknown(path, ids // np.where(ids >= 1000, 1000, 1), ids == v, "instanceIds")
        if not lab.has_instances:
            if v >= 1000:
                raise DatasetError(
                    f"{path}: value {v} is an instance of {lab.name!r} (label id {label_id}), "
                    "a label without instances (hasInstances False)"
                )
            continue
        mask = ids == v
        rle = RLE.encode(mask)
        x, y, w, h = rle.bbox
        out.append(
            Instance(
                label_id,
                [x, y, x + w, y + h],
                rle=rle,
                iscrowd=v < 1000,
                id=v,
                area=float(rle.area),
                attributes={"instance_id": v},
            )
        )
    return out


# ---------------------------------------------------------------------------------- polygons JSON

_GT_SUFFIX = re.compile(r"_gt(Fine|Coarse)_polygons\.json$")


def _image_of(json_path: Path) -> tuple[Path, str]:
    """(image root, file name relative to it) of the ``*_leftImg8bit.png`` a polygons JSON annotates.

    In a Cityscapes tree (``ROOT/gtFine/SPLIT/CITY/X_gtFine_polygons.json``) the image is
    ``ROOT/leftImg8bit/SPLIT/CITY/X_leftImg8bit.png``; elsewhere it is looked for beside the JSON.
    """
    stem = _GT_SUFFIX.sub("", json_path.name) if _GT_SUFFIX.search(json_path.name) else json_path.stem
    parts = json_path.parent.parts
    for k in range(len(parts) - 1, -1, -1):
        if parts[k] in ("gtFine", "gtCoarse"):
            return Path(*parts[:k]) if k else Path("."), str(
                Path("leftImg8bit", *parts[k + 1 :], f"{stem}_leftImg8bit.png")
            )
    return json_path.parent, f"{stem}_leftImg8bit.png"


def read_polygons_json(path: str | os.PathLike, *, image_id: int) -> AnnotatedImage:
    """One ``*_polygons.json`` (see :class:`CityscapesPolygonsFormat`); ``file_name`` relative to the tree's root.

    Raises:
        DatasetError: naming the file, the object (``objects[3]``) and the key for a missing
            key, a label the table lacks or a polygon of fewer than 3 points.
    """
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DatasetError(f"{path}: cannot be read as JSON ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict):
        raise DatasetError(f"{path}: expected a JSON object, got {type(obj).__name__}")
    for key in ("imgHeight", "imgWidth", "objects"):
        if key not in obj:
            raise DatasetError(f"{path}: missing key {key!r} (has {sorted(obj)})")
    file_name = _image_of(path)[1]
    instances = []
    for k, o in enumerate(obj["objects"]):
        where = f"{path}: objects[{k}]"
        if not isinstance(o, dict):
            raise DatasetError(f"{where}: expected an object, got {type(o).__name__}")
        for key in ("label", "polygon"):
            if key not in o:
                raise DatasetError(f"{where}: missing key {key!r} (has {sorted(o)})")
        if o.get("deleted"):
            continue
        name = o["label"]
        crowd = False
        if name not in _BY_NAME and isinstance(name, str) and name.endswith("group"):
            name, crowd = name[: -len("group")], True
        lab = _BY_NAME.get(name)
        if lab is None:
            raise DatasetError(f"{where}: field 'label' is {o['label']!r}, not a Cityscapes label")
        try:
            pts = np.asarray(o["polygon"], dtype=np.float64)
            poly = Polygons([pts])
        except (ValueError, TypeError) as e:
            raise DatasetError(f"{where}: field 'polygon' is not a list of at least 3 [x, y] points ({e})") from None
        attrs = {key: o[key] for key in ("id", "user", "verified", "date") if key in o}
        instances.append(Instance(lab.id, poly.bbox, polygons=poly, iscrowd=crowd, id=k, attributes=attrs))
    return AnnotatedImage(
        file_name,
        int(obj["imgWidth"]),
        int(obj["imgHeight"]),
        image_id,
        instances,
        attributes={"ground_truth": path.name},
    )


@register_format
class CityscapesPolygonsFormat(AnnotationFormat):
    """Cityscapes ``*_gtFine_polygons.json`` (and ``*_gtCoarse_polygons.json``).

    Each file holds ``imgHeight``, ``imgWidth`` and ``objects``, a list of
    ``{"label": name, "polygon": [[x, y], ...]}`` drawn in order (later objects cover
    earlier ones); a label ending in ``group`` is a crowd of that label, and objects marked
    ``deleted`` are skipped, as ``json2labelImg`` does. Instances keep the label id as
    category id and the object's position as id.

    Read: ``path`` is one JSON file or a folder searched recursively (a gtFine tree); the
    images are the ``leftImg8bit`` files beside the ``gtFine`` folder.

    Write: one ``*_gtFine_polygons.json`` per image under ``out``, in the folders of the
    image's ``file_name`` below ``leftImg8bit/``.
    """

    name = "cityscapes"
    tasks = ("instances", "semantic")
    describe = "Cityscapes: *_gtFine_polygons.json per image (imgHeight, imgWidth, objects: label + polygon)"

    def read(self, path: str | os.PathLike, **options: Any) -> AnnotationSet:
        if options:
            raise TypeError(f"{self.name} read takes no option(s) {sorted(options)}")
        path = Path(path)
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = sorted(path.rglob("*_polygons.json"))
        else:
            raise DatasetError(f"{path}: no such file or folder")
        roots = {_image_of(f)[0] for f in files}
        root = roots.pop() if len(roots) == 1 else None
        images = [read_polygons_json(f, image_id=k) for k, f in enumerate(files)]
        if root is None:  # files from several trees: absolute image paths
            for f, im in zip(files, images):
                im.file_name = str((_image_of(f)[0] / im.file_name).resolve())
        return AnnotationSet(_categories(things_only=False), images, image_root=root, info={"format": self.name})

    def write(self, annotations: AnnotationSet, out: str | os.PathLike, **options: Any) -> ConversionReport:
        if options:
            raise TypeError(f"{self.name} write takes no option(s) {sorted(options)}")
        out = Path(out)
        report = ConversionReport(self.name, out)
        names = {c.id: c.name for c in annotations.categories}
        for im in annotations.images:
            objects = []
            for k, inst in enumerate(im.instances):
                where = instance_where(im, k, inst)
                name = names.get(inst.category_id)
                if name not in _BY_NAME:
                    report.skipped.append(f"{where}: category {name!r} is not a Cityscapes label (left out)")
                    continue
                if inst.polygons is None or not len(inst.polygons):
                    report.skipped.append(f"{where}: no polygon outline (a mask or a box only; left out)")
                    continue
                if len(inst.polygons) > 1:
                    report.skipped.append(
                        f"{where}: {len(inst.polygons)} rings (written as {len(inst.polygons)} objects)"
                    )
                label = name + "group" if inst.iscrowd else name
                for ring in inst.polygons.rings:
                    pts = [[int(v) if float(v).is_integer() else float(v) for v in p] for p in ring.tolist()]
                    objects.append({"label": label, "polygon": pts})
                report.instances += 1
            rel = Path(im.file_name)
            if rel.is_absolute():
                rel = Path(rel.name)
            elif rel.parts and rel.parts[0] == "leftImg8bit":
                rel = Path(*rel.parts[1:])
            stem = rel.stem.removesuffix("_leftImg8bit")
            doc = {"imgHeight": im.height, "imgWidth": im.width, "objects": objects}
            with atomic_open(out / rel.parent / f"{stem}_gtFine_polygons.json", "w") as f:
                json.dump(doc, f, indent=4)
                f.write("\n")
            report.images += 1
        return report


# ---------------------------------------------------------------------------------- data sets


def _pairs(root: Path, split: str) -> list[tuple[Path, str]]:
    """(image path, gt stem) of every ``leftImg8bit/SPLIT/CITY/*_leftImg8bit.png``, sorted."""
    folder = root / "leftImg8bit" / split
    if not folder.is_dir():
        raise DatasetError(f"{folder}: the images of split {split!r} are missing")
    out = []
    for p in sorted(folder.glob("*/*_leftImg8bit.png")):
        stem = p.name[: -len("_leftImg8bit.png")]
        out.append((p, str(Path("gtFine", split, p.parent.name, stem))))
    if not out:
        raise DatasetError(f"{folder}: no CITY/*_leftImg8bit.png images")
    return out


def _train_id_mask(path: Path, *, size: tuple[int, int] | None) -> np.ndarray:
    return _TRAIN_LUT[read_label_ids(path, size=size)]


def _label_id_mask(path: Path, *, size: tuple[int, int] | None) -> np.ndarray:
    return read_label_ids(path, size=size)


class CityscapesInstances(AnnotationDataset):
    """Cityscapes instances from the ``*_gtFine_instanceIds.png`` files, read when first asked for.

    Categories are the 10 labels with instances, by label id (``person`` 24 .. ``bicycle`` 33);
    ``ds[i]`` is a :class:`Sample` with ``boxes``, ``labels``, ``masks`` (with ``masks=True``)
    and ``meta["iscrowd"]`` marking the groups. Instances are read from the PNG the first time
    an image is used (reading 2,975 16-bit PNGs up front would take minutes).
    """

    def __init__(
        self,
        annotations: AnnotationSet,
        instance_files: list[Path],
        *,
        info: DatasetInfo,
        split: str,
        masks: bool = True,
        transform: Callable[[Sample], Sample] | None = None,
    ) -> None:
        super().__init__(annotations, info=info, split=split, masks=masks, transform=transform)
        self.instance_files = list(instance_files)
        self._loaded = [False] * len(self.instance_files)

    def _load(self, index: int) -> None:
        if not self._loaded[index]:
            im = self.annotations.images[index]
            im.instances = read_instance_ids(self.instance_files[index], size=(im.height, im.width))
            self._loaded[index] = True

    def target(self, index: int) -> dict[str, Any]:
        self._load(self._check_index(index))
        return super().target(index)

    def get_sample(self, index: int) -> Sample:
        self._load(self._check_index(index))
        return super().get_sample(index)


CITYSCAPES = DatasetInfo(
    name="cityscapes",
    title="Cityscapes (fine annotations)",
    task="semantic segmentation",
    classes=TRAIN_CLASSES,
    splits={"train": 2975, "val": 500, "test": 1525},
    image_size=(1024, 2048),
    channels=3,
    license=(
        "Cityscapes licence: non-commercial use only (research, teaching, publications, personal "
        "experiments); the data may not be redistributed; see https://www.cityscapes-dataset.com/license/"
    ),
    homepage="https://www.cityscapes-dataset.com/",
    citation=(
        "M. Cordts, M. Omran, S. Ramos, T. Rehfeld, M. Enzweiler, R. Benenson, U. Franke, S. Roth and "
        "B. Schiele. The Cityscapes Dataset for Semantic Urban Scene Understanding. IEEE Conference on "
        "Computer Vision and Pattern Recognition (CVPR), 2016."
    ),
    files=(
        DataFile("leftImg8bit_trainvaltest.zip", extracted="leftImg8bit"),
        DataFile("gtFine_trainvaltest.zip", extracted="gtFine"),
    ),
    description=(
        "5,000 street scenes from 50 cities, 2048x1024, with fine pixel annotations "
        "(2,975 train, 500 val, 1,525 test whose labels are withheld): 34 labels, 19 of them "
        "evaluated (train ids 0..18, the rest 255), and instances of the 10 labels with instances."
    ),
    manual_download=(
        "Cityscapes is published to registered users only: create an account at "
        "https://www.cityscapes-dataset.com/register/, log in, and from the Downloads page fetch "
        "gtFine_trainvaltest.zip (241 MB, package 1) and leftImg8bit_trainvaltest.zip (11 GB, package 3), "
        "e.g. with `csDownload gtFine_trainvaltest.zip` of the cityscapesscripts package after logging in; "
        "put both zips (or the gtFine/ and leftImg8bit/ folders they unpack to) in the data folder."
    ),
    other_labels={"id": LABEL_CLASSES},
)


@register_dataset(CITYSCAPES)
def load_cityscapes(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
    target: str = "semantic",
    label: str = "train_id",
    masks: bool = True,
) -> VisionDataset:
    """One split of the fine annotations.

    Args:
        target: ``semantic`` (a :class:`SemanticDataset`: ``Sample.mask``), ``instances``
            (:class:`CityscapesInstances` from the instanceIds PNGs) or ``polygons`` (an
            :class:`AnnotationDataset` of every object of the polygons JSON, stuff included).
        label: for ``semantic``: ``train_id`` (19 classes, 255 ignore) or ``id`` (the 34 label ids).
        masks: for ``instances`` / ``polygons``: decode the instance masks into ``Sample.masks``.
    """
    if target not in ("semantic", "instances", "polygons"):
        raise ValueError(f"cityscapes target must be 'semantic', 'instances' or 'polygons', got {target!r}")
    found = fetch_files(info, root=root, download=download)
    images_dir = archive_member(found["leftImg8bit_trainvaltest.zip"], root=root, info=info)
    gt_dir = archive_member(found["gtFine_trainvaltest.zip"], root=root, info=info)
    data_root = images_dir.parent
    pairs = _pairs(data_root, split)
    gt = [gt_dir.parent / f"{stem}_gtFine" for _, stem in pairs]
    if target == "semantic":
        if label not in ("train_id", "id"):
            raise ValueError(f"cityscapes label must be 'train_id' or 'id', got {label!r}")
        train = label == "train_id"
        return SemanticDataset(
            [p for p, _ in pairs],
            [Path(f"{g}_labelIds.png") for g in gt],
            read_mask=_train_id_mask if train else _label_id_mask,
            info=info,
            split=split,
            classes=TRAIN_CLASSES if train else LABEL_CLASSES,
            ignore_index=IGNORE_INDEX if train else None,
            transform=transform,
        )
    if target == "polygons":
        annotated = []
        for k, ((p, _), g) in enumerate(zip(pairs, gt)):
            im = read_polygons_json(Path(f"{g}_polygons.json"), image_id=k)
            im.file_name = str(p.relative_to(data_root))  # the images may lie in another folder than gtFine
            annotated.append(im)
        ann = AnnotationSet(
            _categories(things_only=False), annotated, image_root=data_root, info={"format": "cityscapes"}
        )
        return AnnotationDataset(ann, info=info, split=split, masks=masks, transform=transform)
    images = []
    for k, (p, _) in enumerate(pairs):
        try:
            with Image.open(p) as im:
                width, height = im.size
        except Exception as e:  # noqa: BLE001  Pillow raises OSError, SyntaxError, ValueError ...
            raise DatasetError(f"{p}: cannot read the image ({type(e).__name__}: {e})") from None
        images.append(AnnotatedImage(str(p.relative_to(data_root)), width, height, k))
    ann = AnnotationSet(_categories(things_only=True), images, image_root=data_root, info={"format": "cityscapes"})
    return CityscapesInstances(
        ann, [Path(f"{g}_instanceIds.png") for g in gt], info=info, split=split, masks=masks, transform=transform
    )
