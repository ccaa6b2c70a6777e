"""Typed samples that every capability of vistakit shares.

This package imports nothing else of vistakit, so data readers, transforms,
metrics and the labeling tool speak the same vocabulary without depending on
each other.
"""

from ._boxes import Boxes, BoxFormat, convert_boxes, denormalize_boxes, normalize_boxes
from ._panoptic import PanopticSegment, id_to_rgb, rgb_to_id, segments_from_ids
from ._polygons import Polygons
from ._rle import RLE, merge, polygon_to_rle, rle_counts_from_strings, rle_counts_to_strings, rle_iou
from ._sample import Keypoints, Sample
from ._text import DONT_CARE, Caption, TextInstance

__all__ = [
    "BoxFormat",
    "Boxes",
    "Caption",
    "DONT_CARE",
    "Keypoints",
    "PanopticSegment",
    "Polygons",
    "RLE",
    "Sample",
    "TextInstance",
    "convert_boxes",
    "denormalize_boxes",
    "id_to_rgb",
    "merge",
    "normalize_boxes",
    "polygon_to_rle",
    "rgb_to_id",
    "rle_counts_from_strings",
    "rle_counts_to_strings",
    "rle_iou",
    "segments_from_ids",
]
