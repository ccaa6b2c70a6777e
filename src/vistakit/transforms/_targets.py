"""Keeping every target of a sample in sync under one geometric change.

:func:`apply_geometry` is the single place where a 3x3 matrix moves the image,
the instance masks, the semantic mask, the boxes, the keypoints, the polygons and
the text instances' points; every
affine-family transform (flips, quarter turns, rotate, affine, perspective,
crops, resizes, pads, letterbox, mosaic tiles, the geometric ops of the
policies) goes through it. :func:`apply_remap` does the same for dense
distortions (elastic, grid) given as sampling maps.

Rules (from the augmentation issue):

* masks use nearest-neighbour sampling and are never blended;
* after a rotation, shear or perspective, boxes come from the transformed
  instance masks when the sample has them, else from the transformed corners;
* boxes are clipped to the image and dropped, with their labels, masks, ids,
  texts and keypoints, when their visible fraction falls under
  ``min_visibility`` or their area under ``min_area`` (or when nothing is left);
* keypoints that leave the frame are marked invisible, never deleted;
* polygons move through the same matrix and are clipped to the image (a ring
  left with no area is removed; an instance may end with no ring, like an empty
  instance mask); after a rotation, shear or perspective, boxes of a sample
  without instance masks come from the clipped polygons when the instance has
  some left;
* text instances (quadrilaterals, curved polygons) move through the same matrix
  and keep all their points, in reading order, even outside the frame;
* instances are dropped by the boxes' rule; a sample without boxes applies the
  same rule to the polygons (visible fraction = clipped over moved polygon area,
  area = the clipped polygon's box) or else to the boxes of the text points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..structures import Boxes, BoxFormat, Keypoints, Polygons, Sample, TextInstance
from . import _functional_geometric as G
from ._io import evolve

__all__ = [
    "apply_geometry",
    "apply_remap",
    "drop_instances",
    "filter_boxes",
    "image_only",
    "points_inside",
]

ArrayFn = Callable[[np.ndarray], np.ndarray]
MaskFn = Callable[[np.ndarray, float, "str | None"], np.ndarray]


def image_only(s: Sample) -> bool:
    """True when the sample carries no target that a geometric change must move."""
    return (
        s.boxes is None
        and s.masks is None
        and s.mask is None
        and s.keypoints is None
        and s.polygons is None
        and s.text_instances is None
    )


def points_inside(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """(...,) bool: the point lies in ``[0, W) x [0, H)``."""
    x, y = points[..., 0], points[..., 1]
    return (x >= 0) & (x < width) & (y >= 0) & (y < height)


def _warp_masks(masks: np.ndarray, mask_fn: MaskFn, height: int, width: int) -> np.ndarray:
    """Warp (N, H, W) instance masks as one (H, W, N) stack."""
    n = masks.shape[0]
    if n == 0:
        return np.zeros((0, height, width), dtype=masks.dtype)
    stack = np.ascontiguousarray(masks.transpose(1, 2, 0))
    out = mask_fn(stack, 0, "constant")  # mirrored borders never create instances
    if out.ndim == 2:
        out = out[:, :, None]
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def filter_boxes(
    new_boxes: np.ndarray,
    visibility: np.ndarray,
    degenerate_inside: np.ndarray,
    box_filter: tuple[float, float],
) -> np.ndarray:
    """(N,) bool keep-mask from final boxes, their visible fraction and the filter settings."""
    min_area, min_visibility = box_filter
    area = G.box_areas(new_boxes)
    keep = (area > 0) & (area >= min_area) & (visibility >= min_visibility)
    return keep | degenerate_inside


def drop_instances(s: Sample, keep: np.ndarray) -> Sample:
    """Keep only the instances where ``keep`` is True (boxes, labels, masks, ids, texts, keypoints)."""
    if keep.all():
        return s
    idx = np.flatnonzero(keep)
    n = len(keep)
    changes: dict = {}
    if s.boxes is not None:
        changes["boxes"] = Boxes(s.boxes.data[idx], BoxFormat.XYXY, False)
    if s.labels is not None and len(s.labels) == n:
        changes["labels"] = s.labels[idx]
    if s.ids is not None and len(s.ids) == n:
        changes["ids"] = s.ids[idx]
    if s.masks is not None and s.masks.shape[0] == n:
        changes["masks"] = s.masks[idx]
    if s.texts is not None and len(s.texts) == n:
        changes["texts"] = [s.texts[i] for i in idx]
    if s.keypoints is not None and len(s.keypoints) == n:
        k = s.keypoints
        changes["keypoints"] = Keypoints(k.data[idx], k.visible[idx], k.names)
    if s.polygons is not None and len(s.polygons) == n:
        changes["polygons"] = [s.polygons[i] for i in idx]
    if s.text_instances is not None and len(s.text_instances) == n:
        changes["text_instances"] = [s.text_instances[i] for i in idx]
    return evolve(s, **changes)


PointsFn = Callable[[np.ndarray], np.ndarray]


def _move_polygons(
    polygons: list[Polygons], points_fn: PointsFn, height: int, width: int
) -> tuple[list[Polygons], np.ndarray, np.ndarray]:
    """Move every ring with ``points_fn`` (one call for all points) and clip it to the image.

    Returns:
        The moved polygons, (N, 4) xyxy boxes of what is left (zeros when no
        ring is left) and (N,) the visible fraction of each polygon's area.
    """
    n = len(polygons)
    sizes = [len(r) for p in polygons for r in p.rings]
    moved = points_fn(np.concatenate([p.points() for p in polygons])) if sizes else np.zeros((0, 2))
    rings = np.split(moved, np.cumsum(sizes)[:-1]) if sizes else []
    out: list[Polygons] = []
    boxes = np.zeros((n, 4), np.float64)
    visibility = np.zeros(n, np.float64)
    r = 0
    for i, p in enumerate(polygons):
        mine = rings[r : r + len(p.rings)]
        r += len(p.rings)
        before = Polygons(tuple(mine)).shoelace_area() if mine else 0.0
        clipped = [G.clip_polygon(ring, height, width) for ring in mine]
        clipped = [c for c in clipped if len(c) >= 3]
        kept = Polygons(tuple(clipped))
        areas = kept.ring_areas()
        kept = Polygons(tuple(c for c, a in zip(clipped, areas) if a > 0))
        out.append(kept)
        if len(kept):
            boxes[i] = kept.bbox
            visibility[i] = min(kept.shoelace_area() / before, 1.0) if before > 0 else 0.0
    return out, boxes, visibility


def _move_texts(texts: list[TextInstance], points_fn: PointsFn) -> tuple[list[TextInstance], np.ndarray]:
    """Move every text instance's points (one call for all); also (N, 4) boxes of the moved points."""
    if not texts:
        return [], np.zeros((0, 4), np.float64)
    sizes = [len(t.points) for t in texts]
    moved = np.split(points_fn(np.concatenate([t.points for t in texts])), np.cumsum(sizes)[:-1])
    out = [t.with_points(p) for t, p in zip(texts, moved)]
    boxes = np.stack([np.concatenate([p.min(axis=0), p.max(axis=0)]) for p in moved])
    return out, boxes


