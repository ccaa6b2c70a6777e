"""Total-Text: curved scene text outlined by polygons (``txt_format`` ground truth).

One ``poly_gt_imgN.txt`` per ``imgN.jpg``, one word per record, printed the way Python 2
printed numpy arrays and unicode lists::

    x: [[115 503 494 115]], y: [[322 346 426 404]], ornt: [u'm'], transcriptions: [u'nauGHTY']
    x: [[ 734 1058 1061  744]], y: [[360 369 449 430]], ornt: [u'#'], transcriptions: [u'#']

Long polygons wrap over several lines, so records are found by their ``x: [[`` start,
not by line. ``ornt`` is the orientation (``c`` curved, ``h`` horizontal, ``m``
multi-oriented, ``#`` don't care) and a transcription ``#`` marks a region that
evaluation ignores.
"""

from __future__ import annotations

import ast
import os
import re
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
from ._icdar import TEXT_CATEGORY, image_size, text_instance, unpacked_folder
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, fetch_files

__all__ = ["TOTAL_TEXT", "TotalTextFormat", "read_total_text_file"]

#: Total-Text's don't-care transcription (ICDAR uses ``###``).
IGNORE = "#"
_START = re.compile(r"^\s*x\s*:", re.MULTILINE)
_RECORD = re.compile(
    r"x\s*:\s*\[\[(?P<x>[^\]]*)\]\]\s*,\s*y\s*:\s*\[\[(?P<y>[^\]]*)\]\]\s*,\s*ornt\s*:\s*\[(?P<ornt>.*?)\]\s*,"
    r"\s*transcriptions\s*:\s*\[(?P<text>.*)\]\s*$",
    re.DOTALL,
)


def _literal(value: str, *, where: str, field: str) -> str:
    try:
        out = ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        raise DatasetError(f"{where}: field {field!r} is {value.strip()!r:.60}, not a quoted string") from None
    if not isinstance(out, str):
        raise DatasetError(f"{where}: field {field!r} is {value.strip()!r:.60}, not a quoted string")
    return out


