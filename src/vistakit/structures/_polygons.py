"""Polygon outlines of one instance, as COCO's ``segmentation`` lists them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._rle import RLE, merge, polygon_to_rle

__all__ = ["Polygons"]


def _ring(points: Any, index: int) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1:
        if len(arr) % 2:
            raise ValueError(
                f"Polygons.rings[{index}]: a flat ring needs an even count of numbers (x, y pairs), got {len(arr)}"
            )
        arr = arr.reshape(-1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"Polygons.rings[{index}]: expected shape (K, 2), got {arr.shape}")
    if len(arr) < 3:
        raise ValueError(f"Polygons.rings[{index}]: a ring needs at least 3 points, got {len(arr)}")
    if not np.isfinite(arr).all():  # the method: np.all's dispatch costs more than the check
        raise ValueError(f"Polygons.rings[{index}]: coordinates must be finite")
    arr = np.array(arr, dtype=np.float64)  # own copy, read-only below
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Polygons:
    """The outline of one instance: one or more closed rings (COCO allows several).

    Coordinates are pixels, x to the right, y down. A ring is closed implicitly
    (the last point joins the first). An instance whose rings all left the image
    has no ring at all, like an all-zero instance mask.

    Attributes:
        rings: tuple of (K_i, 2) float64 read-only arrays, K_i >= 3.
    """

    rings: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if isinstance(self.rings, np.ndarray) and self.rings.ndim == 2:
            rings = (self.rings,)  # a single (K, 2) ring
        else:
            rings = tuple(self.rings)
        object.__setattr__(self, "rings", tuple(_ring(r, i) for i, r in enumerate(rings)))

    def __len__(self) -> int:
        return len(self.rings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Polygons):
            return NotImplemented
        return len(self.rings) == len(other.rings) and all(
            np.array_equal(a, b) for a, b in zip(self.rings, other.rings)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Polygons({len(self.rings)} rings, {[len(r) for r in self.rings]} points)"

    # ------------------------------------------------------------------ COCO json

    @classmethod
    def from_coco(cls, segmentation: Sequence[Sequence[float]]) -> Polygons:
        """Read COCO's polygon ``segmentation``: ``[[x1, y1, x2, y2, ...], ...]``."""
        if isinstance(segmentation, dict):
            raise ValueError("segmentation: this is an RLE (a dict); read it with RLE.from_coco")
        if not isinstance(segmentation, (list, tuple)):
            raise ValueError(f"segmentation: expected a list of rings, got {type(segmentation).__name__}")
        return cls(tuple(segmentation))

    def to_coco(self) -> list[list[float]]:
        """COCO's polygon ``segmentation``: one flat ``[x1, y1, x2, y2, ...]`` list per ring."""
        return [r.ravel().tolist() for r in self.rings]

    # ------------------------------------------------------------------ rasterising

    def to_rle(self, *, height: int, width: int) -> RLE:
        """The filled mask as an :class:`RLE`, exactly as the COCO API rasterises it.

        Each ring goes through ``rleFrPoly`` and the rings are merged (a union),
        as ``COCO.annToRLE`` does (``merge(frPyObjects(segmentation, h, w))``).
        """
        if not self.rings:
            return RLE((int(height), int(width)), [int(height) * int(width)])
        return merge([polygon_to_rle(r, height=height, width=width) for r in self.rings])

    def to_mask(self, *, height: int, width: int) -> np.ndarray:
        """(height, width) bool filled mask (see :meth:`to_rle`)."""
        return self.to_rle(height=height, width=width).decode()

    def area(self, *, height: int, width: int) -> int:
        """Pixels of the rasterised mask: what COCO's ``area`` field holds for polygons."""
        return self.to_rle(height=height, width=width).area

    def ring_areas(self) -> np.ndarray:
        """(R,) float64 geometric area of each ring (shoelace formula, always >= 0)."""
        out = np.zeros(len(self.rings), np.float64)
        for i, r in enumerate(self.rings):
            x, y = r[:, 0], r[:, 1]
            out[i] = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)))
        return out

    def shoelace_area(self) -> float:
        """Sum of the rings' geometric areas (holes are not subtracted: COCO rings are unions)."""
        return float(self.ring_areas().sum())

    # ------------------------------------------------------------------ geometry

    @property
    def bbox(self) -> np.ndarray:
        """(4,) float64 tight ``xyxy`` box over every point of every ring (zeros if no ring)."""
        if not self.rings:
            return np.zeros(4, np.float64)
        pts = np.concatenate(self.rings)
        return np.concatenate([pts.min(axis=0), pts.max(axis=0)])

    def points(self) -> np.ndarray:
        """(sum K_i, 2) every point of every ring, ring after ring."""
        if not self.rings:
            return np.zeros((0, 2), np.float64)
        return np.concatenate(self.rings)

    def with_points(self, points: np.ndarray) -> Polygons:
        """The same rings (same point counts) with new (sum K_i, 2) coordinates."""
        pts = np.asarray(points, dtype=np.float64)
        sizes = [len(r) for r in self.rings]
        if pts.shape != (sum(sizes), 2):
            raise ValueError(f"points: expected shape ({sum(sizes)}, 2), got {pts.shape}")
        return Polygons(tuple(np.split(pts, np.cumsum(sizes)[:-1])) if sizes else ())

    def transform(self, matrix: np.ndarray) -> Polygons:
        """Map every point through a (3, 3) affine or projective matrix (x' = M [x, y, 1])."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape != (3, 3):
            raise ValueError(f"matrix: expected shape (3, 3), got {m.shape}")
        pts = self.points()
        hom = pts @ m[:, :2].T + m[:, 2]
        return self.with_points(hom[:, :2] / hom[:, 2:3])
