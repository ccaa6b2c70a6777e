"""Bounding boxes with an explicit format, and exact conversions between formats."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


class BoxFormat(str, Enum):  # noqa: UP042 (str() of a member stays "BoxFormat.XYXY", as before)
    """How the four numbers of a box are laid out.

    * ``xyxy``: left, top, right, bottom (Pascal VOC, torchvision).
    * ``xywh``: left, top, width, height (MS COCO).
    * ``cxcywh``: centre x, centre y, width, height (YOLO, DETR).
    """

    XYXY = "xyxy"
    XYWH = "xywh"
    CXCYWH = "cxcywh"


def _as_format(fmt: BoxFormat | str) -> BoxFormat:
    try:
        return BoxFormat(fmt)
    except ValueError:
        raise ValueError(f"unknown box format {fmt!r}; expected one of {[f.value for f in BoxFormat]}") from None


def _columns(boxes: ArrayLike) -> tuple:
    if boxes.shape[-1] != 4:
        raise ValueError(f"boxes must have shape (..., 4), got {tuple(boxes.shape)}")
    return boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]


def _stack(cols: tuple, like: ArrayLike) -> ArrayLike:
    if isinstance(like, torch.Tensor):
        return torch.stack(cols, dim=-1)
    return np.stack(cols, axis=-1)


def convert_boxes(boxes: ArrayLike, *, src: BoxFormat | str, dst: BoxFormat | str) -> ArrayLike:
    """Convert boxes between formats.

    Conversions go through ``xyxy`` and use only additions, subtractions and
    halvings, so integer-valued boxes in float64 convert back exactly.

    Args:
        boxes: (..., 4) numpy array or torch tensor, floating point.
        src: format of ``boxes``.
        dst: wanted format.

    Returns:
        (..., 4) boxes of the same type and dtype in format ``dst``.
    """
    src, dst = _as_format(src), _as_format(dst)
    if src == dst:
        return boxes.clone() if isinstance(boxes, torch.Tensor) else boxes.copy()
    a, b, c, d = _columns(boxes)
    if src == BoxFormat.XYWH:
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif src == BoxFormat.CXCYWH:
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    else:
        x1, y1, x2, y2 = a, b, c, d
    if dst == BoxFormat.XYXY:
        out = (x1, y1, x2, y2)
    elif dst == BoxFormat.XYWH:
        out = (x1, y1, x2 - x1, y2 - y1)
    else:
        out = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    return _stack(out, boxes)


def normalize_boxes(boxes: ArrayLike, *, width: float, height: float) -> ArrayLike:
    """Divide x-coordinates by ``width`` and y-coordinates by ``height`` (any format)."""
    scale = [width, height, width, height]
    if isinstance(boxes, torch.Tensor):
        return boxes / torch.tensor(scale, dtype=boxes.dtype, device=boxes.device)
    return boxes / np.asarray(scale, dtype=boxes.dtype)


def denormalize_boxes(boxes: ArrayLike, *, width: float, height: float) -> ArrayLike:
    """Inverse of :func:`normalize_boxes`."""
    scale = [width, height, width, height]
    if isinstance(boxes, torch.Tensor):
        return boxes * torch.tensor(scale, dtype=boxes.dtype, device=boxes.device)
    return boxes * np.asarray(scale, dtype=boxes.dtype)


@dataclass(frozen=True)
class Boxes:
    """N boxes with their format.

    Attributes:
        data: (N, 4) float array or tensor.
        format: layout of the four numbers.
        normalized: True when coordinates are fractions of the image size.
    """

    data: ArrayLike
    format: BoxFormat = BoxFormat.XYXY
    normalized: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "format", _as_format(self.format))
        if self.data.ndim != 2 or self.data.shape[-1] != 4:
            raise ValueError(f"Boxes.data must have shape (N, 4), got {tuple(self.data.shape)}")

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def to(self, fmt: BoxFormat | str) -> Boxes:
        """The same boxes in another format."""
        return Boxes(convert_boxes(self.data, src=self.format, dst=fmt), fmt, self.normalized)

    def to_absolute(self, *, width: float, height: float) -> Boxes:
        """Pixel coordinates (no-op when already absolute)."""
        if not self.normalized:
            return self
        return Boxes(denormalize_boxes(self.data, width=width, height=height), self.format, False)

    def to_normalized(self, *, width: float, height: float) -> Boxes:
        """Coordinates as fractions of the image size (no-op when already normalized)."""
        if self.normalized:
            return self
        return Boxes(normalize_boxes(self.data, width=width, height=height), self.format, True)

    def xyxy(self, *, width: float | None = None, height: float | None = None) -> ArrayLike:
        """(N, 4) absolute xyxy coordinates; ``width``/``height`` are needed if normalized."""
        boxes = self
        if self.normalized:
            if width is None or height is None:
                raise ValueError("normalized boxes need width and height to become absolute")
            boxes = self.to_absolute(width=width, height=height)
        return convert_boxes(boxes.data, src=boxes.format, dst=BoxFormat.XYXY)

    def area(self) -> ArrayLike:
        """(N,) box areas in the boxes' own units."""
        x1, y1, x2, y2 = _columns(convert_boxes(self.data, src=self.format, dst=BoxFormat.XYXY))
        return (x2 - x1) * (y2 - y1)
