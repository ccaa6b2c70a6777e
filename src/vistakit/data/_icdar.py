"""ICDAR scene-text ground truth: ICDAR 2015 / MLT quadrilaterals and ICDAR 2013 boxes.

* ICDAR 2015 (Incidental Scene Text, Challenge 4): one ``gt_img_N.txt`` per
  ``img_N.jpg``, UTF-8 with a byte-order mark and CRLF line ends, one word per line::

      377,117,463,117,465,130,378,130,Genaxis Theatre
      374,155,409,155,409,170,374,170,###

  the four corners clockwise from the top-left of the word, then the transcription,
  which may itself hold commas; ``###`` marks a region evaluation ignores (don't care).
* MLT 2017 / 2019 (Multi-Lingual Text): the same with the script before the text,
  ``x1,y1,...,x4,y4,Latin,Hello`` (``Arabic``, ``Bangla``, ``Chinese``, ``Hindi``,
  ``Japanese``, ``Korean``, ``Latin``, ``Symbols``, ``Mixed``, ``None``); MLT 2019 names
  the files after the image (``tr_img_00001.txt``), MLT 2017 ``gt_img_1.txt``.
* ICDAR 2013 (Focused Scene Text, Challenge 2): ``gt_N.txt`` / ``gt_img_N.txt`` with
  axis-aligned boxes ``left top right bottom "text"``, separated by spaces (training set)
  or by commas (test set).

Every word becomes an :class:`Instance` of the one category ``text`` with its outline
as :class:`Polygons` (the quadrilateral, or the box's four corners), the tight box, and
the attributes ``text``, ``dont_care`` and (MLT) ``language``, so
:meth:`AnnotationSet.sample` gives ``texts`` and ``text_instances``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .._files import atomic_open, is_image_file
from ..structures import DONT_CARE, Polygons, Sample
from ._annotations import (
    AnnotatedImage,
    AnnotationDataset,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    get_format,
    instance_where,
    register_format,
)
from ._base import VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import Located, data_home, fetch_files

__all__ = [
    "ICDAR2013",
    "ICDAR2015",
    "MLT2017",
    "MLT2019",
    "TEXT_CATEGORY",
    "ICDAR2013Format",
    "ICDAR2015Format",
    "MLTFormat",
    "read_icdar2015_file",
    "text_instance",
]

#: The one category of every scene-text annotation set.
TEXT_CATEGORY = Category(0, "text")
_QUAD_FIELDS = ("x1", "y1", "x2", "y2", "x3", "y3", "x4", "y4")
_BOM = "\ufeff"


def text_instance(
    points: np.ndarray, *, text: str | None, dont_care: bool = False, id: int | None = None, **attributes: Any
) -> Instance:
    """An :class:`Instance` of :data:`TEXT_CATEGORY` outlined by ``points`` (K, 2).

    ``text`` None (no transcription known) leaves the ``text`` attribute out; ``###`` is
    always don't care.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    attrs: dict[str, Any] = {}
    if text is not None:
        attrs["text"] = text
    attrs["dont_care"] = bool(dont_care) or text == DONT_CARE
    attrs.update({k: v for k, v in attributes.items() if v is not None})
    box = np.concatenate([pts.min(axis=0), pts.max(axis=0)])
    return Instance(TEXT_CATEGORY.id, box, polygons=Polygons([pts]), id=id, attributes=attrs)


def image_size(path: Path, *, source: Path) -> tuple[int, int]:
    """(width, height) from the image's header (``source`` names the ground truth that needs it)."""
    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise DatasetError(f"{source}: its image {path} is missing") from None
    except Exception as e:  # noqa: BLE001  Pillow raises OSError, SyntaxError, ValueError ...
        raise DatasetError(f"{source}: its image {path} cannot be read ({type(e).__name__}: {e})") from None