def read_total_text_file(path: str | os.PathLike) -> list[Any]:
    """The words of one ``poly_gt_*.txt``: ``text`` instances with their polygon, ``text``, ``orientation``.

    Raises:
        DatasetError: naming the file, the record (its line) and the field for a record that
            does not parse, a coordinate that is not a number, x and y of different lengths
            or a polygon of fewer than 3 points.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")  # a few of the original files are not UTF-8
    except OSError as e:
        raise DatasetError(f"{path}: cannot be read ({e})") from None
    starts = [m.start() for m in _START.finditer(text)]
    if text.strip() and (not starts or text[: starts[0]].strip()):
        raise DatasetError(f"{path}: line 1: expected a record starting with 'x: [[', got {text.strip()[:60]!r}")
    out = []
    for k, (a, b) in enumerate(zip(starts, starts[1:] + [len(text)])):
        line = text.count("\n", 0, a) + 1
        where = f"{path}: record {k + 1} (line {line})"
        m = _RECORD.match(text[a:b].strip())
        if m is None:
            raise DatasetError(
                f"{where}: expected x: [[...]], y: [[...]], ornt: [...], transcriptions: [...], "
                f"got {text[a:b].strip()[:80]!r}"
            )
        coords = {}
        for axis in ("x", "y"):
            try:
                coords[axis] = np.array(m[axis].split(), dtype=np.float64)
            except ValueError:
                raise DatasetError(f"{where}: field {axis!r} holds {m[axis].strip()!r:.60}, not numbers") from None
        if len(coords["x"]) != len(coords["y"]):
            raise DatasetError(f"{where}: field 'x' has {len(coords['x'])} numbers but 'y' has {len(coords['y'])}")
        if len(coords["x"]) < 3:
            raise DatasetError(f"{where}: field 'x' has {len(coords['x'])} points; a polygon needs 3")
        ornt = _literal(m["ornt"], where=where, field="ornt")
        transcription = _literal(m["text"], where=where, field="transcriptions")
        out.append(
            text_instance(
                np.stack([coords["x"], coords["y"]], axis=1),
                text=transcription,
                dont_care=transcription == IGNORE or ornt == IGNORE,
                id=k + 1,
                orientation=ornt,
            )
        )
    return out


def _image_stem(gt: Path) -> str:
    stem = gt.stem
    return stem.removeprefix("poly_gt_")


@register_format
class TotalTextFormat(AnnotationFormat):
    """Total-Text ``poly_gt_imgN.txt`` files (see the module notes).

    Read options:
        images: the folder of the images (default: the ground-truth folder).

    Instances carry the attributes ``text``, ``orientation`` and ``dont_care``
    (transcription or orientation ``#``).
    """

    name = "total-text"
    tasks = ("text",)
    describe = "Total-Text: poly_gt_imgN.txt per image, x: [[...]], y: [[...]], ornt: [u'c'], transcriptions: [u'...']"

    def read(
        self, path: str | os.PathLike, *, images: str | os.PathLike | None = None, **options: Any
    ) -> AnnotationSet:
        if options:
            raise TypeError(f"{self.name} read takes no option(s) {sorted(options)}")
        path = Path(path)
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = sorted(
                (p for p in path.iterdir() if p.suffix.lower() == ".txt"),
                key=lambda p: tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)),
            )
        else:
            raise DatasetError(f"{path}: no such ground-truth file or folder")
        folder = Path(images) if images is not None else (path if path.is_dir() else path.parent)
        if not folder.is_dir():
            raise DatasetError(f"{folder}: the image folder is missing")
        by_stem = {p.stem: p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")}
        out = []
        for k, gt in enumerate(files):
            image = by_stem.get(_image_stem(gt))
            if image is None:
                raise DatasetError(f"{gt}: no image {_image_stem(gt)}.jpg in {folder}")
            width, height = image_size(image, source=gt)
            out.append(
                AnnotatedImage(
                    image.name, width, height, k, read_total_text_file(gt), attributes={"ground_truth": gt.name}
                )
            )
        return AnnotationSet([TEXT_CATEGORY], out, image_root=folder, info={"format": self.name})

    def write(self, annotations: AnnotationSet, out: str | os.PathLike, **options: Any) -> ConversionReport:
        if options:
            raise TypeError(f"{self.name} write takes no option(s) {sorted(options)}")
        out = Path(out)
        report = ConversionReport(self.name, out)
        for im in annotations.images:
            lines = []
            for k, inst in enumerate(im.instances):
                where = instance_where(im, k, inst)
                if inst.polygons is not None and len(inst.polygons):
                    ring = inst.polygons.rings[0]
                    if len(inst.polygons) > 1:
                        report.skipped.append(f"{where}: {len(inst.polygons)} rings (Total-Text keeps the first)")
                else:
                    x1, y1, x2, y2 = inst.box
                    ring = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
                a = inst.attributes
                text = IGNORE if a.get("dont_care") or a.get("text") is None or a.get("text") == "###" else a["text"]
                ornt = IGNORE if text == IGNORE else a.get("orientation") or ("m" if len(ring) == 4 else "c")
                nums = [
                    " ".join(str(int(v)) if float(v).is_integer() else repr(float(v)) for v in ring[:, i])
                    for i in (0, 1)
                ]
                lines.append(f"x: [[{nums[0]}]], y: [[{nums[1]}]], ornt: [u{ornt!r}], transcriptions: [u{text!r}]")
                report.instances += 1
            with atomic_open(out / f"poly_gt_{Path(im.file_name).stem}.txt", "w") as f:
                f.write("".join(ln + "\n" for ln in lines))
            report.images += 1
        return report


TOTAL_TEXT = DatasetInfo(
    name="total-text",
    title="Total-Text (curved scene text)",
    task="text",
    classes=(TEXT_CATEGORY.name,),
    splits={"train": 1255, "test": 300},
    channels=3,
    license="BSD 3-Clause (Total-Text-Dataset repository); images for research use",
    homepage="https://github.com/cs-chan/Total-Text-Dataset",
    citation=(
        "C. K. Ch'ng and C. S. Chan. Total-Text: A Comprehensive Dataset for Scene Text Detection and "
        "Recognition. International Conference on Document Analysis and Recognition (ICDAR), 2017."
    ),
    # URLs and md5s as MMOCR's dataset_zoo/totaltext records them.
    files=(
        DataFile(
            "totaltext.zip",
            urls=("https://universityofadelaide.box.com/shared/static/8xro7hnvb0sqw5e5rxm73tryc59j6s43.zip",),
            md5="5b56d71a4005a333cf200ff35ce87f75",
            extracted="Images",
        ),
        DataFile(
            "txt_format.zip",
            urls=("https://universityofadelaide.box.com/shared/static/2vmpvjb48pcrszeegx2eznzc4izan4zf.zip",),
            md5="53377a83420b4a0244304467512134e8",
            extracted="txt_format",
        ),
    ),
    description=(
        "1,555 images (1,255 train, 300 test) of horizontal, multi-oriented and curved text, every "
        "word outlined by a polygon and transcribed."
    ),
)


@register_dataset(TOTAL_TEXT)
def load_total_text(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
) -> VisionDataset:
    """One split as an :class:`AnnotationDataset` of text samples (polygons, ``texts``, ``text_instances``)."""
    found = fetch_files(info, root=root, download=download)
    images = archive_member(found["totaltext.zip"], root=root, info=info)
    gts = unpacked_folder(found["txt_format.zip"], root=root, info=info)
    sub = split.capitalize()
    if not (gts / sub).is_dir() and (gts / "txt_format" / sub).is_dir():
        gts = gts / "txt_format"
    annotations = TotalTextFormat().read(gts / sub, images=images / sub)
    return AnnotationDataset(annotations, info=info, split=split, transform=transform)
