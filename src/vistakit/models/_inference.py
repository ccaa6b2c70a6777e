"""Eval preprocessing of published weights, and top-k prediction on image files."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from ._registry import EvalTransform

_PIL_INTERP = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
}


def preprocess(image: Image.Image, transform: EvalTransform, *, in_chans: int = 3) -> torch.Tensor:
    """Apply a weights entry's eval transform to a PIL image.

    Resize the shorter side to ``transform.resize`` (the longer side keeps the aspect
    ratio, truncated as torchvision does), center-crop ``transform.crop`` (offsets
    rounded as torchvision does), scale to [0, 1], normalize by mean and std.

    Args:
        image: any PIL image; converted to RGB (or L for ``in_chans=1``).
        transform: the eval transform of the weights.
        in_chans: 3 for RGB models, 1 for grayscale ones (mean/std of the first channel).

    Returns:
        (in_chans, crop, crop) float32 tensor.
    """
    if transform.interpolation not in _PIL_INTERP:
        raise ValueError(f"unknown interpolation {transform.interpolation!r}; expected one of {sorted(_PIL_INTERP)}")
    image = image.convert("L" if in_chans == 1 else "RGB")
    w, h = image.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = transform.resize, int(transform.resize * long / short)
    size = (new_short, new_long) if w <= h else (new_long, new_short)
    if size != (w, h):
        image = image.resize(size, _PIL_INTERP[transform.interpolation])
    w, h = image.size
    c = transform.crop
    if c > w or c > h:
        raise ValueError(f"crop {c} is larger than the resized image {w}x{h}")
    top, left = int(round((h - c) / 2.0)), int(round((w - c) / 2.0))
    image = image.crop((left, top, left + c, top + c))
    arr = np.asarray(image, dtype=np.float32) / 255.0
    x = torch.from_numpy(arr.reshape(c, c, -1)).permute(2, 0, 1).contiguous()
    mean = torch.tensor(transform.mean[: x.shape[0]], dtype=torch.float32)[:, None, None]
    std = torch.tensor(transform.std[: x.shape[0]], dtype=torch.float32)[:, None, None]
    return (x - mean) / std


def load_image(path: str | os.PathLike) -> Image.Image:
    """Open an image file, with an error naming the file when it cannot be read."""
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f"{path}: not a readable image ({e})") from None


@dataclass(frozen=True)
class Prediction:
    """Top-k classes of one image."""

    source: str
    indices: tuple[int, ...]
    labels: tuple[str, ...]
    probabilities: tuple[float, ...]


@torch.no_grad()
def predict(
    model: torch.nn.Module,
    images: Sequence[str | os.PathLike | Image.Image],
    *,
    transform: EvalTransform,
    categories: Sequence[str] | None = None,
    topk: int = 5,
    in_chans: int = 3,
) -> list[Prediction]:
    """Top-k classes with softmax probabilities for each image.

    Args:
        model: a classifier; put in eval mode here.
        images: file paths or PIL images.
        transform: the eval transform (usually the weights entry's).
        categories: class names; indices are shown when absent.
        topk: how many classes per image.
        in_chans: model input channels.

    Returns:
        One :class:`Prediction` per image, best first.
    """
    model.eval()
    batch, names = [], []
    for im in images:
        if isinstance(im, Image.Image):
            names.append(getattr(im, "filename", "") or "<image>")
        else:
            names.append(str(im))
            im = load_image(im)
        batch.append(preprocess(im, transform, in_chans=in_chans))
    logits = model(torch.stack(batch))
    probs = logits.float().softmax(dim=1)
    k = min(topk, probs.shape[1])
    top = probs.topk(k, dim=1)
    out = []
    for name, p, idx in zip(names, top.values.tolist(), top.indices.tolist()):
        labels = tuple(categories[i] if categories is not None else str(i) for i in idx)
        out.append(Prediction(name, tuple(idx), labels, tuple(p)))
    return out