def _images_by_stem(*folders: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise DatasetError(f"{folder}: the image folder is missing")
        out.update((p.stem, p) for p in sorted(folder.iterdir()) if is_image_file(p))
    return out


def _image_folders(path: Path, images: Any) -> tuple[list[Path], Path | None]:
    """The image folders of a read and the set's image_root (None, with absolute names, for several)."""
    if images is None:
        folders = [path if path.is_dir() else path.parent]
    elif isinstance(images, (str, os.PathLike)):
        folders = [Path(images)]
    else:
        folders = [Path(p) for p in images]
    return folders, (folders[0] if len(folders) == 1 else None)


def _gt_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DatasetError(f"{path}: no such ground-truth file or folder")
    return sorted(
        (p for p in path.iterdir() if p.suffix.lower() == ".txt" and not p.name.startswith(".")), key=_natural
    )


def _natural(p: Path) -> tuple:
    """Sort key that puts img_2 before img_10."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name))


def _image_stem(gt: Path) -> str:
    return gt.stem.removeprefix("gt_")


def _read_text(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DatasetError(f"{path}: cannot be read ({e})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DatasetError(f"{path}: not UTF-8 (byte {e.start}: {data[e.start : e.start + 4]!r})") from None
    return text.lstrip(_BOM).splitlines()


def read_icdar2015_file(path: str | os.PathLike, *, with_language: bool = False) -> list[Instance]:
    """The words of one ICDAR 2015 (or, ``with_language``, MLT) ground-truth file.

    Raises:
        DatasetError: naming the file, the line and the field (``x3``, ``language``...)
            for a line with too few fields or a coordinate that is not a number.
    """
    path = Path(path)
    fields = _QUAD_FIELDS + (("language",) if with_language else ()) + ("transcription",)
    out: list[Instance] = []
    for n, line in enumerate(_read_text(path), 1):
        if not line.strip():
            continue
        parts = line.split(",", len(fields) - 1)
        xy = []
        for name, value in zip(_QUAD_FIELDS, parts):
            try:
                xy.append(float(value))
            except ValueError:
                raise DatasetError(
                    f"{path}: line {n}: field {name} is {value.strip()!r}, not a number "
                    f"(a quadrilateral needs 8 coordinates, this line has {len(xy)})"
                ) from None
        if len(parts) < len(fields):
            raise DatasetError(
                f"{path}: line {n}: {len(parts)} fields, expected {len(fields)} "
                f"({','.join(fields)}); missing field {fields[len(parts)]} in {line!r:.80}"
            )
        language = parts[8].strip() if with_language else None
        out.append(text_instance(np.array(xy).reshape(4, 2), text=parts[-1], id=n, language=language))
    return out


@register_format
class ICDAR2015Format(AnnotationFormat):
    """ICDAR 2015 ``gt_img_N.txt`` files (see the module notes).

    Read options:
        images: the folder of the images, or a list of folders (MLT spreads them over several;
            the set's names are then absolute); default: the ground-truth folder. The image
            of ``gt_img_7.txt`` is ``img_7.*``, of ``tr_img_00007.txt`` ``tr_img_00007.*``.

    Write options:
        prefix: file name before the image's stem (default ``gt_``: ``gt_img_7.txt``).
    """

    name = "icdar2015"
    tasks = ("text",)
    describe = "ICDAR 2015: gt_img_N.txt per image, x1,y1,...,x4,y4,transcription (### = don't care)"
    with_language = False

    def read(
        self,
        path: str | os.PathLike,
        *,
        images: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
        **options: Any,
    ) -> AnnotationSet:
        if options:
            raise TypeError(f"{self.name} read takes no option(s) {sorted(options)}")
        path = Path(path)
        files = _gt_files(path)
        folders, root = _image_folders(path, images)
        by_stem = _images_by_stem(*folders)
        out = []
        for k, gt in enumerate(files):
            stem = _image_stem(gt)
            image = by_stem.get(stem) or by_stem.get(gt.stem)
            if image is None:
                raise DatasetError(f"{gt}: no image {stem}.* in {', '.join(map(str, folders))}")
            width, height = image_size(image, source=gt)
            out.append(
                AnnotatedImage(
                    image.name if root is not None else str(image.resolve()),
                    width,
                    height,
                    k,
                    read_icdar2015_file(gt, with_language=self.with_language),
                    attributes={"ground_truth": gt.name},
                )
            )
        return AnnotationSet([TEXT_CATEGORY], out, image_root=root, info={"format": self.name})

    def write(
        self, annotations: AnnotationSet, out: str | os.PathLike, *, prefix: str = "gt_", **options: Any
    ) -> ConversionReport:
        if options:
            raise TypeError(f"{self.name} write takes no option(s) {sorted(options)}")
        out = Path(out)
        report = ConversionReport(self.name, out)
        for im in annotations.images:
            lines = []
            for k, inst in enumerate(im.instances):
                line = self._line(im, k, inst, report)
                if line is not None:
                    lines.append(line)
            with atomic_open(out / f"{prefix}{Path(im.file_name).stem}.txt", "wb") as f:
                f.write((_BOM + "".join(ln + "\r\n" for ln in lines)).encode("utf-8"))
            report.images += 1
            report.instances += len(lines)
        return report

    def _line(self, im: AnnotatedImage, k: int, inst: Instance, report: ConversionReport) -> str | None:
        where = instance_where(im, k, inst)
        if inst.polygons is not None and len(inst.polygons) == 1 and len(inst.polygons.rings[0]) == 4:
            quad = inst.polygons.rings[0]
        elif inst.polygons is not None and len(inst.polygons):
            report.skipped.append(
                f"{where}: outline of {[len(r) for r in inst.polygons.rings]} points "
                f"({self.name} holds quadrilaterals; the word is left out)"
            )
            return None
        else:
            x1, y1, x2, y2 = inst.box
            quad = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
            if inst.rle is not None:
                report.skipped.append(f"{where}: mask (written as its box)")
        text = inst.attributes.get("text")
        if inst.attributes.get("dont_care") or text is None:
            if text is None and not inst.attributes.get("dont_care"):
                report.skipped.append(f"{where}: no transcription (written as {DONT_CARE})")
            text = DONT_CARE
        elif "\n" in text or "\r" in text:
            report.skipped.append(f"{where}: line break in the transcription (written as a space)")
            text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        nums = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in np.asarray(quad).ravel()]
        if self.with_language:
            nums.append(str(inst.attributes.get("language") or "None"))
        return ",".join(nums + [text])


@register_format
class MLTFormat(ICDAR2015Format):
    """ICDAR MLT 2017 / 2019: ``x1,y1,...,x4,y4,script,transcription`` (``language`` attribute)."""

    name = "mlt"
    describe = "ICDAR MLT 2017/2019: x1,y1,...,x4,y4,script,transcription per line (### = don't care)"
    with_language = True


_LINE_2013 = re.compile(
    r"^\s*(?P<x1>[-+\d.eE]+)\s*[,\s]\s*(?P<y1>[-+\d.eE]+)\s*[,\s]\s*(?P<x2>[-+\d.eE]+)\s*[,\s]\s*"
    r"(?P<y2>[-+\d.eE]+)\s*[,\s]\s*\"(?P<text>.*)\"\s*$"
)


@register_format
class ICDAR2013Format(AnnotationFormat):
    """ICDAR 2013 focused scene text: ``left top right bottom "text"`` per line (see the module notes).

    Read options:
        images: the folder of the images (default: the ground-truth folder); the image of
            ``gt_100.txt`` is ``100.*``.

    Write options:
        separator: ``" "`` (the training files, default) or ``", "`` (the test files).
    """

    name = "icdar2013"
    tasks = ("text", "detection")
    describe = 'ICDAR 2013: gt_N.txt per image, left top right bottom "transcription" (spaces or commas)'

    def read(
        self, path: str | os.PathLike, *, images: str | os.PathLike | None = None, **options: Any
    ) -> AnnotationSet:
        if options:
            raise TypeError(f"{self.name} read takes no option(s) {sorted(options)}")
        path = Path(path)
        folder = Path(images) if images is not None else (path if path.is_dir() else path.parent)
        by_stem = _images_by_stem(folder)
        out = []
        for k, gt in enumerate(_gt_files(path)):
            stem = _image_stem(gt)
            image = by_stem.get(stem)
            if image is None:
                raise DatasetError(f"{gt}: no image {stem}.* in {folder}")
            width, height = image_size(image, source=gt)
            words = []
            for n, line in enumerate(_read_text(gt), 1):
                if not line.strip():
                    continue
                m = _LINE_2013.match(line)
                if m is None:
                    raise DatasetError(f'{gt}: line {n}: expected left top right bottom "text", got {line!r:.80}')
                xy = []
                for name in ("x1", "y1", "x2", "y2"):
                    try:
                        xy.append(float(m[name]))
                    except ValueError:
                        raise DatasetError(f"{gt}: line {n}: field {name} is {m[name]!r}, not a number") from None
                x1, y1, x2, y2 = xy
                if x2 < x1 or y2 < y1:
                    raise DatasetError(f"{gt}: line {n}: box {xy} has right < left or bottom < top")
                quad = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
                words.append(text_instance(quad, text=m["text"], id=n))
            out.append(AnnotatedImage(image.name, width, height, k, words, attributes={"ground_truth": gt.name}))
        return AnnotationSet([TEXT_CATEGORY], out, image_root=folder, info={"format": self.name})

    def write(
        self, annotations: AnnotationSet, out: str | os.PathLike, *, separator: str = " ", **options: Any
    ) -> ConversionReport:
        if options:
            raise TypeError(f"{self.name} write takes no option(s) {sorted(options)}")
        if separator not in (" ", ", "):
            raise ValueError(f"separator must be ' ' or ', ', got {separator!r}")
        out = Path(out)
        report = ConversionReport(self.name, out)
        for im in annotations.images:
            lines = []
            for k, inst in enumerate(im.instances):
                where = instance_where(im, k, inst)
                if inst.polygons is not None:
                    rings = inst.polygons.rings
                    axis_aligned = (
                        len(rings) == 1
                        and len(rings[0]) == 4
                        and set(rings[0][:, 0]) <= set(inst.box[[0, 2]])
                        and set(rings[0][:, 1]) <= set(inst.box[[1, 3]])
                    )
                    if not axis_aligned:
                        report.skipped.append(f"{where}: oriented outline (ICDAR 2013 keeps the box)")
                text = inst.attributes.get("text")
                if text is None:
                    report.skipped.append(f"{where}: no transcription (written as {DONT_CARE})")
                    text = DONT_CARE
                nums = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in inst.box]
                lines.append(separator.join(nums + [f'"{text}"']))
            with atomic_open(out / f"gt_{Path(im.file_name).stem}.txt", "wb") as f:
                f.write("".join(ln + "\r\n" for ln in lines).encode("utf-8"))
            report.images += 1
            report.instances += len(lines)
        return report


# ---------------------------------------------------------------------------------- data sets


def unpacked_folder(loc: Located, *, root: str | os.PathLike | None, info: DatasetInfo) -> Path:
    """The folder of a located file: itself, or the zip of loose files (as the RRC publishes them) unpacked.

    Most of the Robust Reading Competition's zips hold their files without a top folder, some
    hold one folder named as the zip: either way the zip is unpacked into a temporary folder
    beside it and the files end in ``extracted`` (renamed only when unpacking succeeded).
    """
    assert loc.path is not None
    if loc.path.is_dir():
        return loc.path
    name = loc.file.extracted or loc.path.stem
    into = (
        loc.path.parent
        if os.access(loc.path.parent, os.W_OK)
        else (Path(root).expanduser() if root is not None else data_home(info))
    )
    dest = into / name
    if dest.is_dir():
        return dest
    into.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=into, prefix=f".{name}.", suffix=".extract"))
    try:
        try:
            with zipfile.ZipFile(loc.path) as zf:
                zf.extractall(tmp)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise DatasetError(f"{loc.path}: cannot be extracted ({type(e).__name__}: {e})") from None
        inner = tmp / name
        entries = list(tmp.iterdir())
        os.replace(inner if entries == [inner] and inner.is_dir() else tmp, dest)  # zip of loose files or of name/
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


_RRC = "https://rrc.cvc.uab.es/downloads"
_RRC_TERMS = (
    "Robust Reading Competition terms: research use only; images and ground truth may not be "
    "redistributed (register at rrc.cvc.uab.es)"
)


def _rrc_manual(challenge: int, files: str) -> str:
    return (
        f"The Robust Reading Competition publishes this data set to registered users only: create an "
        f"account at https://rrc.cvc.uab.es/?ch={challenge}, log in, open 'Downloads', fetch {files} "
        "and put the zips (or the folders they unpack to, named as the zips) in the data folder."
    )


ICDAR2015 = DatasetInfo(
    name="icdar2015",
    title="ICDAR 2015 Incidental Scene Text (Robust Reading Challenge 4)",
    task="text",
    classes=(TEXT_CATEGORY.name,),
    splits={"train": 1000, "test": 500},
    image_size=(720, 1280),
    license=_RRC_TERMS,
    homepage="https://rrc.cvc.uab.es/?ch=4",
    citation=(
        "D. Karatzas, L. Gomez-Bigorda, A. Nicolaou, S. Ghosh, A. Bagdanov, M. Iwamura, J. Matas, "
        "L. Neumann, V. R. Chandrasekhar, S. Lu, F. Shafait, S. Uchida and E. Valveny. ICDAR 2015 "
        "competition on Robust Reading. International Conference on Document Analysis and "
        "Recognition (ICDAR), 2015."
    ),
    # md5s as MMOCR's dataset_zoo/icdar2015 records them; the RRC serves these three to anyone.
    files=(
        DataFile(
            "ch4_training_images.zip",
            urls=(f"{_RRC}/ch4_training_images.zip",),
            md5="c51cbace155dcc4d98c8dd19d378f30d",
            extracted="ch4_training_images",
            splits=("train",),
        ),
        DataFile(
            "ch4_training_localization_transcription_gt.zip",
            urls=(f"{_RRC}/ch4_training_localization_transcription_gt.zip",),
            md5="3bfaf1988960909014f7987d2343060b",
            extracted="ch4_training_localization_transcription_gt",
            splits=("train",),
        ),
        DataFile(
            "ch4_test_images.zip",
            urls=(f"{_RRC}/ch4_test_images.zip",),
            md5="97e4c1ddcf074ffcc75feff2b63c35dd",
            extracted="ch4_test_images",
            splits=("test",),
        ),
        DataFile("Challenge4_Test_Task1_GT.zip", extracted="Challenge4_Test_Task1_GT", splits=("test",)),
    ),
    description=(
        "1,670 images taken with Google Glass without care for the text (1,000 for training, 500 for "
        "testing, 1280x720), with every word outlined by a quadrilateral and transcribed; "
        "illegible words are '###' (don't care)."
    ),
    manual_download=_rrc_manual(
        4, "the 'Task 4.1: Text Localization' test ground truth (Challenge4_Test_Task1_GT.zip)"
    ),
)

_ICDAR2015_FILES = {
    "train": ("ch4_training_images.zip", "ch4_training_localization_transcription_gt.zip"),
    "test": ("ch4_test_images.zip", "Challenge4_Test_Task1_GT.zip"),
}


@register_dataset(ICDAR2015)
def load_icdar2015(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
) -> VisionDataset:
    """One split as an :class:`AnnotationDataset` of text samples (``texts``, ``text_instances``)."""
    images_name, gt_name = _ICDAR2015_FILES[split]
    found = fetch_files(info, names=[images_name, gt_name], root=root, download=download)
    images = unpacked_folder(found[images_name], root=root, info=info)
    gts = unpacked_folder(found[gt_name], root=root, info=info)
    annotations = get_format("icdar2015").read(gts, images=images)
    return AnnotationDataset(annotations, info=info, split=split, transform=transform)


MLT2017 = DatasetInfo(
    name="mlt2017",
    title="ICDAR 2017 MLT: Multi-Lingual scene Text (Robust Reading Challenge 8)",
    task="text",
    classes=(TEXT_CATEGORY.name,),
    splits={"train": 7200, "val": 1800},
    license=_RRC_TERMS,
    homepage="https://rrc.cvc.uab.es/?ch=8",
    citation=(
        "N. Nayef, F. Yin, I. Bizid, H. Choi, Y. Feng, D. Karatzas, Z. Luo, U. Pal, C. Rigaud, J. Chazalon, "
        "W. Khlif, M. M. Luqman, J.-C. Burie, C.-L. Liu and J.-M. Ogier. ICDAR2017 Robust Reading Challenge "
        "on Multi-Lingual Scene Text Detection and Script Identification - RRC-MLT. ICDAR 2017."
    ),
    files=(
        *(
            DataFile(f"ch8_training_images_{i}.zip", extracted=f"ch8_training_images_{i}", splits=("train",))
            for i in range(1, 9)
        ),
        DataFile(
            "ch8_training_localization_transcription_gt_v2.zip",
            extracted="ch8_training_localization_transcription_gt_v2",
            splits=("train",),
        ),
        DataFile("ch8_validation_images.zip", extracted="ch8_validation_images", splits=("val",)),
        DataFile(
            "ch8_validation_localization_transcription_gt_v2.zip",
            extracted="ch8_validation_localization_transcription_gt_v2",
            splits=("val",),
        ),
    ),
    description=(
        "18,000 images of text in 9 languages / 6 scripts (7,200 train in 8 zips, 1,800 val, 9,000 "
        "test without public ground truth); every word a quadrilateral with its script and "
        "transcription, '###' for don't care."
    ),
    manual_download=_rrc_manual(
        8,
        "ch8_training_images_1.zip .. ch8_training_images_8.zip, "
        "ch8_training_localization_transcription_gt_v2.zip, ch8_validation_images.zip and "
        "ch8_validation_localization_transcription_gt_v2.zip",
    ),
)

MLT2019 = DatasetInfo(
    name="mlt2019",
    title="ICDAR 2019 MLT: Multi-Lingual scene Text (Robust Reading Challenge 15)",
    task="text",
    classes=(TEXT_CATEGORY.name,),
    splits={"train": 10_000},
    license=_RRC_TERMS,
    homepage="https://rrc.cvc.uab.es/?ch=15",
    citation=(
        "N. Nayef, Y. Patel, M. Busta, P. N. Chowdhury, D. Karatzas, W. Khlif, J. Matas, U. Pal, J.-C. Burie, "
        "C.-L. Liu and J.-M. Ogier. ICDAR2019 Robust Reading Challenge on Multi-lingual Scene Text Detection "
        "and Recognition - RRC-MLT-2019. ICDAR 2019."
    ),
    files=(
        DataFile("ImagesPart1.zip", extracted="ImagesPart1"),
        DataFile("ImagesPart2.zip", extracted="ImagesPart2"),
        DataFile("train_gt_t13.zip", extracted="train_gt_t13"),
    ),
    description=(
        "20,000 images of text in 10 languages (10,000 train with ground truth tr_img_NNNNN.txt, "
        "10,000 test without); every word a quadrilateral with its script (Hindi added to MLT 2017's) "
        "and transcription, '###' for don't care."
    ),
    manual_download=_rrc_manual(15, "ImagesPart1.zip, ImagesPart2.zip and train_gt_t13.zip (Task 1)"),
)

ICDAR2013 = DatasetInfo(
    name="icdar2013",
    title="ICDAR 2013 Focused Scene Text (Robust Reading Challenge 2)",
    task="text",
    classes=(TEXT_CATEGORY.name,),
    splits={"train": 229, "test": 233},
    license=_RRC_TERMS,
    homepage="https://rrc.cvc.uab.es/?ch=2",
    citation=(
        "D. Karatzas, F. Shafait, S. Uchida, M. Iwamura, L. Gomez i Bigorda, S. Robles Mestre, J. Mas, "
        "D. Fernandez Mota, J. Almazan Almazan and L. P. de las Heras. ICDAR 2013 Robust Reading "
        "Competition. International Conference on Document Analysis and Recognition (ICDAR), 2013."
    ),
    files=(
        DataFile(
            "Challenge2_Training_Task12_Images.zip", extracted="Challenge2_Training_Task12_Images", splits=("train",)
        ),
        DataFile("Challenge2_Training_Task1_GT.zip", extracted="Challenge2_Training_Task1_GT", splits=("train",)),
        DataFile("Challenge2_Test_Task12_Images.zip", extracted="Challenge2_Test_Task12_Images", splits=("test",)),
        DataFile("Challenge2_Test_Task1_GT.zip", extracted="Challenge2_Test_Task1_GT", splits=("test",)),
    ),
    description=(
        "462 images of focused, mostly horizontal scene text (229 train, 233 test), every word an "
        "axis-aligned box with its transcription."
    ),
    manual_download=_rrc_manual(2, "the Task 2.1 (Text Localization) training and test images and ground truth"),
)

_RRC_LAYOUT = {
    "mlt2017": {
        "train": (
            [f"ch8_training_images_{i}.zip" for i in range(1, 9)],
            "ch8_training_localization_transcription_gt_v2.zip",
        ),
        "val": (["ch8_validation_images.zip"], "ch8_validation_localization_transcription_gt_v2.zip"),
    },
    "mlt2019": {"train": (["ImagesPart1.zip", "ImagesPart2.zip"], "train_gt_t13.zip")},
    "icdar2013": {
        "train": (["Challenge2_Training_Task12_Images.zip"], "Challenge2_Training_Task1_GT.zip"),
        "test": (["Challenge2_Test_Task12_Images.zip"], "Challenge2_Test_Task1_GT.zip"),
    },
}


@register_dataset(MLT2017, MLT2019, ICDAR2013)
def load_rrc(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
) -> VisionDataset:
    """One split of an RRC data set as an :class:`AnnotationDataset` of text samples (MLT: ``language`` too)."""
    image_zips, gt_zip = _RRC_LAYOUT[info.name][split]
    found = fetch_files(info, names=[*image_zips, gt_zip], root=root, download=download)
    folders = [unpacked_folder(found[z], root=root, info=info) for z in image_zips]
    gts = unpacked_folder(found[gt_zip], root=root, info=info)
    fmt = "icdar2013" if info.name == "icdar2013" else "mlt"
    annotations = get_format(fmt).read(gts, images=folders if len(folders) > 1 else folders[0])
    return AnnotationDataset(annotations, info=info, split=split, transform=transform)