def _move_outlines(
    s: Sample, points_fn: PointsFn, height: int, width: int, changes: dict
) -> tuple[tuple[np.ndarray, np.ndarray] | None, np.ndarray | None]:
    """Move polygons and text instances into ``changes``.

    Returns:
        The polygons' (boxes, visibility) from :func:`_move_polygons` (None without
        polygons) and the (N, 4) boxes of the moved text points (None without texts).
    """
    poly = text_boxes = None
    if s.polygons is not None:
        polys, pboxes, pvis = _move_polygons(list(s.polygons), points_fn, height, width)
        changes["polygons"] = polys
        poly = (pboxes, pvis)
    if s.text_instances is not None:
        changes["text_instances"], text_boxes = _move_texts(list(s.text_instances), points_fn)
    return poly, text_boxes


def _keep_without_boxes(
    poly: tuple[np.ndarray, np.ndarray] | None,
    text_boxes: np.ndarray | None,
    height: int,
    width: int,
    box_filter: tuple[float, float],
) -> np.ndarray | None:
    """The boxes' dropping rule for a sample without boxes: from the polygons, else the text points."""
    if poly is not None:
        pboxes, pvis = poly
        return filter_boxes(pboxes, pvis, np.zeros(len(pboxes), bool), box_filter)
    if text_boxes is not None:
        cb = G.clip_boxes(text_boxes, height, width)
        area_t, area_c = G.box_areas(text_boxes), G.box_areas(cb)
        with np.errstate(divide="ignore", invalid="ignore"):
            visibility = np.where(area_t > 0, area_c / np.where(area_t > 0, area_t, 1.0), 0.0)
        degenerate_inside = (area_t == 0) & np.all(text_boxes == cb, axis=1)
        return filter_boxes(cb, visibility, degenerate_inside, box_filter)
    return None


