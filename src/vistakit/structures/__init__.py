"""Typed samples that every capability of vistakit shares.

This package imports nothing else of vistakit, so data readers, transforms,
metrics and the labeling tool speak the same vocabulary without depending on
each other.
"""

from ._boxes import Boxes, BoxFormat, convert_boxes, denormalize_boxes, normalize_boxes
from ._sample import Keypoints, Sample

__all__ = [
    "BoxFormat",
    "Boxes",
    "Keypoints",
    "Sample",
    "convert_boxes",
    "denormalize_boxes",
    "normalize_boxes",
]
