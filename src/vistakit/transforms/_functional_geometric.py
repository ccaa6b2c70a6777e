"""Geometric kernels: pure functions on HWC numpy images, masks, boxes and points.

Coordinates are continuous pixel coordinates: pixel ``(row i, column j)`` covers
``[j, j + 1) x [i, i + 1)``, so its centre is ``(j + 0.5, i + 0.5)`` and a box
``(x1, y1, x2, y2)`` covering the whole image is ``(0, 0, W, H)``. With this
convention a horizontal flip is exactly ``x -> W - x`` for images, boxes and
points alike.

Every affine-family operation (flip, 90-degree rotation, rotation, affine, crop,
resize, pad, perspective) is a 3x3 matrix ``M`` mapping input coordinates to
output coordinates. The same matrix warps the image, the masks, the boxes and
the keypoints; the image functions convert it once to OpenCV's pixel-centre
convention (:func:`to_cv2_matrix`).

No function here modifies its inputs.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = [
    "INTERPOLATIONS",
    "BORDER_MODES",
    "identity",
    "translation",
    "scaling",
    "rotation",
    "shear",
    "affine_matrix",
    "hflip_matrix",
    "vflip_matrix",
    "rot90_matrix",
    "is_axis_aligned",
    "to_cv2_matrix",
    "hflip",
    "vflip",
    "rot90",
    "crop",
    "pad",
    "resize",
    "warp_affine",
    "warp_perspective",
    "remap",
    "transform_points",
    "transform_boxes",
    "clip_boxes",
    "clip_polygon",
    "box_areas",
    "masks_to_boxes",
    "boxes_to_masks",
]

INTERPOLATIONS: dict[str, int] = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "bilinear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "bicubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
}

BORDER_MODES: dict[str, int] = {
    "constant": cv2.BORDER_CONSTANT,
    "reflect": cv2.BORDER_REFLECT_101,  # d c b | a b c d | c b a (numpy/torch "reflect")
    "symmetric": cv2.BORDER_REFLECT,  # c b a | a b c d | d c b
    "replicate": cv2.BORDER_REPLICATE,
    "wrap": cv2.BORDER_WRAP,
}

_CV_MAX_CHANNELS = 512


def interpolation_flag(name: str) -> int:
    """OpenCV flag of an interpolation name; ValueError naming the choices otherwise."""
    try:
        return INTERPOLATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"interpolation must be one of {sorted(INTERPOLATIONS)}, got {name!r}") from None


def border_flag(name: str) -> int:
    """OpenCV flag of a border mode name; ValueError naming the choices otherwise."""
    try:
        return BORDER_MODES[name]
    except (KeyError, TypeError):
        raise ValueError(f"border_mode must be one of {sorted(BORDER_MODES)}, got {name!r}") from None


# ----------------------------------------------------------------------------- matrices


def identity() -> np.ndarray:
    """(3, 3) identity."""
    return np.eye(3)


def translation(tx: float, ty: float) -> np.ndarray:
    """(3, 3) matrix moving every point by ``(tx, ty)``."""
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def scaling(sx: float, sy: float) -> np.ndarray:
    """(3, 3) matrix scaling about the origin (the image's top-left corner)."""
    return np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0], [0.0, 0.0, 1.0]])


