"""A grid of a dataset's images: for classification one labelled row per class, a few images
each; for detection, segmentation, keypoints and text the first images with their targets
drawn (boxes, masks, polygons, keypoints, text outlines with their transcription).

(:func:`vistakit.transforms.preview_grid` is a different thing: augmented variants of given samples.)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .._files import atomic_open
from ._base import VisionDataset
from ._errors import DatasetError

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(size: int) -> ImageFont.ImageFont:
    if _DEJAVU.exists():
        return ImageFont.truetype(str(_DEJAVU), size)
    return ImageFont.load_default()


def _thumbnail(img: np.ndarray, cell: int) -> Image.Image:
    """(C, H, W) uint8 -> an RGB cell x cell tile, aspect kept, small images enlarged crisply."""
    arr = img.transpose(1, 2, 0)
    pil = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr).convert("RGB")
    scale = cell / max(pil.width, pil.height)
    size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
    pil = pil.resize(size, Image.NEAREST if scale >= 2 else Image.BILINEAR)
    tile = Image.new("RGB", (cell, cell), (32, 32, 32))
    tile.paste(pil, ((cell - size[0]) // 2, (cell - size[1]) // 2))
    return tile


def _pick(ds: VisionDataset, per_class: int, max_classes: int) -> list[tuple[str, list[int]]]:
    t = ds.targets
    if t.ndim == 1:
        rows = []
        for c in range(min(len(ds.classes), max_classes)):
            idx = (t == c).nonzero().flatten()[: per_class * 3].tolist()
            rows.append((ds.classes[c], idx))
        return rows
    # Multi-label targets (CelebA): rows of images that have each attribute.
    rows = []
    for c in range(min(t.shape[1], max_classes)):
        idx = (t[:, c] > 0).nonzero().flatten()[: per_class * 3].tolist()
        rows.append((ds.classes[c], idx))
    return rows


def dataset_grid(
    ds: VisionDataset, *, per_class: int = 6, max_classes: int = 10, cell: int | None = None
) -> Image.Image:
    """A grid with one labelled row per class and ``per_class`` samples in each.

    Samples are the first images of each class in the split (deterministic);
    unreadable ones are skipped. For multi-label data sets (CelebA) each row shows
    images having that attribute. For data sets of other tasks (detection,
    segmentation, keypoints, text) the grid holds the first ``per_class x max_classes``
    images with their targets drawn (``cell`` defaults to 160).

    Args:
        ds: a dataset from :func:`load_dataset`.
        per_class: images per row.
        max_classes: rows at most (the first classes in label order).
        cell: tile size in pixels (default: the image size enlarged to at least
            56 and at most 112).

    Returns:
        An RGB Pillow image.
    """
    if ds.info.task not in _LABELLED_TASKS:
        return _dense_grid(ds, columns=per_class, rows=max_classes, cell=cell or 160)
    rows = _pick(ds, per_class, max_classes)
    if cell is None:
        h, w = ds.load_image(next((r[1][0] for r in rows if r[1]), 0)).shape[1:] if len(ds) else (28, 28)
        cell = int(min(112, max(56, max(h, w) * (2 if max(h, w) < 56 else 1))))
    font = _font(max(10, min(16, cell // 5)))
    label_w = min(220, max(int(font.getlength(name)) for name, _ in rows) + 12) if rows else 0
    pad = 2
    grid = Image.new(
        "RGB", (label_w + per_class * (cell + pad) + pad, max(1, len(rows)) * (cell + pad) + pad), (255, 255, 255)
    )
    draw = ImageDraw.Draw(grid)
    for r, (name, candidates) in enumerate(rows):
        y = pad + r * (cell + pad)
        text = name
        while text and font.getlength(text) > label_w - 8:
            text = text[:-2] + "…" if len(text) > 2 else ""
        top, bottom = draw.textbbox((0, 0), text or " ", font=font)[1::2]
        draw.text((4, y + (cell - (bottom - top)) // 2 - top), text, fill=(0, 0, 0), font=font)
        placed = 0
        for i in candidates:
            if placed == per_class:
                break
            try:
                img = ds.load_image(i).numpy()
            except DatasetError:
                continue
            grid.paste(_thumbnail(img, cell), (label_w + pad + placed * (cell + pad), y))
            placed += 1
    return grid


_LABELLED_TASKS = ("classification", "attributes")


def _dense_grid(ds: VisionDataset, *, columns: int, rows: int, cell: int) -> Image.Image:
    """The first ``columns * rows`` images with every target of their Sample drawn."""
    from ..transforms import draw_sample  # drawing lives with the transforms' previews

    n = min(len(ds), columns * rows)
    if n == 0:
        raise DatasetError(f"{ds.info.name} {ds.split}: no images to preview")
    rows = -(-n // columns)
    pad = 2
    grid = Image.new("RGB", (min(n, columns) * (cell + pad) + pad, rows * (cell + pad) + pad), (255, 255, 255))
    for i in range(n):
        tile = draw_sample(ds.get_sample(i), size=cell)
        grid.paste(Image.fromarray(tile), (pad + (i % columns) * (cell + pad), pad + (i // columns) * (cell + pad)))
    return grid


def save_preview(ds: VisionDataset, out: str | os.PathLike, **kwargs) -> Path:
    """Write :func:`dataset_grid` to ``out`` atomically and return the path.

    The image format comes from the suffix (``.png``, ``.jpg`` ...); ``kwargs``
    go to :func:`dataset_grid`.
    """
    out = Path(out)
    grid = dataset_grid(ds, **kwargs)
    fmt = Image.registered_extensions().get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"{out}: unknown image suffix {out.suffix!r}; use .png or .jpg")
    with atomic_open(out) as f:
        grid.save(f, format=fmt)
    return out