def apply_geometry(
    s: Sample,
    matrix: np.ndarray,
    height: int,
    width: int,
    *,
    image_fn: ArrayFn,
    mask_fn: MaskFn,
    fill_mask: float = 0,
    box_filter: tuple[float, float] = (0.0, 0.0),
) -> Sample:
    """Apply one geometric change to every target of a working-form sample.

    Args:
        s: working-form sample.
        matrix: (3, 3) map from input to output continuous coordinates.
        height, width: output size.
        image_fn: warps the (H, W, C) image (the transform's interpolation and fill).
        mask_fn: ``mask_fn(array, fill, border)`` warps an (H, W[, N]) integer array with
            nearest sampling; ``border`` None means the transform's own border mode
            (the semantic mask follows the image), "constant" is used for instance masks.
        fill_mask: value of semantic-mask pixels that come from outside the input.
        box_filter: (min_area, min_visibility).

    Returns:
        The transformed sample; dropped instances are removed from every field.
    """
    if image_only(s):
        return evolve(s, image=image_fn(s.image))
    changes: dict = {"image": image_fn(s.image)}
    new_masks = None
    if s.masks is not None:
        new_masks = _warp_masks(s.masks, mask_fn, height, width)
        changes["masks"] = new_masks
    if s.mask is not None:
        m = mask_fn(s.mask, fill_mask, None)
        changes["mask"] = m[:, :, 0] if m.ndim == 3 else m
    if s.keypoints is not None:
        k = s.keypoints
        pts = G.transform_points(k.data, matrix)
        changes["keypoints"] = Keypoints(pts, k.visible & points_inside(pts, height, width), k.names)
    poly, text_boxes = _move_outlines(s, lambda p: G.transform_points(p, matrix), height, width, changes)
    keep = None
    if s.boxes is not None:
        tb = G.transform_boxes(s.boxes.data, matrix)
        cb = G.clip_boxes(tb, height, width)
        area_t, area_c = G.box_areas(tb), G.box_areas(cb)
        with np.errstate(divide="ignore", invalid="ignore"):
            visibility = np.where(area_t > 0, area_c / np.where(area_t > 0, area_t, 1.0), 0.0)
        degenerate_inside = (area_t == 0) & np.all(tb == cb, axis=1)
        if new_masks is not None and not G.is_axis_aligned(matrix):
            nb = G.masks_to_boxes(new_masks)
            degenerate_inside &= False
        elif poly is not None and len(poly[0]) == len(cb) and not G.is_axis_aligned(matrix):
            has_rings = np.array([len(p) > 0 for p in changes["polygons"]], dtype=bool)
            nb = np.where(has_rings[:, None], poly[0], cb)
            degenerate_inside &= ~has_rings
        else:
            nb = cb
        changes["boxes"] = Boxes(nb, BoxFormat.XYXY, False)
        keep = filter_boxes(nb, visibility, degenerate_inside, box_filter)
    else:
        keep = _keep_without_boxes(poly, text_boxes, height, width, box_filter)
    out = evolve(s, **changes)
    return drop_instances(out, keep) if keep is not None else out


def apply_remap(
    s: Sample,
    map_x: np.ndarray,
    map_y: np.ndarray,
    *,
    image_fn: ArrayFn,
    mask_fn: MaskFn,
    points_fn: Callable[[np.ndarray], np.ndarray],
    fill_mask: float = 0,
    box_filter: tuple[float, float] = (0.0, 0.0),
    boxes_fn: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Sample:
    """Apply a dense distortion (sampling maps) to every target.

    Boxes come from the distorted instance masks when present; otherwise from
    ``boxes_fn`` when the distortion maps boxes exactly (a separable grid), else
    each box is rasterised, distorted with the masks' sampling and measured.

    Args:
        s: working-form sample.
        map_x, map_y: (H', W') float32 OpenCV sampling maps.
        image_fn, mask_fn: as in :func:`apply_geometry`.
        points_fn: maps (..., 2) input points to output points.
        fill_mask, box_filter: as in :func:`apply_geometry`.
        boxes_fn: optional exact map of (N, 4) xyxy boxes.
    """
    height, width = map_x.shape
    changes: dict = {"image": image_fn(s.image)}
    new_masks = None
    if s.masks is not None:
        new_masks = _warp_masks(s.masks, mask_fn, height, width)
        changes["masks"] = new_masks
    if s.mask is not None:
        m = mask_fn(s.mask, fill_mask, None)
        changes["mask"] = m[:, :, 0] if m.ndim == 3 else m
    if s.keypoints is not None:
        k = s.keypoints
        pts = points_fn(k.data)
        changes["keypoints"] = Keypoints(pts, k.visible & points_inside(pts, height, width), k.names)
    poly, text_boxes = _move_outlines(s, points_fn, height, width, changes)
    keep = None
    if s.boxes is not None:
        old = s.boxes.data
        h0, w0 = s.image.shape[:2]
        if new_masks is not None:
            nb = G.masks_to_boxes(new_masks)
            before = np.count_nonzero(s.masks, axis=(1, 2))
            after = np.count_nonzero(new_masks, axis=(1, 2))
        elif boxes_fn is not None:
            tb = boxes_fn(old)
            nb = G.clip_boxes(tb, height, width)
            before, after = G.box_areas(tb), G.box_areas(nb)
        else:
            raster = G.boxes_to_masks(old, h0, w0)
            moved = _warp_masks(raster, mask_fn, height, width)
            nb = G.masks_to_boxes(moved)
            before = np.count_nonzero(raster, axis=(1, 2))
            after = np.count_nonzero(moved, axis=(1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            visibility = np.where(before > 0, np.minimum(after / np.where(before > 0, before, 1), 1.0), 0.0)
        changes["boxes"] = Boxes(nb, BoxFormat.XYXY, False)
        keep = filter_boxes(nb, visibility, np.zeros(len(old), dtype=bool), box_filter)
    else:
        keep = _keep_without_boxes(poly, text_boxes, height, width, box_filter)
    out = evolve(s, **changes)
    return drop_instances(out, keep) if keep is not None else out
