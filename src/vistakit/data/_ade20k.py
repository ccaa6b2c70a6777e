"""ADE20K: the SceneParsing benchmark (150 classes) and the full release's object and part masks.

SceneParsing (``ADEChallengeData2016.zip``, the MIT Scene Parsing Benchmark)::

    ADEChallengeData2016/images/training/ADE_train_00000001.jpg
    ADEChallengeData2016/annotations/training/ADE_train_00000001.png    0 = other, 1..150 the classes
    ADEChallengeData2016/images/validation/ADE_val_00000001.jpg
    ADEChallengeData2016/objectInfo150.csv                               the class names, in order

The class names (``ade20k_classes.txt``) are the ``Name`` column of ``objectInfo150``.
Models are trained with "reduce zero label": 0 (other) becomes 255, ignored, and class
``k`` becomes ``k - 1``, so the 150 classes are 0..149.

The full release (``ADE20K_2021_17_01``) stores each image's objects and parts in colour
PNGs beside it: ``*_seg.png`` (and ``*_parts_N.png``), where a pixel's object class is
``R / 10 * 256 + G`` (an index into the release's ``objects.txt``, 0 = none) and its object
instance is given by ``B`` (:func:`read_full_seg`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from ..structures import RLE, Sample
from ._annotations import Instance
from ._base import VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import package_lines, register_dataset
from ._resolve import archive_member, fetch_files
from ._semantic import SemanticDataset, read_label_png

__all__ = [
    "ADE20K",
    "ADE20K_FULL",
    "IGNORE_INDEX",
    "ade20k_classes",
    "full_seg_instances",
    "read_full_annotation",
    "read_full_seg",
    "read_scene_parsing_mask",
]

IGNORE_INDEX = 255
_SPLIT_DIRS = {"train": "training", "val": "validation"}


def ade20k_classes() -> list[str]:
    """The 150 SceneParsing class names, class 1 first (``objectInfo150``'s ``Name`` column)."""
    return list(package_lines("ade20k_classes.txt"))


def read_scene_parsing_mask(
    path: str | os.PathLike, *, size: tuple[int, int] | None = None, reduce_zero_label: bool = True
) -> np.ndarray:
    """A SceneParsing annotation PNG as (H, W) int64.

    Args:
        path: ``annotations/{training,validation}/*.png``.
        size: the image's (H, W), to check.
        reduce_zero_label: 0 -> 255 (ignored) and k -> k - 1 (classes 0..149); else the
            values as stored (0 other, 1..150).

    Raises:
        DatasetError: naming the file and a pixel for a value above 150, or a size mismatch.
    """
    path = Path(path)
    mask = read_label_png(path, size=size, what="annotation")
    bad = mask > 150
    if bad.any():
        y, x = np.argwhere(bad)[0]
        raise DatasetError(
            f"{path}: pixel (x={x}, y={y}) holds class {int(mask[y, x])}; SceneParsing classes are 0 (other) and 1..150"
        )
    if reduce_zero_label:
        return np.where(mask == 0, IGNORE_INDEX, mask - 1)
    return mask


def read_full_seg(path: str | os.PathLike, *, size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A full-release ``*_seg.png`` (or ``*_parts_N.png``): (class map, instance map), both (H, W) int64.

    The class of a pixel is ``R // 10 * 256 + G`` (0 = unlabelled); its instance is the rank
    of its ``B`` value among the distinct ``B`` values of the image (0, 1, ...), as the
    release's ``utils_ade20k.loadAde20K`` numbers them.

    Raises:
        DatasetError: naming the file for a missing / undecodable file, one that is not RGB,
            or a size mismatch.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            arr = np.asarray(im.convert("RGB") if im.mode in ("RGBA", "P") else im)
    except FileNotFoundError:
        raise DatasetError(f"{path}: the segmentation file is missing") from None
    except Exception as e:  # noqa: BLE001  Pillow raises OSError, SyntaxError, ValueError ...
        raise DatasetError(f"{path}: cannot decode the segmentation ({type(e).__name__}: {e})") from None
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise DatasetError(f"{path}: a full-release segmentation is an RGB image, got shape {arr.shape}")
    if size is not None and arr.shape[:2] != tuple(size):
        raise DatasetError(
            f"{path}: the segmentation is {arr.shape[1]}x{arr.shape[0]} but its image is "
            f"{size[1]}x{size[0]} (width x height)"
        )
    r, g, b = (arr[..., c].astype(np.int64) for c in range(3))
    classes = r // 10 * 256 + g
    instances = np.unique(b, return_inverse=True)[1].reshape(b.shape)
    return classes, instances


def full_seg_instances(path: str | os.PathLike, *, size: tuple[int, int] | None = None) -> list[Instance]:
    """The object instances of a ``*_seg.png``: one :class:`Instance` per instance number.

    ``category_id`` is the object class (``R // 10 * 256 + G``), the mask an :class:`RLE`, the
    box the tight xyxy box of its pixels; unlabelled pixels (class 0) are left out.

    Raises:
        DatasetError: naming the file and the instance when one instance spans two classes.
    """
    classes, instances = read_full_seg(path, size=size)
    out = []
    for k in np.unique(instances[classes > 0]).tolist():
        mask = (instances == k) & (classes > 0)
        cls = np.unique(classes[mask])
        if len(cls) != 1:
            raise DatasetError(f"{path}: instance {k} (B value) spans object classes {cls.tolist()[:5]}")
        rle = RLE.encode(mask)
        x, y, w, h = rle.bbox
        out.append(Instance(int(cls[0]), [x, y, x + w, y + h], rle=rle, id=int(k), area=float(rle.area)))
    return out


ADE20K = DatasetInfo(
    name="ade20k",
    title="ADE20K SceneParsing (MIT Scene Parsing Benchmark, ADEChallengeData2016)",
    task="semantic segmentation",
    classes=tuple(ade20k_classes()),
    splits={"train": 20_210, "val": 2_000},
    channels=3,
    license=(
        "ADE20K terms of use: images for non-commercial research and educational purposes only; "
        "annotations and code under the BSD 3-Clause licence"
    ),
    homepage="http://sceneparsing.csail.mit.edu/",
    citation=(
        "B. Zhou, H. Zhao, X. Puig, S. Fidler, A. Barriuso and A. Torralba. Scene Parsing through "
        "ADE20K Dataset. IEEE Conference on Computer Vision and Pattern Recognition (CVPR), 2017."
    ),
    files=(
        DataFile(
            "ADEChallengeData2016.zip",
            urls=("http://data.csail.mit.edu/places/ADEchallenge/ADEChallengeData2016.zip",),
            md5="7328b3957e407ddae1d3cbf487f149ef",
            extracted="ADEChallengeData2016",
        ),
    ),
    description=(
        "22,210 scene images (20,210 train, 2,000 val) annotated pixel by pixel with 150 object and "
        "stuff classes (0 = other); the benchmark subset of the ADE20K full release."
    ),
)


@register_dataset(ADE20K)
def load_ade20k(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
    reduce_zero_label: bool = True,
) -> VisionDataset:
    """One split as a :class:`SemanticDataset`.

    Args:
        reduce_zero_label: masks hold 0..149 with 255 for "other" (the 150 classes of the card);
            False keeps the stored 0..150 (``classes`` then starts with ``other``).
    """
    found = fetch_files(info, root=root, download=download)
    base = archive_member(found["ADEChallengeData2016.zip"], root=root, info=info)
    folder = base / "images" / _SPLIT_DIRS[split]
    if not folder.is_dir():
        raise DatasetError(f"{folder}: the images of split {split!r} are missing")
    images = sorted(folder.glob("*.jpg"))
    if not images:
        raise DatasetError(f"{folder}: no .jpg images")
    masks = [base / "annotations" / _SPLIT_DIRS[split] / f"{p.stem}.png" for p in images]
    read = functools.partial(read_scene_parsing_mask, reduce_zero_label=reduce_zero_label)
    classes = list(info.classes) if reduce_zero_label else ["other", *info.classes]
    return SemanticDataset(
        images,
        masks,
        read_mask=read,
        info=info,
        split=split,
        classes=classes,
        ignore_index=IGNORE_INDEX if reduce_zero_label else None,
        transform=transform,
    )


# ----------------------------------------------------------------------------- the full release


def read_full_annotation(json_path: str | os.PathLike, *, width: int, height: int) -> list[Instance]:
    """The objects and parts of one image of the full release, from its ``ADE_*.json``.

    The file (latin-1, as the release writes it) holds ``annotation.object``: one record per
    object or part with ``id``, ``name`` / ``raw_name``, ``name_ndx`` (the class, 1-based into
    the release's ``objects.txt``), ``polygon`` (``x`` and ``y`` lists), ``parts.part_level``
    (0 for a whole object, k for a part of level k, ``parts.ispartof`` its parent's id),
    ``occluded`` (``"yes"`` / ``"no"``), ``crop`` and ``attributes``.

    Returns:
        One :class:`Instance` per record with three or more polygon points: ``category_id`` is
        ``name_ndx``, the outline a :class:`Polygons` (clipped to the image by the rasteriser),
        the box its bounds, and the attributes ``name``, ``raw_name``, ``part_level``,
        ``part_of``, ``occluded`` (bool), ``crop`` and ``attributes``.

    Raises:
        DatasetError: naming the file, the object and the field.
    """
    import json

    from ._annotations import as_polygons

    path = Path(json_path)
    try:
        with open(path, encoding="latin-1") as f:
            doc = json.load(f)
        objects = doc["annotation"]["object"]
    except FileNotFoundError:
        raise DatasetError(f"{path}: the annotation file is missing") from None
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise DatasetError(f"{path}: not an ADE20K annotation (annotation.object: {type(e).__name__}: {e})") from None
    out = []
    for i, obj in enumerate(objects):
        where = f"{path}: annotation.object[{i}]"
        try:
            xs, ys = (np.asarray(obj["polygon"][k], dtype=np.float64).reshape(-1) for k in ("x", "y"))
            cls, oid = int(obj["name_ndx"]), int(obj["id"])
            parts = obj.get("parts") or {}
            level = int(parts.get("part_level", 0))
        except (KeyError, TypeError, ValueError) as e:
            raise DatasetError(f"{where}: missing or bad field ({type(e).__name__}: {e})") from None
        if len(xs) != len(ys):
            raise DatasetError(f"{where}.polygon: {len(xs)} x but {len(ys)} y values")
        if len(xs) < 3:
            continue  # a point or a line: no region
        poly = as_polygons([np.stack([xs, ys], axis=1)])
        x1, y1 = np.clip(poly.bbox[:2], 0, [width, height])
        x2, y2 = np.clip(poly.bbox[2:], 0, [width, height])
        attributes = obj.get("attributes", [])
        out.append(
            Instance(
                cls,
                [x1, y1, x2, y2],
                polygons=poly,
                id=oid,
                attributes={
                    "name": obj.get("name", ""),
                    "raw_name": obj.get("raw_name", ""),
                    "part_level": level,
                    "part_of": parts.get("ispartof"),
                    "occluded": obj.get("occluded") == "yes",
                    "crop": obj.get("crop"),
                    "attributes": attributes if isinstance(attributes, list) else [attributes],
                },
            )
        )
    return out


ADE20K_FULL = DatasetInfo(
    name="ade20k-full",
    title="ADE20K full release (ADE20K_2021_17_01): objects and parts",
    task="instance segmentation",
    classes=(),
    classes_in_files=True,
    splits={"train": 25_574, "val": 2_000},
    channels=3,
    license=ADE20K.license,
    homepage="https://groups.csail.mit.edu/vision/datasets/ADE20K/",
    citation=ADE20K.citation,
    files=(DataFile("ADE20K_2021_17_01.zip", extracted="ADE20K_2021_17_01"),),
    description=(
        "The full ADE20K release: every image's objects and their parts (up to several part levels) as "
        "polygons with 3,688 classes, occlusion and attributes, beside the *_seg.png / *_parts_N.png "
        "class and instance maps."
    ),
    manual_download=(
        "Register at https://groups.csail.mit.edu/vision/datasets/ADE20K/ and download ADE20K_2021_17_01.zip; "
        "put the zip (or its unpacked ADE20K_2021_17_01 folder) in the data folder."
    ),
)


@register_dataset(ADE20K_FULL)
def load_ade20k_full(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
    parts: bool = True,
    masks: bool = False,
) -> VisionDataset:
    """One split of the full release as an :class:`AnnotationDataset` of objects (and parts).

    Args:
        parts: keep the parts (attribute ``part_level`` > 0) beside the whole objects.
        masks: rasterise every outline into ``Sample.masks``.
    """
    from ._annotations import AnnotatedImage, AnnotationDataset, AnnotationSet, Category

    found = fetch_files(info, root=root, download=download)
    base = archive_member(found["ADE20K_2021_17_01.zip"], root=root, info=info)
    folder = base / "images" / "ADE" / _SPLIT_DIRS[split]
    if not folder.is_dir():
        raise DatasetError(f"{folder}: the images of split {split!r} are missing")
    jpgs = sorted(p for p in folder.rglob("*.jpg") if p.with_suffix(".json").is_file())
    if not jpgs:
        raise DatasetError(f"{folder}: no .jpg images with their .json annotation")
    images, names = [], {}
    for n, jpg in enumerate(jpgs):
        with Image.open(jpg) as im:
            width, height = im.size
        instances = read_full_annotation(jpg.with_suffix(".json"), width=width, height=height)
        if not parts:
            instances = [i for i in instances if i.attributes["part_level"] == 0]
        for i in instances:
            names.setdefault(i.category_id, i.attributes["name"])
        seg = jpg.with_name(f"{jpg.stem}_seg.png")
        images.append(
            AnnotatedImage(
                str(jpg.relative_to(base)),
                width,
                height,
                n,
                instances,
                segmentation=str(seg.relative_to(base)) if seg.is_file() else None,
            )
        )
    categories = [Category(k, names[k]) for k in sorted(names)]
    return AnnotationDataset(
        AnnotationSet(categories, images, image_root=base, info={"format": "ade20k-full"}),
        info=info,
        split=split,
        masks=masks,
        transform=transform,
    )
