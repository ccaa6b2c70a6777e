"""Typed samples shared by datasets, transforms, metrics and labeling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from ._boxes import ArrayLike, Boxes
from ._polygons import Polygons
from ._text import Caption, TextInstance


@dataclass(frozen=True)
class Keypoints:
    """Keypoints of N instances, K points each, with visibility.

    Attributes:
        data: (N, K, 2) x, y in pixels.
        visible: (N, K) bool; a point that left the frame is marked invisible, never deleted.
        names: optional K point names (e.g. COCO's "nose", "left_eye", ...).
    """

    data: ArrayLike
    visible: ArrayLike | None = None
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.data.ndim != 3 or self.data.shape[-1] != 2:
            raise ValueError(f"Keypoints.data must have shape (N, K, 2), got {tuple(self.data.shape)}")
        if self.visible is None:
            vis = (
                torch.ones(self.data.shape[:2], dtype=torch.bool)
                if isinstance(self.data, torch.Tensor)
                else np.ones(self.data.shape[:2], dtype=bool)
            )
            object.__setattr__(self, "visible", vis)
        elif tuple(self.visible.shape) != tuple(self.data.shape[:2]):
            raise ValueError(
                f"Keypoints.visible must have shape {tuple(self.data.shape[:2])}, got {tuple(self.visible.shape)}"
            )

    def __len__(self) -> int:
        return int(self.data.shape[0])


@dataclass
class Sample:
    """One image with whatever targets it carries.

    Every field but ``image`` is optional; a transform applies one sampled set of
    parameters to all fields that are present.

    Attributes:
        image: (H, W, C) uint8 numpy array (the working form of transforms) or
            (C, H, W) tensor (what datasets and models use).
        label: class index, or a (num_classes,) float vector of soft targets.
        boxes: instance boxes.
        labels: (N,) class of each box.
        masks: (N, H, W) bool/uint8 instance masks, aligned with ``boxes``.
        mask: (H, W) integer semantic mask.
        keypoints: instance keypoints, aligned with ``boxes``.
        texts: N strings, the transcription of each box (text detection / OCR).
        ids: (N,) instance ids, kept aligned when boxes are dropped.
        meta: free-form metadata (file name, source index, ...).
        polygons: N :class:`Polygons`, the outline of each instance, aligned with ``boxes``.
        text_instances: N :class:`TextInstance` (quadrilaterals or polygons with their
            transcription), aligned with ``boxes`` when the sample has boxes.
        captions: captions of the whole image.
    """

    image: ArrayLike
    label: int | ArrayLike | None = None
    boxes: Boxes | None = None
    labels: ArrayLike | None = None
    masks: ArrayLike | None = None
    mask: ArrayLike | None = None
    keypoints: Keypoints | None = None
    texts: Sequence[str] | None = None
    ids: ArrayLike | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    polygons: Sequence[Polygons] | None = None
    text_instances: Sequence[TextInstance] | None = None
    captions: Sequence[Caption] | None = None

    @property
    def channels_last(self) -> bool:
        """True when ``image`` is laid out (H, W, C) (numpy) rather than (C, H, W)."""
        return isinstance(self.image, np.ndarray)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the image."""
        if self.channels_last:
            return int(self.image.shape[0]), int(self.image.shape[1])
        return int(self.image.shape[-2]), int(self.image.shape[-1])

    def replace(self, **changes: Any) -> Sample:
        """A copy with some fields replaced (the original is left untouched)."""
        return replace(self, **changes)
