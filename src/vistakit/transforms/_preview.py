"""A picture of what a pipeline does: originals and augmented variants side by side,
with boxes, masks and keypoints drawn where the sample has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from ..structures import Sample
from ._base import Transform
from ._compose import Compose
from ._io import as_sample, prepare

__all__ = ["draw_sample", "preview_grid", "save_image"]


def _palette(i: int) -> tuple[int, int, int]:
    """A distinct, bright RGB colour for index ``i`` (golden-angle hues)."""
    hue = int((i * 137.508) % 180)
    hsv = np.uint8([[[hue, 200, 255]]])
    r, g, b = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0]
    return int(r), int(g), int(b)


def _display_image(image: Any) -> np.ndarray:
    """(H, W, 3) uint8 for display from a working-form or tensor image (float images are rescaled)."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu().numpy()
        image = image.transpose(1, 2, 0) if image.ndim == 3 else image[:, :, None]
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.dtype != np.uint8:
        f = img.astype(np.float32)
        lo, hi = float(f.min()), float(f.max())
        img = np.zeros(f.shape, np.uint8) if hi <= lo else np.rint((f - lo) * (255.0 / (hi - lo))).astype(np.uint8)
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(img)


def draw_sample(sample: Any, *, size: int = 128) -> np.ndarray:
    """Render a sample into a ``size`` x ``size`` RGB tile (letterboxed, nearest upscaling).

    Boxes are drawn as rectangles, instance masks and the semantic mask as
    translucent colours, polygons as outlines, text instances as outlines with their
    transcription (grey when "don't care"), visible keypoints as dots; an integer
    class label is written in the corner.

    Args:
        sample: a Sample (any supported form), a dict of keyword targets, or an image.
        size: tile side in pixels.

    Returns:
        (size, size, 3) uint8 array.
    """
    if isinstance(sample, Sample) and isinstance(sample.image, torch.Tensor) and sample.image.dtype != torch.uint8:
        s = sample  # e.g. after ToTensor: draw the image only
        image = _display_image(s.image)
        s = Sample(image=image, label=sample.label)
    else:
        s, _ = prepare(sample, {}) if not isinstance(sample, dict) else prepare(None, sample)
        image = _display_image(s.image)
    h, w = image.shape[:2]
    scale = min(size / h, size / w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    canvas = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT).astype(np.float32)
    overlay = np.zeros_like(canvas)
    weight = np.zeros(canvas.shape[:2], np.float32)
    if s.mask is not None:
        m = cv2.resize(np.asarray(s.mask).astype(np.float32), (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT)
        for v in np.unique(m):
            if v == 0:
                continue
            sel = m == v
            overlay[sel] = _palette(int(v) + 7)
            weight[sel] = 0.45
    if s.masks is not None:
        for i, mk in enumerate(np.asarray(s.masks)):
            sel = cv2.resize((mk != 0).astype(np.uint8), (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT) > 0
            overlay[sel] = _palette(i)
            weight[sel] = 0.5
    canvas = canvas * (1 - weight[:, :, None]) + overlay * weight[:, :, None]
    canvas = np.clip(np.rint(canvas), 0, 255).astype(np.uint8)
    if s.boxes is not None:
        for i, (x1, y1, x2, y2) in enumerate(np.asarray(s.boxes.data)):
            p1 = (int(round(x1 * scale)), int(round(y1 * scale)))
            p2 = (max(p1[0], int(round(x2 * scale)) - 1), max(p1[1], int(round(y2 * scale)) - 1))
            cv2.rectangle(canvas, p1, p2, _palette(i), 1)
    for i, poly in enumerate(getattr(s, "polygons", None) or ()):
        for ring in poly.rings:
            pts = np.rint(np.asarray(ring) * scale).astype(np.int32).reshape(-1, 1, 2)
            cv2.polylines(canvas, [pts], True, _palette(i), 1, cv2.LINE_AA)
    for i, text in enumerate(getattr(s, "text_instances", None) or ()):
        pts = np.rint(np.asarray(text.points) * scale).astype(np.int32).reshape(-1, 1, 2)
        colour = (128, 128, 128) if text.dont_care else _palette(i + 3)
        cv2.polylines(canvas, [pts], True, colour, 1, cv2.LINE_AA)
        if text.transcription and not text.dont_care:
            x, y = (int(v) for v in pts.reshape(-1, 2).min(0))
            cv2.putText(
                canvas,
                text.transcription[:16],
                (x, max(8, y - 2)),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.3,
                colour,
                1,
                cv2.LINE_AA,
            )
    if s.keypoints is not None:
        pts, vis = np.asarray(s.keypoints.data), np.asarray(s.keypoints.visible)
        for i in range(pts.shape[0]):
            for (x, y), v in zip(pts[i], vis[i]):
                if v:
                    cv2.circle(canvas, (int(x * scale), int(y * scale)), 2, _palette(i), -1)
    tile = np.full((size, size, 3), 32, np.uint8)
    top, left = (size - nh) // 2, (size - nw) // 2
    tile[top : top + nh, left : left + nw] = canvas
    if isinstance(s.label, (int, np.integer)):
        cv2.putText(tile, str(int(s.label)), (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1, cv2.LINE_AA)
    return tile


def preview_grid(
    samples: Sequence[Any],
    pipeline: Transform,
    *,
    num_variants: int = 4,
    seed: int = 0,
    tile_size: int = 128,
    gap: int = 4,
) -> np.ndarray:
    """A grid: one row per sample, the original then ``num_variants`` augmented versions.

    Args:
        samples: Samples, dicts of keyword targets, ``(image, target)`` pairs or images.
        pipeline: the transform to preview.
        num_variants: augmented columns per row.
        seed: seed of the variants (the same seed draws the same grid).
        tile_size: side of each tile in pixels.
        gap: pixels between tiles.

    Returns:
        (rows * (tile + gap) + gap, cols * (tile + gap) + gap, 3) uint8 RGB image.
    """
    if not samples:
        raise ValueError("preview_grid: no samples to show")
    runner = Compose([pipeline], seed=seed)
    rows = []
    for item in samples:
        s = as_sample(item) if not isinstance(item, dict) else item
        tiles = [draw_sample(s, size=tile_size)]
        for _ in range(num_variants):
            tiles.append(draw_sample(runner(s), size=tile_size))
        rows.append(tiles)
    cols = num_variants + 1
    out = np.full((len(rows) * (tile_size + gap) + gap, cols * (tile_size + gap) + gap, 3), 255, np.uint8)
    for r, tiles in enumerate(rows):
        for c, t in enumerate(tiles):
            y, x = gap + r * (tile_size + gap), gap + c * (tile_size + gap)
            out[y : y + tile_size, x : x + tile_size] = t
    return out


def save_image(image: np.ndarray, path: str | Path) -> Path:
    """Write an RGB uint8 image (PNG, JPEG, ... by extension)."""
    from PIL import Image

    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)
    return path
