"""SynthText in the Wild: synthetic words rendered into natural images (``gt.mat``).

``SynthText/gt.mat`` (MATLAB v5, read with :func:`scipy.io.loadmat`) holds cells of one row,
one entry per image:

* ``imnames``: the image path below ``SynthText/`` (``8/ballet_106_0.jpg``);
* ``wordBB``: (2, 4, n) float, x then y of the 4 corners (clockwise from the top-left) of
  each of the n words, or (2, 4) when the image holds a single word;
* ``charBB``: (2, 4, c) the same for each of the c characters, in reading order;
* ``txt``: strings of the rendered text; its words, split on whitespace (spaces, line breaks,
  the padding of a char matrix), are the n words of ``wordBB`` in order, and their letters
  the c characters of ``charBB``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..structures import Sample
from ._annotations import (
    AnnotatedImage,
    AnnotationDataset,
    AnnotationFormat,
    AnnotationSet,
    register_format,
)
from ._base import VisionDataset
from ._errors import DatasetError
from ._icdar import TEXT_CATEGORY, image_size, text_instance
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, fetch_files

__all__ = ["SYNTHTEXT", "SynthTextFormat", "synthtext_words"]

_KEYS = ("imnames", "wordBB", "charBB", "txt")


def _cell(mat: dict[str, Any], key: str, path: Path) -> np.ndarray:
    if key not in mat:
        raise DatasetError(f"{path}: missing variable {key!r} (has {sorted(k for k in mat if not k.startswith('__'))})")
    return np.asarray(mat[key], dtype=object).ravel()


def _boxes(value: Any, *, where: str, field: str) -> np.ndarray:
    """(n, 4, 2) corners from a (2, 4, n) or (2, 4) array."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape == (2, 4):
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[:2] != (2, 4):
        raise DatasetError(f"{where}: field {field!r} has shape {arr.shape}, expected (2, 4, n) or (2, 4)")
    return arr.transpose(2, 1, 0)


def synthtext_words(txt: Any) -> list[str]:
    """The words of one ``txt`` entry: every string split on whitespace, in order."""
    strings = np.asarray(txt, dtype=object).ravel().tolist()
    return " ".join(str(s) for s in strings).split()


@register_format
class SynthTextFormat(AnnotationFormat):
    """SynthText ``gt.mat`` (see the module notes); read only.

    Read options:
        images: the folder ``imnames`` are relative to (default: the folder of ``gt.mat``).
        limit: read only the first ``limit`` images (the full file lists 858,750, and each
            image's size is read from its header).

    Every word becomes a ``text`` instance outlined by its quadrilateral, with the attributes
    ``text`` and ``char_boxes`` ((k, 4, 2) corners of its k characters).
    """

    name = "synthtext"
    tasks = ("text",)
    describe = "SynthText: gt.mat with imnames, wordBB (2,4,n), charBB (2,4,c), txt"

    def read(
        self,
        path: str | os.PathLike,
        *,
        images: str | os.PathLike | None = None,
        limit: int | None = None,
        **options: Any,
    ) -> AnnotationSet:
        if options:
            raise TypeError(f"{self.name} read takes no option(s) {sorted(options)}")
        from scipy.io import loadmat

        path = Path(path)
        try:
            mat = loadmat(str(path))
        except FileNotFoundError:
            raise DatasetError(f"{path}: file is missing") from None
        except Exception as e:  # noqa: BLE001  scipy raises ValueError, MatReadError, TypeError ...
            raise DatasetError(f"{path}: cannot be read as a MATLAB file ({type(e).__name__}: {e})") from None
        cells = {k: _cell(mat, k, path) for k in _KEYS}
        n = len(cells["imnames"])
        for k in _KEYS[1:]:
            if len(cells[k]) != n:
                raise DatasetError(f"{path}: {k!r} has {len(cells[k])} entries but 'imnames' has {n}")
        root = Path(images) if images is not None else path.parent
        out = []
        for i in range(n if limit is None else min(n, limit)):
            name = str(np.asarray(cells["imnames"][i]).ravel()[0])
            where = f"{path}: record {i} ({name})"
            words = synthtext_words(cells["txt"][i])
            quads = _boxes(cells["wordBB"][i], where=where, field="wordBB")
            chars = _boxes(cells["charBB"][i], where=where, field="charBB")
            if len(quads) != len(words):
                raise DatasetError(
                    f"{where}: field 'wordBB' holds {len(quads)} words but 'txt' has {len(words)} ({words[:5]})"
                )
            lengths = [len(w) for w in words]
            if len(chars) != sum(lengths):
                raise DatasetError(
                    f"{where}: field 'charBB' holds {len(chars)} characters but the words of 'txt' have {sum(lengths)}"
                )
            splits = np.split(chars, np.cumsum(lengths)[:-1]) if words else []
            width, height = image_size(root / name, source=path)
            instances = [
                text_instance(q, text=w, id=j, char_boxes=c.tolist())
                for j, (q, w, c) in enumerate(zip(quads, words, splits))
            ]
            out.append(AnnotatedImage(name, width, height, i, instances))
        return AnnotationSet([TEXT_CATEGORY], out, image_root=root, info={"format": self.name})


SYNTHTEXT = DatasetInfo(
    name="synthtext",
    title="SynthText in the Wild",
    task="text",
    classes=(TEXT_CATEGORY.name,),
    splits={"train": 858_750},
    channels=3,
    license="for research purposes only (Visual Geometry Group, University of Oxford)",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/scenetext/",
    citation=(
        "A. Gupta, A. Vedaldi and A. Zisserman. Synthetic Data for Text Localisation in Natural Images. "
        "IEEE Conference on Computer Vision and Pattern Recognition (CVPR), 2016."
    ),
    files=(DataFile("SynthText.zip", extracted="SynthText"),),
    description=(
        "858,750 synthetic images of about 7.3 million words rendered onto 8,000 natural backgrounds, "
        "with word and character quadrilaterals and the text (gt.mat)."
    ),
    manual_download=(
        "Download SynthText.zip (41 GB) from https://www.robots.ox.ac.uk/~vgg/data/scenetext/ "
        "(https://thor.robots.ox.ac.uk/~vgg/data/scenetext/SynthText.zip) and put it, or the "
        "SynthText/ folder it unpacks to (gt.mat and the numbered image folders), in the data folder."
    ),
)


@register_dataset(SYNTHTEXT)
def load_synthtext(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Callable[[Sample], Sample] | None,
    limit: int | None = None,
) -> VisionDataset:
    """SynthText as an :class:`AnnotationDataset` of text samples.

    Args:
        limit: only the first ``limit`` images (reading all 858,750 image headers takes minutes).
    """
    found = fetch_files(info, root=root, download=download)
    folder = archive_member(found["SynthText.zip"], root=root, info=info)
    annotations = SynthTextFormat().read(folder / "gt.mat", limit=limit)
    return AnnotationDataset(annotations, info=info, split=split, transform=transform)
