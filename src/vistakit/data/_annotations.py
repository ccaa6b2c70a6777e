"""Annotation sets: the one format-neutral form every annotation format reads into and writes from.

An annotation format (COCO, Pascal VOC, YOLO, labelme, CVAT, Label Studio, Cityscapes,
ICDAR, ...) is a module with a reader and, where the format is an annotation format, a
writer, registered next to them::

    @register_format
    class YoloFormat(AnnotationFormat):
        name = "yolo"
        tasks = ("detection", "instances")
        describe = "YOLO: a txt per image (class cx cy w h, normalized) + data.yaml"

        def read(self, path, **options) -> AnnotationSet: ...
        def write(self, annotations, out, **options) -> ConversionReport: ...

Every reader gives an :class:`AnnotationSet`: the categories with their *own* ids (COCO's
are not 0..N-1), and one :class:`AnnotatedImage` per image with its
:class:`Instance` objects (category id, an xyxy pixel box, a polygon outline or an RLE
mask, the crowd flag, keypoints, free attributes such as VOC's ``difficult`` or a text's
transcription), its semantic / panoptic segmentation file, its captions. Converting is
``write(read(src))``: :func:`convert`. What a target format cannot express (a polygon in
YOLO detection, a crowd region in VOC, a caption in YOLO...) is never dropped silently: the
writer lists it in its :class:`ConversionReport`.

:meth:`AnnotationSet.sample` turns one image into a :class:`vistakit.structures.Sample`
(boxes with their format, labels, polygons, instance masks decoded from RLE or polygons,
keypoints, texts), which is what datasets, transforms, the engine's tasks and the
labeling tool consume.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from .._files import atomic_open
from ..structures import RLE, Boxes, Caption, Keypoints, Polygons, Sample, TextInstance
from ._base import VisionDataset, decode_image
from ._errors import DatasetError

__all__ = [
    "AnnotatedImage",
    "AnnotationDataset",
    "AnnotationFormat",
    "AnnotationSet",
    "Category",
    "ConversionReport",
    "Instance",
    "convert",
    "get_format",
    "list_formats",
    "read_annotations",
    "register_format",
    "write_annotations",
]


@dataclass(frozen=True)
class Category:
    """One category of an annotation set, with the format's own id.

    Attributes:
        id: the id annotations use (COCO: 1..90 with gaps; VOC / YOLO readers: 0..N-1).
        name: its name.
        supercategory: COCO's supercategory ("" when none).
        keypoints: names of the keypoints of this category (COCO keypoints), in order.
        skeleton: pairs of 1-based keypoint indices joined by a limb (COCO's convention).
        isthing: panoptic: a countable thing (True) or amorphous stuff (False).
        color: an RGB colour the format assigns (Cityscapes, panoptic), or None.
    """

    id: int
    name: str
    supercategory: str = ""
    keypoints: tuple[str, ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    isthing: bool = True
    color: tuple[int, int, int] | None = None


@dataclass
class Instance:
    """One annotated object, in no particular format.

    Attributes:
        category_id: the :class:`Category` id.
        box: (4,) float64 ``x1, y1, x2, y2`` in pixels of the image (COCO's
            ``[x, y, w, h]`` converted exactly; VOC's 1-based pixels made 0-based edges).
        polygons: the outline (several rings allowed), or None.
        rle: the mask as run-length encoding (COCO RLE, crowd regions), or None.
        iscrowd: a crowd region (COCO): matched by no detection as a normal instance.
        keypoints: (K, 3) float64 x, y, visibility (0 unlabelled, 1 hidden, 2 visible), or None.
        area: the format's stored area (COCO's ``area``), or None to compute it.
        id: the format's annotation id, or None.
        attributes: everything else the format says about it (``difficult``, ``truncated``,
            ``occluded``, ``text``, ``language``, ``legibility``, a track id...).
    """

    category_id: int
    box: np.ndarray
    polygons: Polygons | None = None
    rle: RLE | None = None
    iscrowd: bool = False
    keypoints: np.ndarray | None = None
    area: float | None = None
    id: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.box = np.asarray(self.box, dtype=np.float64).reshape(4)
        if self.keypoints is not None:
            self.keypoints = np.asarray(self.keypoints, dtype=np.float64).reshape(-1, 3)

    def mask(self, *, height: int, width: int) -> np.ndarray | None:
        """(H, W) bool mask from the RLE or the polygons (None when the instance has neither)."""
        if self.rle is not None:
            if tuple(self.rle.size) != (height, width):
                raise ValueError(f"instance {self.id}: RLE of size {tuple(self.rle.size)} on a {height}x{width} image")
            return self.rle.decode().astype(bool)
        if self.polygons is not None:
            return self.polygons.to_mask(height=height, width=width).astype(bool)
        return None


@dataclass
class AnnotatedImage:
    """One image and its annotations.

    Attributes:
        file_name: the image file, relative to the set's ``image_root`` (or absolute).
        width: width in pixels.
        height: height in pixels.
        id: the format's image id (COCO) or its position.
        instances: the annotated objects.
        segmentation: a semantic / panoptic label image (path relative to ``image_root`` or
            absolute), or None.
        segments: panoptic segments_info of ``segmentation`` (:class:`PanopticSegment`), or None.
        captions: captions of the whole image.
        attributes: anything else the format says about the image.
    """

    file_name: str
    width: int
    height: int
    id: int
    instances: list[Instance] = field(default_factory=list)
    segmentation: str | None = None
    segments: list[Any] | None = None
    captions: list[Caption] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnnotationSet:
    """Categories and annotated images of one split, as any annotation format reads them.

    Attributes:
        categories: the categories, with their own ids.
        images: the annotated images.
        image_root: folder the images' ``file_name`` are relative to (None: absolute names).
        info: free facts (the format read, its version, licences...).
    """

    categories: list[Category]
    images: list[AnnotatedImage]
    image_root: Path | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ids = [c.id for c in self.categories]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"categories: ids {dup} occur more than once")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def category_by_id(self) -> dict[int, Category]:
        return {c.id: c for c in self.categories}

    @property
    def num_instances(self) -> int:
        return sum(len(im.instances) for im in self.images)

    def image_path(self, image: AnnotatedImage) -> Path:
        p = Path(image.file_name)
        return p if p.is_absolute() or self.image_root is None else self.image_root / p

    def check(self, *, source: str = "annotations") -> None:
        """Every instance names a known category and its box lies in its image (else a DatasetError naming it)."""
        known = self.category_by_id
        for im in self.images:
            for k, inst in enumerate(im.instances):
                where = f"{source}: image {im.id} ({im.file_name}), instance {inst.id if inst.id is not None else k}"
                if inst.category_id not in known:
                    raise DatasetError(f"{where}: unknown category id {inst.category_id} (known: {sorted(known)[:20]})")
                x1, y1, x2, y2 = inst.box
                if not (x2 >= x1 and y2 >= y1):
                    raise DatasetError(f"{where}: box {inst.box.tolist()} has x2 < x1 or y2 < y1")
                tol = 1.0
                if x1 < -tol or y1 < -tol or x2 > im.width + tol or y2 > im.height + tol:
                    raise DatasetError(
                        f"{where}: box {inst.box.tolist()} lies outside the {im.width}x{im.height} image"
                    )

    def sample(
        self, index: int, *, load_image: bool = True, masks: bool = False, label_of: Callable[[int], int] | None = None
    ) -> Sample:
        """Image ``index`` as a :class:`Sample`.

        Args:
            index: position in :attr:`images`.
            load_image: decode the image file (else a (3, H, W) zero tensor of the right size).
            masks: also decode every instance's mask (N, H, W) from its RLE / polygons.
            label_of: category id -> label (default: the category id itself).

        Returns:
            A Sample with ``boxes`` (xyxy pixels), ``labels``, ``polygons`` (when every instance
            has one), ``masks`` (with ``masks``), ``keypoints`` (when the instances have them),
            ``texts`` / ``text_instances`` (when they carry a transcription), ``captions`` and
            ``meta`` (``image_id``, ``file_name``, ``path``, ``iscrowd``, ``category_ids``,
            ``attributes``).
        """
        im = self.images[index]
        path = self.image_path(im)
        image = decode_image(path) if load_image else torch.zeros(3, im.height, im.width, dtype=torch.uint8)
        inst = im.instances
        cat = np.array([i.category_id for i in inst], dtype=np.int64)
        labels = cat if label_of is None else np.array([label_of(int(c)) for c in cat], dtype=np.int64)
        boxes = Boxes(np.stack([i.box for i in inst]) if inst else np.zeros((0, 4)), "xyxy")
        polygons = [i.polygons for i in inst] if inst and all(i.polygons is not None for i in inst) else None
        kps = None
        if inst and all(i.keypoints is not None for i in inst):
            arr = np.stack([i.keypoints for i in inst])
            kps = Keypoints(arr[..., :2].copy(), arr[..., 2] > 0)
        texts = [i.attributes["text"] for i in inst] if inst and all("text" in i.attributes for i in inst) else None
        text_instances = None
        if texts is not None and all(i.polygons is not None for i in inst):
            text_instances = [
                TextInstance(
                    points=i.polygons.rings[0],
                    transcription=i.attributes["text"],
                    language=i.attributes.get("language", ""),
                    dont_care=bool(i.attributes.get("dont_care", False)),
                )
                for i in inst
            ]
        mask_stack = None
        if masks:
            decoded = [i.mask(height=im.height, width=im.width) for i in inst]
            if any(m is None for m in decoded):
                raise DatasetError(f"image {im.id} ({im.file_name}): an instance has no polygon or RLE mask")
            mask_stack = np.stack(decoded).astype(np.uint8) if decoded else np.zeros((0, im.height, im.width), np.uint8)
        return Sample(
            image=image,
            boxes=boxes,
            labels=labels,
            masks=mask_stack,
            keypoints=kps,
            texts=texts,
            polygons=polygons,
            text_instances=text_instances,
            captions=list(im.captions) or None,
            meta={
                "index": index,
                "image_id": im.id,
                "file_name": im.file_name,
                "path": str(path),
                "iscrowd": np.array([i.iscrowd for i in inst], dtype=bool),
                "category_ids": cat,
                "attributes": im.attributes,
            },
        )


@dataclass
class ConversionReport:
    """What a writer wrote and what it could not express.

    Attributes:
        format: the format written.
        out: where.
        images: images written.
        instances: instances written.
        category_map: source category id -> id in the written format.
        skipped: human-readable lines naming each thing the format cannot hold
            (``"image 12, instance 345: polygon outline (YOLO detection keeps the box)"``).
    """

    format: str
    out: Path
    images: int = 0
    instances: int = 0
    category_map: dict[int, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"wrote {self.images} images, {self.instances} instances as {self.format} to {self.out}"]
        if self.category_map and any(k != v for k, v in self.category_map.items()):
            lines.append("categories: " + ", ".join(f"{k} -> {v}" for k, v in sorted(self.category_map.items())))
        if self.skipped:
            lines.append(f"not expressible in {self.format} ({len(self.skipped)}):")
            lines += [f"  {s}" for s in self.skipped[:20]]
            if len(self.skipped) > 20:
                lines.append(f"  ... and {len(self.skipped) - 20} more")
        return "\n".join(lines)


class AnnotationFormat:
    """A format's reader and writer (see the module notes).

    Attributes:
        name: registry name (``coco``, ``voc``, ``yolo``...).
        tasks: what its files can hold (``detection``, ``instances``, ``keypoints``, ``semantic``,
            ``panoptic``, ``captions``, ``text``).
        describe: one line on the format.
    """

    name: ClassVar[str] = ""
    tasks: ClassVar[tuple[str, ...]] = ()
    describe: ClassVar[str] = ""

    def read(self, path: str | os.PathLike, **options: Any) -> AnnotationSet:
        raise NotImplementedError(f"{self.name} has no reader")

    def write(self, annotations: AnnotationSet, out: str | os.PathLike, **options: Any) -> ConversionReport:
        raise NotImplementedError(f"{self.name} is read-only: it has no writer")

    @property
    def can_write(self) -> bool:
        return type(self).write is not AnnotationFormat.write


_FORMATS: dict[str, AnnotationFormat] = {}


def register_format(cls: type[AnnotationFormat]) -> type[AnnotationFormat]:
    """Class decorator: make an :class:`AnnotationFormat` subclass available under its ``name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a class attribute `name`")
    if cls.name in _FORMATS and type(_FORMATS[cls.name]) is not cls:
        raise ValueError(f"an annotation format named {cls.name!r} is registered already")
    _FORMATS[cls.name] = cls()
    return cls


def list_formats() -> list[str]:
    """Names of the registered annotation formats."""
    return sorted(_FORMATS)


def get_format(name: str) -> AnnotationFormat:
    try:
        return _FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown annotation format {name!r}; known: {', '.join(list_formats())}") from None


def read_annotations(path: str | os.PathLike, *, format: str, **options: Any) -> AnnotationSet:
    """Read ``path`` in ``format`` (see :func:`list_formats`)."""
    return get_format(format).read(path, **options)


def write_annotations(
    annotations: AnnotationSet, out: str | os.PathLike, *, format: str, **options: Any
) -> ConversionReport:
    """Write ``annotations`` to ``out`` in ``format``; the report lists what the format cannot hold."""
    fmt = get_format(format)
    if not fmt.can_write:
        raise ValueError(
            f"{format} is read-only: it has no writer (writable: "
            f"{', '.join(n for n in list_formats() if _FORMATS[n].can_write)})"
        )
    return fmt.write(annotations, out, **options)


def convert(
    src: str | os.PathLike,
    out: str | os.PathLike,
    *,
    from_format: str,
    to_format: str,
    read_options: dict[str, Any] | None = None,
    write_options: dict[str, Any] | None = None,
) -> ConversionReport:
    """Read ``src`` in one format and write it to ``out`` in another (nothing is written on a read error).

    What the reader skipped (``info["skipped"]``, e.g. COCO's ``on_invalid="skip"``) heads the
    report's ``skipped`` list, so nothing leaves a conversion unreported.
    """
    annotations = read_annotations(src, format=from_format, **(read_options or {}))
    annotations.check(source=str(src))
    report = write_annotations(annotations, out, format=to_format, **(write_options or {}))
    report.skipped[:0] = [f"read: {s}" for s in annotations.info.get("skipped", ())]
    return report


def instance_where(image: AnnotatedImage, k: int, inst: Instance) -> str:
    """How a report line or an error names an instance: ``image 12 (a.jpg), instance 345``."""
    return f"image {image.id} ({image.file_name}), instance {inst.id if inst.id is not None else k}"


def writable_instance(fmt: str, image: AnnotatedImage, k: int, inst: Instance, known: Any) -> str:
    """The two checks every writer makes before it writes an instance; returns how to name it.

    Raises:
        DatasetError: ``"{fmt}: image ..., instance ...: field ..."`` when the category id is not
            in ``known`` (a container of ids), or the box is not inside the image.
    """
    where = instance_where(image, k, inst)
    if inst.category_id not in known:
        raise DatasetError(f"{fmt}: {where}: field category_id: unknown category id {inst.category_id}")
    x1, y1, x2, y2 = (float(v) for v in inst.box)
    if not (0 <= x1 <= x2 <= image.width and 0 <= y1 <= y2 <= image.height):
        raise DatasetError(
            f"{fmt}: {where}: field box: {inst.box.tolist()} lies outside the {image.width}x{image.height} image"
        )
    return where


def next_group_id(image: AnnotatedImage) -> int:
    """One more than the largest integer ``group_id`` attribute of the image's instances (1 when none)."""
    ids = [i.attributes["group_id"] for i in image.instances if isinstance(i.attributes.get("group_id"), int)]
    return 1 + max(ids, default=0)


def as_polygons(rings: Sequence[Sequence[float]] | Sequence[np.ndarray]) -> Polygons:
    """Polygons from flat ``[x1, y1, x2, y2, ...]`` lists or (K, 2) arrays."""
    return Polygons([np.asarray(r, dtype=np.float64).reshape(-1, 2) for r in rings])


def mask_crop(mask: np.ndarray, box: np.ndarray) -> tuple[tuple[int, int, int, int], bool]:
    """Where a format whose mask crop is also the object's box (labelme, CVAT) stores a non-empty mask.

    Args:
        mask: (H, W) bool, not empty.
        box: the instance's xyxy box.

    Returns:
        ``(x1, y1, x2, y2)`` integer crop (x2, y2 exclusive) and whether it is the box: the box
        itself when its corners are integers, it lies in the image and holds the mask, else the
        mask's bounds (exact only when they are the box).
    """
    ys, xs = np.nonzero(mask)
    tight = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    b = np.asarray(box, np.float64)
    h, w = mask.shape
    if (
        np.all(b == np.round(b))
        and 0 <= b[0] <= tight[0]
        and 0 <= b[1] <= tight[1]
        and tight[2] <= b[2] <= w
        and tight[3] <= b[3] <= h
    ):
        return (int(b[0]), int(b[1]), int(b[2]), int(b[3])), True
    return tight, bool(np.allclose(tight, b, rtol=0, atol=1e-9))


def place_images(pairs: Sequence[tuple[Path, Path]], *, mode: str) -> None:
    """Put each source image at its destination for a writer: ``"copy"`` (atomically), ``"symlink"`` or ``"none"``.

    A destination that is its source (writing where the set was read from) is left alone.
    """
    if mode not in ("copy", "symlink", "none"):
        raise ValueError(f"images must be 'copy', 'symlink' or 'none', got {mode!r}")
    if mode == "none":
        return
    for src, dst in pairs:
        if dst.resolve() == Path(src).resolve():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if mode == "copy":
            with open(src, "rb") as fsrc, atomic_open(dst, "wb") as fdst:
                shutil.copyfileobj(fsrc, fdst)
        else:
            if dst.exists() or dst.is_symlink():
                dst.unlink()
            dst.symlink_to(Path(src).resolve())


class AnnotationDataset(VisionDataset):
    """A data set of :class:`Sample` s read from an :class:`AnnotationSet` (detection, masks, keypoints, text).

    ``ds[i]`` and ``ds.get_sample(i)`` give the image's :class:`~vistakit.structures.Sample`
    (``transform``, a per-sample transform such as a ``vistakit.transforms`` pipeline,
    applies to ``ds[i]``: every target moves with the image), so the data set plugs straight
    into :class:`SampleDataset`, the engine's dense tasks and the labeling tool.

    ``labels`` are the categories' own ids (COCO's 1..90, as torchvision's COCO detectors
    are trained); :attr:`classes` is indexed by id (``""`` where no category has that id).

    Args:
        annotations: the annotation set.
        info: the data set's card.
        split: the split read.
        masks: decode every instance's mask into ``Sample.masks`` (instance segmentation).
        transform: a per-sample transform (``Sample -> Sample``).
    """

    def __init__(
        self,
        annotations: AnnotationSet,
        *,
        info: Any,
        split: str,
        masks: bool = False,
        transform: Callable[[Sample], Sample] | None = None,
    ) -> None:
        self.annotations = annotations
        self.info = info
        self.split = split
        self.masks = masks
        self.transform = transform
        top = max((c.id for c in annotations.categories), default=-1)
        names = [""] * (top + 1)
        for c in annotations.categories:
            if c.id >= 0:
                names[c.id] = c.name
        self.classes = names
        self.targets = torch.arange(len(annotations.images))  # one item per image (len, indexing)

    def __len__(self) -> int:
        return len(self.annotations.images)

    def load_image(self, index: int) -> torch.Tensor:
        return decode_image(self.annotations.image_path(self.annotations.images[index]))

    def target(self, index: int) -> dict[str, Any]:
        """torchvision-style target of image ``index``: ``boxes`` (xyxy float32), ``labels``, ``image_id``, ``iscrowd``."""
        s = self.annotations.sample(index, load_image=False)
        return {
            "boxes": torch.as_tensor(np.asarray(s.boxes.data), dtype=torch.float32).reshape(-1, 4),
            "labels": torch.as_tensor(s.labels, dtype=torch.int64),
            "image_id": s.meta["image_id"],
            "iscrowd": torch.as_tensor(s.meta["iscrowd"]),
        }

    def get_sample(self, index: int) -> Sample:
        """Image ``index`` with every target (see :meth:`AnnotationSet.sample`), before ``transform``."""
        index = self._check_index(index)
        return self.annotations.sample(index, masks=self.masks)

    def __getitem__(self, index: int) -> Sample:  # type: ignore[override]
        sample = self.get_sample(index)
        return self.transform(sample) if self.transform is not None else sample

    def __repr__(self) -> str:
        return (
            f"AnnotationDataset({self.info.name!r}, split={self.split!r}, {len(self)} images, "
            f"{self.annotations.num_instances} instances, {len(self.annotations.categories)} categories)"
        )