def rotation(angle: float, center: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """(3, 3) rotation by ``angle`` degrees, counter-clockwise as seen on screen.

    Same convention as ``cv2.getRotationMatrix2D`` and torchvision (the y axis
    points down, so the matrix is the transpose of the textbook one).
    """
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    # Exact values for multiples of 90 degrees, so 90-degree rotations stay lossless.
    if float(angle).is_integer() and int(angle) % 90 == 0:
        c, s = float(round(c)), float(round(s))
    cx, cy = center
    return np.array([[c, s, (1 - c) * cx - s * cy], [-s, c, s * cx + (1 - c) * cy], [0.0, 0.0, 1.0]])


def shear(shear_x: float, shear_y: float = 0.0, center: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """(3, 3) shear by angles in degrees (x' = x + tan(shear_x) * y) about ``center``."""
    tx, ty = math.tan(math.radians(shear_x)), math.tan(math.radians(shear_y))
    cx, cy = center
    m = np.array([[1.0, tx, 0.0], [ty, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return translation(cx, cy) @ m @ translation(-cx, -cy)


def affine_matrix(
    *,
    center: tuple[float, float],
    angle: float = 0.0,
    translate: tuple[float, float] = (0.0, 0.0),
    scale: float | tuple[float, float] = 1.0,
    shear_deg: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """(3, 3) affine about ``center``: scale, then shear, then rotate, then translate.

    Args:
        center: (x, y) fixed point of scale, shear and rotation.
        angle: rotation in degrees, counter-clockwise on screen.
        translate: (tx, ty) shift in pixels.
        scale: isotropic factor or (sx, sy).
        shear_deg: (shear_x, shear_y) in degrees.
    """
    sx, sy = (scale, scale) if np.isscalar(scale) else scale
    cx, cy = center
    m = (
        translation(cx + translate[0], cy + translate[1])
        @ rotation(angle)
        @ shear(shear_deg[0], shear_deg[1])
        @ scaling(sx, sy)
        @ translation(-cx, -cy)
    )
    return m


def hflip_matrix(width: int) -> np.ndarray:
    """(3, 3) horizontal flip of an image ``width`` pixels wide: x -> W - x."""
    return np.array([[-1.0, 0.0, float(width)], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def vflip_matrix(height: int) -> np.ndarray:
    """(3, 3) vertical flip: y -> H - y."""
    return np.array([[1.0, 0.0, 0.0], [0.0, -1.0, float(height)], [0.0, 0.0, 1.0]])


def rot90_matrix(k: int, height: int, width: int) -> np.ndarray:
    """(3, 3) matrix of ``np.rot90(image, k)`` (counter-clockwise quarter turns)."""
    k %= 4
    h, w = float(height), float(width)
    if k == 0:
        return np.eye(3)
    if k == 1:  # out[i, j] = in[j, W - 1 - i]: x' = y, y' = W - x
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w], [0.0, 0.0, 1.0]])
    if k == 2:
        return np.array([[-1.0, 0.0, w], [0.0, -1.0, h], [0.0, 0.0, 1.0]])
    return np.array([[0.0, -1.0, h], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # x' = H - y, y' = x


def is_axis_aligned(matrix: np.ndarray) -> bool:
    """True when ``matrix`` maps axis-aligned boxes onto axis-aligned boxes exactly.

    That is scale/flip/translate, possibly combined with a quarter turn; for these
    the transformed corner box is exact and needs no help from the masks.
    """
    m = matrix
    if m[2, 0] != 0 or m[2, 1] != 0:
        return False
    return (m[0, 1] == 0 and m[1, 0] == 0) or (m[0, 0] == 0 and m[1, 1] == 0)


def to_cv2_matrix(matrix: np.ndarray) -> np.ndarray:
    """Convert a continuous-coordinate matrix to OpenCV's pixel-centre convention."""
    m = matrix.copy()
    # T(-0.5) @ M @ T(+0.5), written out.
    m[:, 2] += 0.5 * (m[:, 0] + m[:, 1])
    m[0, :] -= 0.5 * m[2, :]
    m[1, :] -= 0.5 * m[2, :]
    return m


# ----------------------------------------------------------------------------- images


def _restore_channels(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    # OpenCV drops a trailing channel axis of size 1.
    if like.ndim == 3 and out.ndim == 2:
        return out[:, :, None]
    return out


def _per_chunk(image: np.ndarray, fn) -> np.ndarray:
    """Apply ``fn`` to an HWC image in chunks of at most 512 channels (OpenCV's limit)."""
    if image.ndim == 3 and image.shape[2] > _CV_MAX_CHANNELS:
        parts = [
            _restore_channels(fn(np.ascontiguousarray(image[:, :, i : i + _CV_MAX_CHANNELS])), image)
            for i in range(0, image.shape[2], _CV_MAX_CHANNELS)
        ]
        return np.concatenate(parts, axis=2)
    return _restore_channels(fn(image), image)


def _fill_value(fill: float | tuple, channels: int) -> tuple:
    # OpenCV repeats a 4-value scalar over any number of channels when all four agree.
    if np.isscalar(fill):
        return (float(fill),) * 4
    fill = tuple(float(f) for f in fill)
    if len(fill) != channels or channels > 4:
        raise ValueError(f"fill must be a number or {channels} values (one per channel), got {fill}")
    return fill


def hflip(image: np.ndarray) -> np.ndarray:
    """Mirror left-right. (H, W[, C]) -> same shape."""
    if image.ndim == 3 and image.shape[2] > 4:
        return np.ascontiguousarray(image[:, ::-1])
    out = cv2.flip(image, 1)
    return out[:, :, None] if out.ndim < image.ndim else out


def vflip(image: np.ndarray) -> np.ndarray:
    """Mirror top-bottom. (H, W[, C]) -> same shape."""
    if image.ndim == 3 and image.shape[2] > 4:
        return np.ascontiguousarray(image[::-1])
    return _restore_channels(cv2.flip(image, 0), image)


_CV_ROTATE = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}


def rot90(image: np.ndarray, k: int) -> np.ndarray:
    """``np.rot90(image, k)`` (counter-clockwise quarter turns), contiguous. (H, W[, C])."""
    k %= 4
    if k == 0:
        return image
    if image.ndim == 3 and image.shape[2] > 4:
        return np.ascontiguousarray(np.rot90(image, k))
    return _restore_channels(cv2.rotate(image, _CV_ROTATE[k]), image)


def crop(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """Pixels ``[y0:y1, x0:x1]`` (a view). Works on (H, W, ...) arrays."""
    return image[y0:y1, x0:x1]


def pad(
    image: np.ndarray,
    top: int,
    bottom: int,
    left: int,
    right: int,
    *,
    border_mode: str = "constant",
    fill: float | tuple = 0,
) -> np.ndarray:
    """Pad an (H, W[, C]) image; ``border_mode`` constant, reflect, symmetric, replicate, wrap."""
    if top == bottom == left == right == 0:
        return image
    flag = border_flag(border_mode)
    value = _fill_value(fill, image.shape[2] if image.ndim == 3 else 1)
    return _per_chunk(image, lambda im: cv2.copyMakeBorder(im, top, bottom, left, right, flag, value=value))


def resize(image: np.ndarray, height: int, width: int, *, interpolation: str = "linear") -> np.ndarray:
    """Resize an (H, W[, C]) image to (height, width[, C]).

    ``nearest`` uses OpenCV's centre-correct ``INTER_NEAREST_EXACT`` (plain
    ``INTER_NEAREST`` shifts the image by half a pixel when resizing).
    """
    if image.shape[0] == height and image.shape[1] == width:
        return image
    flag = interpolation_flag(interpolation)
    if flag == cv2.INTER_NEAREST:
        flag = cv2.INTER_NEAREST_EXACT
    return _per_chunk(image, lambda im: cv2.resize(im, (width, height), interpolation=flag))


def warp_affine(
    image: np.ndarray,
    matrix: np.ndarray,
    height: int,
    width: int,
    *,
    interpolation: str = "linear",
    border_mode: str = "constant",
    fill: float | tuple = 0,
) -> np.ndarray:
    """Warp an (H, W[, C]) image by a continuous-coordinate (3, 3) affine ``matrix``.

    Returns:
        (height, width[, C]) image, same dtype.
    """
    m = to_cv2_matrix(matrix)[:2]
    flags = interpolation_flag(interpolation)
    border = border_flag(border_mode)
    value = _fill_value(fill, image.shape[2] if image.ndim == 3 else 1)
    return _per_chunk(
        image,
        lambda im: cv2.warpAffine(im, m, (width, height), flags=flags, borderMode=border, borderValue=value),
    )


def warp_perspective(
    image: np.ndarray,
    matrix: np.ndarray,
    height: int,
    width: int,
    *,
    interpolation: str = "linear",
    border_mode: str = "constant",
    fill: float | tuple = 0,
) -> np.ndarray:
    """Warp an (H, W[, C]) image by a continuous-coordinate (3, 3) homography."""
    m = to_cv2_matrix(matrix)
    flags = interpolation_flag(interpolation)
    border = border_flag(border_mode)
    value = _fill_value(fill, image.shape[2] if image.ndim == 3 else 1)
    return _per_chunk(
        image,
        lambda im: cv2.warpPerspective(im, m, (width, height), flags=flags, borderMode=border, borderValue=value),
    )


def remap(
    image: np.ndarray,
    map_x: np.ndarray,
    map_y: np.ndarray,
    *,
    interpolation: str = "linear",
    border_mode: str = "constant",
    fill: float | tuple = 0,
) -> np.ndarray:
    """Sample ``image`` at (map_x, map_y) (float32, OpenCV pixel-centre coordinates).

    Output pixel (i, j) takes the input value at (map_x[i, j], map_y[i, j]).
    """
    flags = interpolation_flag(interpolation)
    border = border_flag(border_mode)
    value = _fill_value(fill, image.shape[2] if image.ndim == 3 else 1)
    return _per_chunk(
        image,
        lambda im: cv2.remap(im, map_x, map_y, flags, borderMode=border, borderValue=value),
    )


# ----------------------------------------------------------------------------- boxes, points, masks


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Map (..., 2) points through a (3, 3) matrix (affine or homography)."""
    pts = np.asarray(points, dtype=np.float64)
    out = pts @ matrix[:2, :2].T + matrix[:2, 2]
    if matrix[2, 0] != 0 or matrix[2, 1] != 0 or matrix[2, 2] != 1:
        w = pts @ matrix[2, :2] + matrix[2, 2]
        out = out / w[..., None]
    return out


def transform_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Boxes enclosing the transformed corners of (N, 4) xyxy boxes.

    Exact for axis-aligned matrices (flips, quarter turns, crops, resizes); for a
    rotation it is the box of the rotated rectangle. Returns (N, 4) float64.
    """
    b = np.asarray(boxes, dtype=np.float64)
    if len(b) == 0:
        return b.reshape(0, 4).copy()
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]]], axis=1)  # (N, 4, 2)
    pts = transform_points(corners, matrix)
    return np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)


def clip_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Clip (N, 4) xyxy boxes to the image ``[0, W] x [0, H]``."""
    out = np.empty_like(boxes, dtype=np.float64)
    np.clip(boxes[:, 0::2], 0, width, out=out[:, 0::2])
    np.clip(boxes[:, 1::2], 0, height, out=out[:, 1::2])
    return out


def clip_polygon(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """Clip one closed ring to the image ``[0, W] x [0, H]`` (Sutherland-Hodgman).

    Exact for the convex clip window: the result is the part of the ring's region
    inside the image (a ring that leaves and re-enters may gain edges along the
    border). Consecutive repeated points are removed.

    Args:
        points: (K, 2) float x, y of the ring.
        height, width: image size.

    Returns:
        (K', 2) float64 clipped ring; fewer than 3 points when nothing is left.
    """
    p = np.asarray(points, dtype=np.float64)
    for axis, bound, upper in ((0, 0.0, False), (0, float(width), True), (1, 0.0, False), (1, float(height), True)):
        if len(p) == 0:
            break
        inside = p[:, axis] <= bound if upper else p[:, axis] >= bound
        if inside.all():
            continue
        prev = np.roll(p, 1, axis=0)
        prev_inside = np.roll(inside, 1)
        with np.errstate(divide="ignore", invalid="ignore"):  # rows without a crossing are unused
            t = (bound - prev[:, axis]) / (p[:, axis] - prev[:, axis])
            cross = prev + t[:, None] * (p - prev)
        cross[:, axis] = bound  # exactly on the border, whatever the round-off
        cand = np.stack([cross, p], axis=1)  # (K, 2, 2): the crossing comes before the point
        emit = np.stack([inside != prev_inside, inside], axis=1)
        p = cand[emit]
    if len(p):
        keep = np.any(p != np.roll(p, 1, axis=0), axis=1)
        p = p[keep] if keep.any() else p[:1]
    return p


def box_areas(boxes: np.ndarray) -> np.ndarray:
    """(N,) areas of (N, 4) xyxy boxes (0 for degenerate ones)."""
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def masks_to_boxes(masks: np.ndarray) -> np.ndarray:
    """Tight xyxy boxes of (N, H, W) masks (nonzero = inside); empty masks give (0, 0, 0, 0).

    A mask covering pixels columns a..b and rows c..d gives ``(a, c, b + 1, d + 1)``.
    """
    n = masks.shape[0]
    out = np.zeros((n, 4), dtype=np.float64)
    if n == 0:
        return out
    nz = masks != 0
    cols = nz.any(axis=1)  # (N, W)
    rows = nz.any(axis=2)  # (N, H)
    has = cols.any(axis=1)
    w, h = cols.shape[1], rows.shape[1]
    x1 = cols.argmax(axis=1)
    x2 = w - cols[:, ::-1].argmax(axis=1)
    y1 = rows.argmax(axis=1)
    y2 = h - rows[:, ::-1].argmax(axis=1)
    out[has] = np.stack([x1, y1, x2, y2], axis=1)[has]
    return out


def boxes_to_masks(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Rasterise (N, 4) xyxy boxes to (N, H, W) uint8 masks (pixels whose centre is inside)."""
    b = np.asarray(boxes, dtype=np.float64)
    xs = np.arange(width) + 0.5
    ys = np.arange(height) + 0.5
    inside_x = (xs[None, :] >= b[:, 0:1]) & (xs[None, :] < b[:, 2:3])  # (N, W)
    inside_y = (ys[None, :] >= b[:, 1:2]) & (ys[None, :] < b[:, 3:4])  # (N, H)
    return (inside_y[:, :, None] & inside_x[:, None, :]).astype(np.uint8)
