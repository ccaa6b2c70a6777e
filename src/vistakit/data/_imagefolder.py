"""ImageNet-style folders: ``root/<class>/<image>``, classes in sorted folder order."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from PIL import Image

from .._files import IMAGE_SUFFIXES, list_images
from ._base import ImageFileDataset, Transform, VisionDataset
from ._errors import DatasetError
from ._info import DatasetInfo
from ._registry import register_dataset

SPLIT_NAMES = ("train", "val", "test")


def scan_image_folder(folder: str | os.PathLike) -> tuple[list[str], list[str], list[int]]:
    """List the classes and images of ``folder/<class>/**/<image>``.

    Args:
        folder: the tree; each direct subfolder is a class (hidden ones are ignored).

    Returns:
        ``classes`` (sorted folder names), ``paths`` (the images of each class
        as :func:`vistakit._files.list_images` finds them: sorted, hidden files
        and folders skipped)
        and ``labels`` (the class index of each path).

    Raises:
        DatasetError: when the folder does not exist or has no class folders.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: image folder does not exist or is not a folder")
    classes = sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise DatasetError(
            f"{folder}: no class folders; expected {folder}/<class>/<image> (e.g. {folder}/cat/0001.jpg)"
        )
    paths: list[str] = []
    labels: list[int] = []
    for i, c in enumerate(classes):
        found = [str(p) for p in list_images(folder / c)]
        paths += found
        labels += [i] * len(found)
    if not paths:
        raise DatasetError(f"{folder}: the class folders {classes[:5]} hold no images ({', '.join(IMAGE_SUFFIXES)})")
    return classes, paths, labels


def probe_image(path: str) -> str | None:
    """Decode ``path`` fully (JPEG at reduced scale); None when fine, else the reason."""
    try:
        with Image.open(path) as im:
            im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except Exception as e:  # Pillow raises many types for broken files
        return f"{type(e).__name__}: {e}"
    return None


def probe_images(paths: Sequence[str], *, workers: int | None = None) -> list[str | None]:
    """:func:`probe_image` over many files in threads (decoding releases the GIL)."""
    workers = workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(probe_image, paths, chunksize=64))


def split_folder(root: str | os.PathLike, split: str) -> Path:
    """The tree of ``split``: ``root/split`` when it exists, else ``root`` itself for ``train``/``all``."""
    root = Path(root).expanduser()
    if (root / split).is_dir():
        return root / split
    present = [s for s in SPLIT_NAMES if (root / s).is_dir()]
    if split in ("train", "all") and not present:
        return root
    raise DatasetError(
        f"{root}: no folder for split {split!r} (expected {root / split}/<class>/<image>); "
        f"split folders present: {present or 'none (then the root itself is the train split)'}"
    )


class ImageFolder(ImageFileDataset):
    """Images in ``root/<class>/...`` folders.

    Attributes:
        root: the tree that was read.
        skipped: (path, reason) of every unreadable file left out with ``on_error="skip"``.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        *,
        info: DatasetInfo,
        split: str = "train",
        transform: Transform | None = None,
        mode: str = "RGB",
        on_error: str = "raise",
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.root = Path(root)
        classes, paths, labels = scan_image_folder(self.root)
        self.skipped: list[tuple[str, str]] = []
        if on_error == "skip":
            reasons = probe_images(paths)
            self.skipped = [(p, r) for p, r in zip(paths, reasons) if r is not None]
            keep = [i for i, r in enumerate(reasons) if r is None]
            paths = [paths[i] for i in keep]
            labels = [labels[i] for i in keep]
            if self.skipped:
                shown = "; ".join(f"{p} ({r})" for p, r in self.skipped[:3])
                warnings.warn(
                    f"{self.root}: skipped {len(self.skipped)} unreadable image(s): {shown}"
                    + (" ..." if len(self.skipped) > 3 else "")
                    + " (the full list is in .skipped)",
                    stacklevel=3,
                )
        super().__init__(
            paths,
            torch.tensor(labels, dtype=torch.int64),
            info=info,
            split=split,
            classes=classes,
            transform=transform,
            mode=mode,
        )


IMAGEFOLDER = DatasetInfo(
    name="imagefolder",
    title="Any ImageNet-style folder of images",
    task="classification",
    classes=(),
    description=(
        "root/<class>/<image> trees, optionally one per split (root/train/<class>/..., "
        "root/val/<class>/...). Classes are the sorted folder names. Pass root=."
    ),
)


@register_dataset(IMAGEFOLDER)
def load_imagefolder(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Transform | None,
    on_error: str = "raise",
    mode: str = "RGB",
) -> VisionDataset:
    """The ``root`` tree (or ``root/<split>``); ``download`` does not apply."""
    if root is None:
        raise ValueError('imagefolder needs root=: load_dataset("imagefolder", root="path/to/tree")')
    return ImageFolder(
        split_folder(root, split), info=info, split=split, transform=transform, mode=mode, on_error=on_error
    )
