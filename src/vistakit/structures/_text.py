"""Text instances (scene-text detection and recognition) and image captions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Caption", "DONT_CARE", "TextInstance"]

DONT_CARE = "###"  # ICDAR's transcription of a region to ignore


@dataclass(frozen=True, eq=False)
class TextInstance:
    """One text region: a quadrilateral (4 points) or a curved polygon (more).

    Points keep their reading order (ICDAR lists a quadrilateral's corners
    clockwise from the top-left of the text). ICDAR writes ``###`` for a region
    that evaluation ignores; such an instance is always ``dont_care``.

    Attributes:
        points: (K, 2) float64 read-only x, y, K >= 3 (4 for a quadrilateral).
        transcription: the text ("" when unknown).
        language: script or language (ICDAR MLT: "Latin", "Arabic", ...), or None.
        dont_care: evaluation ignores this region.
    """

    points: np.ndarray
    transcription: str = ""
    language: str | None = None
    dont_care: bool = False

    def __post_init__(self) -> None:
        pts = np.array(self.points, dtype=np.float64)
        if pts.ndim == 1 and len(pts) % 2 == 0:
            pts = pts.reshape(-1, 2)
        if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
            raise ValueError(f"TextInstance.points: expected shape (K, 2) with K >= 3, got {pts.shape}")
        if not np.all(np.isfinite(pts)):
            raise ValueError("TextInstance.points: coordinates must be finite")
        pts.setflags(write=False)
        object.__setattr__(self, "points", pts)
        if not isinstance(self.transcription, str):
            raise ValueError(f"TextInstance.transcription: expected a str, got {type(self.transcription).__name__}")
        if self.language is not None and not isinstance(self.language, str):
            raise ValueError(f"TextInstance.language: expected a str or None, got {type(self.language).__name__}")
        object.__setattr__(self, "dont_care", bool(self.dont_care) or self.transcription == DONT_CARE)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextInstance):
            return NotImplemented
        return (
            np.array_equal(self.points, other.points)
            and self.transcription == other.transcription
            and self.language == other.language
            and self.dont_care == other.dont_care
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def is_quadrilateral(self) -> bool:
        return len(self.points) == 4

    @property
    def bbox(self) -> np.ndarray:
        """(4,) float64 tight ``xyxy`` box of the points."""
        return np.concatenate([self.points.min(axis=0), self.points.max(axis=0)])

    def with_points(self, points: np.ndarray) -> TextInstance:
        """The same text with new (K, 2) points (same K)."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.shape != self.points.shape:
            raise ValueError(f"points: expected shape {self.points.shape}, got {pts.shape}")
        return TextInstance(pts, self.transcription, self.language, self.dont_care)

    def transform(self, matrix: np.ndarray) -> TextInstance:
        """Map the points through a (3, 3) affine or projective matrix (order kept)."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape != (3, 3):
            raise ValueError(f"matrix: expected shape (3, 3), got {m.shape}")
        hom = self.points @ m[:, :2].T + m[:, 2]
        return self.with_points(hom[:, :2] / hom[:, 2:3])

    @classmethod
    def from_icdar(cls, line: str, *, with_language: bool = False) -> TextInstance:
        """Parse one ground-truth line of ICDAR 2015 / MLT.

        ``x1,y1,x2,y2,x3,y3,x4,y4,transcription`` (ICDAR 2015) or, with
        ``with_language``, ``x1,...,y4,language,transcription`` (MLT). The
        transcription may itself contain commas; ``###`` marks don't care.
        """
        text = line.lstrip("\ufeff").rstrip("\r\n")
        parts = text.split(",", 9 if with_language else 8)
        if len(parts) < (10 if with_language else 9):
            raise ValueError(f"ICDAR line: expected 8 coordinates then the text, got {line!r:.80}")
        try:
            xy = [float(v) for v in parts[:8]]
        except ValueError:
            raise ValueError(f"ICDAR line: coordinates must be numbers, got {parts[:8]}") from None
        language = parts[8] if with_language else None
        return cls(np.array(xy).reshape(4, 2), parts[-1], language)

    def to_icdar(self, *, with_language: bool = False) -> str:
        """One ICDAR ground-truth line (quadrilaterals only; coordinates as integers when whole)."""
        if not self.is_quadrilateral:
            raise ValueError(f"TextInstance.points: ICDAR lines hold 4 points, this instance has {len(self.points)}")
        nums = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in self.points.ravel()]
        text = DONT_CARE if self.dont_care else self.transcription
        fields = nums + ([self.language or ""] if with_language else []) + [text]
        return ",".join(fields)


@dataclass(frozen=True)
class Caption:
    """One caption of an image (COCO captions: ``{"id", "image_id", "caption"}``).

    Attributes:
        text: the caption.
        id: annotation id, or None.
    """

    text: str
    id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ValueError(f"Caption.text: expected a str, got {type(self.text).__name__}")

    @classmethod
    def from_coco(cls, obj: dict[str, Any]) -> Caption:
        if "caption" not in obj:
            raise ValueError(f"caption annotation: missing field 'caption' in {obj!r:.80}")
        return cls(obj["caption"], obj.get("id"))
