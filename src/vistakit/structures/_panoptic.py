"""COCO panoptic segmentation: segments and the id <-> RGB encoding of the PNGs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PanopticSegment", "id_to_rgb", "rgb_to_id", "segments_from_ids"]


def rgb_to_id(rgb: np.ndarray) -> np.ndarray:
    """Segment ids of a COCO panoptic PNG: ``id = R + 256 G + 256^2 B``.

    Args:
        rgb: (H, W, 3) uint8 (or any integer dtype with values in 0..255).

    Returns:
        (H, W) int64 segment ids (0 is "no segment", i.e. void).
    """
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"rgb: expected shape (H, W, 3), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"rgb: expected an integer array (uint8), got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError("rgb: channel values must lie in 0..255")
    a = arr.astype(np.int64)
    return a[..., 0] + 256 * a[..., 1] + 65536 * a[..., 2]


def id_to_rgb(ids: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_id`: (H, W) ids in ``[0, 2^24)`` -> (H, W, 3) uint8 RGB."""
    a = np.asarray(ids)
    if not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"ids: expected an integer array, got dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= 256**3):
        raise ValueError(f"ids: segment ids must lie in [0, {256**3}), got {int(a.min())}..{int(a.max())}")
    a = a.astype(np.int64)
    return np.stack([a % 256, (a // 256) % 256, a // 65536], axis=-1).astype(np.uint8)


@dataclass(frozen=True)
class PanopticSegment:
    """One segment of a COCO panoptic annotation (``segments_info`` entry).

    Attributes:
        id: segment id, as encoded in the PNG (``R + 256 G + 256^2 B``), > 0.
        category_id: dataset category of the segment.
        iscrowd: the segment is a crowd region.
        area: pixels of the segment.
        bbox: COCO ``(x, y, width, height)`` of the segment.
    """

    id: int
    category_id: int
    iscrowd: bool = False
    area: int = 0
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if int(self.id) <= 0 or int(self.id) >= 256**3:
            raise ValueError(f"PanopticSegment.id: expected 0 < id < {256**3}, got {self.id}")
        if int(self.area) < 0:
            raise ValueError(f"PanopticSegment.area: expected >= 0, got {self.area}")
        bbox = tuple(float(v) for v in self.bbox)
        if len(bbox) != 4:
            raise ValueError(f"PanopticSegment.bbox: expected (x, y, width, height), got {self.bbox!r}")
        object.__setattr__(self, "id", int(self.id))
        object.__setattr__(self, "category_id", int(self.category_id))
        object.__setattr__(self, "iscrowd", bool(self.iscrowd))
        object.__setattr__(self, "area", int(self.area))
        object.__setattr__(self, "bbox", bbox)

    @classmethod
    def from_coco(cls, obj: dict[str, Any]) -> PanopticSegment:
        """Read one ``segments_info`` entry."""
        for key in ("id", "category_id"):
            if key not in obj:
                raise ValueError(f"segments_info: missing field {key!r} in {obj!r:.80}")
        return cls(
            id=obj["id"],
            category_id=obj["category_id"],
            iscrowd=bool(obj.get("iscrowd", 0)),
            area=obj.get("area", 0),
            bbox=tuple(obj.get("bbox", (0, 0, 0, 0))),
        )

    def to_coco(self) -> dict[str, Any]:
        """One ``segments_info`` entry."""
        return {
            "id": self.id,
            "category_id": self.category_id,
            "iscrowd": int(self.iscrowd),
            "area": self.area,
            "bbox": list(self.bbox),
        }


def segments_from_ids(
    ids: np.ndarray, *, category_ids: dict[int, int], iscrowd: dict[int, bool] | None = None
) -> list[PanopticSegment]:
    """Measure every segment of an (H, W) id map: area and tight COCO box.

    Args:
        ids: (H, W) integer segment ids (see :func:`rgb_to_id`); 0 is void.
        category_ids: segment id -> category id, one entry per non-zero id present.
        iscrowd: segment id -> crowd flag (default: not crowd).

    Returns:
        Segments in increasing id order.
    """
    a = np.asarray(ids)
    if a.ndim != 2:
        raise ValueError(f"ids: expected shape (H, W), got {a.shape}")
    present, inverse, area = np.unique(a, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(a.shape)
    n = len(present)
    rows = np.broadcast_to(np.arange(a.shape[0])[:, None], a.shape)
    cols = np.broadcast_to(np.arange(a.shape[1])[None, :], a.shape)
    big = np.iinfo(np.int64).max
    x0, y0 = np.full(n, big), np.full(n, big)
    x1, y1 = np.full(n, -1), np.full(n, -1)
    np.minimum.at(x0, inverse.ravel(), cols.ravel())
    np.maximum.at(x1, inverse.ravel(), cols.ravel())
    np.minimum.at(y0, inverse.ravel(), rows.ravel())
    np.maximum.at(y1, inverse.ravel(), rows.ravel())
    out = []
    for i, sid in enumerate(present.tolist()):
        if sid == 0:
            continue
        if sid not in category_ids:
            raise ValueError(f"category_ids: no category for segment id {sid}")
        out.append(
            PanopticSegment(
                id=sid,
                category_id=category_ids[sid],
                iscrowd=bool((iscrowd or {}).get(sid, False)),
                area=int(area[i]),
                bbox=(float(x0[i]), float(y0[i]), float(x1[i] - x0[i] + 1), float(y1[i] - y0[i] + 1)),
            )
        )
    return out
