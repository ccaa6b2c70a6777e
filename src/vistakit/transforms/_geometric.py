"""Geometric transforms. Each one computes a single 3x3 matrix (or sampling map)
and :func:`~vistakit.transforms._targets.apply_geometry` moves every target with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from ..structures import Sample
from . import _functional_geometric as G
from ._base import Transform, check_choice, randint, size_pair, to_range, uniform
from ._io import evolve
from ._targets import apply_geometry, apply_remap, image_only

__all__ = [
    "resized_crop",
    "HorizontalFlip",
    "VerticalFlip",
    "RandomRotate90",
    "Rotate",
    "Affine",
    "Perspective",
    "ElasticTransform",
    "GridDistortion",
    "Resize",
    "SmallestMaxSize",
    "LongestMaxSize",
    "RandomResizedCrop",
    "CenterCrop",
    "RandomCrop",
    "Crop",
    "Pad",
    "PadIfNeeded",
    "Letterbox",
]

_INTERP = tuple(G.INTERPOLATIONS)
_BORDERS = tuple(G.BORDER_MODES)


class _Geometric(Transform):
    """A transform given by ``geometry(params, h, w) -> (matrix, out_h, out_w)``.

    ``warp`` moves an image or an integer array; the default is an affine (or,
    for a non-affine matrix, perspective) warp with the transform's
    interpolation, border mode and fill, nearest sampling for masks.
    """

    interpolation: str = "linear"
    border_mode: str = "constant"
    fill: Any = 0
    fill_mask: Any = 0
    #: ``warp`` needs only the params (not the matrix) for the image: skip the
    #: matrix when the sample has nothing but an image.
    matrix_free_warp: bool = False

    def _set_warp_options(self, interpolation: str, border_mode: str, fill: Any, fill_mask: Any) -> None:
        name = type(self).__name__
        self.interpolation = check_choice(interpolation, _INTERP, owner=name, name="interpolation")
        self.border_mode = check_choice(border_mode, _BORDERS, owner=name, name="border_mode")
        if not (np.isscalar(fill) or (isinstance(fill, (list, tuple)) and len(fill) in (1, 3))):
            raise ValueError(f"{name}: fill must be a number or one value per channel, got {fill!r}")
        self.fill = list(fill) if isinstance(fill, (list, tuple)) else fill
        if not np.isscalar(fill_mask):
            raise ValueError(f"{name}: fill_mask must be a number, got {fill_mask!r}")
        self.fill_mask = fill_mask

    def geometry(self, params: dict[str, Any], height: int, width: int) -> tuple[np.ndarray, int, int]:
        raise NotImplementedError

    def warp(
        self,
        array: np.ndarray,
        params: dict[str, Any],
        matrix: np.ndarray,
        height: int,
        width: int,
        *,
        is_mask: bool,
        fill: Any,
        border: str | None = None,
    ) -> np.ndarray:
        """Move one array; ``border`` None means the transform's own border mode."""
        interp = "nearest" if is_mask else self.interpolation
        border = border or self.border_mode
        if matrix[2, 0] != 0 or matrix[2, 1] != 0:
            return G.warp_perspective(array, matrix, height, width, interpolation=interp, border_mode=border, fill=fill)
        return G.warp_affine(array, matrix, height, width, interpolation=interp, border_mode=border, fill=fill)

    def apply(self, sample: Sample, params: dict[str, Any]) -> Sample:
        if self.matrix_free_warp and image_only(sample):
            return evolve(sample, image=self.warp(sample.image, params, None, 0, 0, is_mask=False, fill=self.fill))
        h, w = sample.image.shape[:2]
        m, oh, ow = self.geometry(params, h, w)
        fill = self.fill
        return apply_geometry(
            sample,
            m,
            oh,
            ow,
            image_fn=lambda im: self.warp(im, params, m, oh, ow, is_mask=False, fill=fill),
            mask_fn=lambda a, f, b: self.warp(a, params, m, oh, ow, is_mask=True, fill=f, border=b),
            fill_mask=self.fill_mask,
            box_filter=self.box_filter,
        )


# ----------------------------------------------------------------------------- flips and quarter turns


class HorizontalFlip(_Geometric):
    """Mirror left-right: x -> W - x for the image, masks, boxes and keypoints (exact).

    Args:
        p: probability.
    """

    matrix_free_warp = True

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def geometry(self, params, height, width):
        return G.hflip_matrix(width), height, width

    def warp(self, array, params, matrix, height, width, *, is_mask, fill, border=None):
        return G.hflip(array)

    def apply(self, sample, params):
        if image_only(sample):
            return evolve(sample, image=G.hflip(sample.image))  # the common case, kept short
        return super().apply(sample, params)


class VerticalFlip(_Geometric):
    """Mirror top-bottom: y -> H - y (exact).

    Args:
        p: probability.
    """

    matrix_free_warp = True

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def geometry(self, params, height, width):
        return G.vflip_matrix(height), height, width

    def warp(self, array, params, matrix, height, width, *, is_mask, fill, border=None):
        return G.vflip(array)


class RandomRotate90(_Geometric):
    """Lossless counter-clockwise quarter turns (``np.rot90``); a turn swaps H and W.

    Args:
        turns: the numbers of quarter turns to choose from.
        p: probability.
    """

    matrix_free_warp = True

    def __init__(self, *, turns: Sequence[int] = (0, 1, 2, 3), p: float = 0.5) -> None:
        super().__init__(p=p)
        turns = [int(t) % 4 for t in turns]
        if not turns:
            raise ValueError("RandomRotate90: turns must not be empty")
        self.turns = turns

    def get_params(self, rng, sample):
        return {"k": int(self.turns[randint(rng, 0, len(self.turns))])}

    def geometry(self, params, height, width):
        k = params["k"] % 4
        oh, ow = (width, height) if k % 2 else (height, width)
        return G.rot90_matrix(k, height, width), oh, ow

    def warp(self, array, params, matrix, height, width, *, is_mask, fill, border=None):
        return G.rot90(array, params["k"])


# ----------------------------------------------------------------------------- rotate, affine, perspective


class Rotate(_Geometric):
    """Rotate by an angle drawn from ``limit`` (degrees, counter-clockwise) about the centre.

    Multiples of 90 degrees that keep the output size (square images, or
    ``expand=True``) use the lossless quarter-turn kernel.

    Args:
        limit: angle range in degrees; a number ``a`` means ``(-a, a)``.
        interpolation: image interpolation (masks always use nearest).
        border_mode: how pixels from outside the input are filled.
        fill: image value for ``border_mode="constant"``.
        fill_mask: semantic-mask value for pixels from outside.
        expand: grow the output to hold the whole rotated image.
        p: probability.
    """

    def __init__(
        self,
        *,
        limit: float | Sequence[float] = 30.0,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: Any = 0,
        fill_mask: Any = 0,
        expand: bool = False,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.limit = to_range(limit, owner="Rotate", name="limit", symmetric=True)
        self._set_warp_options(interpolation, border_mode, fill, fill_mask)
        self.expand = bool(expand)

    def get_params(self, rng, sample):
        return {"angle": uniform(rng, self.limit)}

    def geometry(self, params, height, width):
        angle = params["angle"]
        m = G.rotation(angle, (width / 2.0, height / 2.0))
        if not self.expand:
            return m, height, width
        corners = G.transform_points(np.array([[0, 0], [width, 0], [width, height], [0, height]], float), m)
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        ow, oh = int(math.ceil(hi[0] - lo[0] - 1e-6)), int(math.ceil(hi[1] - lo[1] - 1e-6))
        # Centre the rotated image in the enlarged frame.
        m = G.translation(ow / 2.0 - width / 2.0, oh / 2.0 - height / 2.0) @ m
        return m, oh, ow

    def warp(self, array, params, matrix, height, width, *, is_mask, fill, border=None):
        angle = params["angle"]
        if float(angle).is_integer() and int(angle) % 90 == 0:
            k = (int(angle) // 90) % 4
            rh, rw = (array.shape[1], array.shape[0]) if k % 2 else array.shape[:2]
            if (rh, rw) == (height, width):
                return G.rot90(array, k)
        return super().warp(array, params, matrix, height, width, is_mask=is_mask, fill=fill, border=border)


class Affine(_Geometric):
    """Random affine about the image centre: scale, shear, rotate, translate.

    Args:
        scale: range of the scale factor.
        translate: range of the shift as a fraction of the image size (x by width,
            y by height); a number ``t`` means ``(-t, t)``.
        rotate: angle range in degrees; a number ``a`` means ``(-a, a)``.
        shear: x-shear angle range in degrees; a number means ``(-a, a)``.
        shear_y: y-shear angle range in degrees.
        keep_ratio: use one scale for x and y (else draw them independently).
        interpolation, border_mode, fill, fill_mask: as in :class:`Rotate`.
        p: probability.
    """

    def __init__(
        self,
        *,
        scale: float | Sequence[float] = (1.0, 1.0),
        translate: float | Sequence[float] = (0.0, 0.0),
        rotate: float | Sequence[float] = (0.0, 0.0),
        shear: float | Sequence[float] = (0.0, 0.0),
        shear_y: float | Sequence[float] = (0.0, 0.0),
        keep_ratio: bool = True,
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.scale = to_range(scale, owner="Affine", name="scale", low=1e-6)
        self.translate = to_range(translate, owner="Affine", name="translate", symmetric=True)
        self.rotate = to_range(rotate, owner="Affine", name="rotate", symmetric=True)
        self.shear = to_range(shear, owner="Affine", name="shear", symmetric=True, low=-89, high=89)
        self.shear_y = to_range(shear_y, owner="Affine", name="shear_y", symmetric=True, low=-89, high=89)
        self.keep_ratio = bool(keep_ratio)
        self._set_warp_options(interpolation, border_mode, fill, fill_mask)

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        sx = uniform(rng, self.scale)
        sy = sx if self.keep_ratio else uniform(rng, self.scale)
        return {
            "angle": uniform(rng, self.rotate),
            "tx": uniform(rng, self.translate) * w,
            "ty": uniform(rng, self.translate) * h,
            "scale_x": sx,
            "scale_y": sy,
            "shear_x": uniform(rng, self.shear),
            "shear_y": uniform(rng, self.shear_y),
        }

    def geometry(self, params, height, width):
        m = G.affine_matrix(
            center=(width / 2.0, height / 2.0),
            angle=params["angle"],
            translate=(params["tx"], params["ty"]),
            scale=(params["scale_x"], params["scale_y"]),
            shear_deg=(params["shear_x"], params["shear_y"]),
        )
        return m, height, width


class Perspective(_Geometric):
    """Random perspective: each corner moves inward by a random fraction of the size.

    The quadrilateral of moved corners is mapped onto the full output rectangle by
    one homography, which also maps the boxes' corners and the keypoints.

    Args:
        scale: range of the standard deviation of the corner moves, as a fraction
            of the image size.
        interpolation, border_mode, fill, fill_mask: as in :class:`Rotate`.
        p: probability.
    """

    def __init__(
        self,
        *,
        scale: float | Sequence[float] = (0.05, 0.1),
        interpolation: str = "linear",
        border_mode: str = "constant",
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.scale = to_range(scale, owner="Perspective", name="scale", low=0.0, high=0.5)
        self._set_warp_options(interpolation, border_mode, fill, fill_mask)

    def get_params(self, rng, sample):
        sigma = uniform(rng, self.scale)
        moves = np.clip(np.abs(rng.normal(0.0, sigma, size=(4, 2))), 0.0, 0.45) if sigma > 0 else np.zeros((4, 2))
        return {"offsets": moves.tolist()}

    def geometry(self, params, height, width):
        d = np.asarray(params["offsets"], dtype=np.float64) * np.array([width, height])
        rect = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float64)
        inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=np.float64)
        quad = rect + inward * d
        m = cv2.getPerspectiveTransform(quad.astype(np.float32), rect.astype(np.float32)).astype(np.float64)
        return m / m[2, 2], height, width


# ----------------------------------------------------------------------------- dense distortions


def _invert_map_points(points: np.ndarray, dx: np.ndarray, dy: np.ndarray, iterations: int = 8) -> np.ndarray:
    """Forward-map points through a sampling map ``src = dst + d(dst)`` by fixed-point iteration.

    Solves ``q + d(q) = p`` for q (d sampled bilinearly), which converges for the
    smooth, small displacements of an elastic transform.
    """
    p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if p.size == 0:
        return p.reshape(points.shape)
    h, w = dx.shape
    q = p.copy()
    for _ in range(iterations):
        # pixel-centre coordinates into the (H, W) displacement fields
        cx = np.clip(q[:, 0] - 0.5, 0, w - 1)
        cy = np.clip(q[:, 1] - 0.5, 0, h - 1)
        x0 = np.floor(cx).astype(int)
        y0 = np.floor(cy).astype(int)
        x1 = np.minimum(x0 + 1, w - 1)
        y1 = np.minimum(y0 + 1, h - 1)
        fx, fy = cx - x0, cy - y0

        def bil(f):
            return (
                f[y0, x0] * (1 - fx) * (1 - fy)
                + f[y0, x1] * fx * (1 - fy)
                + f[y1, x0] * (1 - fx) * fy
                + f[y1, x1] * fx * fy
            )

        q = p - np.stack([bil(dx), bil(dy)], axis=1)
    return q.reshape(points.shape)


class _Distortion(Transform):
    """Transforms given by sampling maps (elastic, grid)."""

    def _set_warp_options(self, interpolation, border_mode, fill, fill_mask):
        _Geometric._set_warp_options(self, interpolation, border_mode, fill, fill_mask)

    def maps(self, params, height, width) -> tuple[np.ndarray, np.ndarray, Any, Any]:
        """(map_x, map_y, points_fn, boxes_fn or None)."""
        raise NotImplementedError

    def apply(self, sample, params):
        h, w = sample.image.shape[:2]
        map_x, map_y, points_fn, boxes_fn = self.maps(params, h, w)

        def image_fn(im):
            return G.remap(
                im, map_x, map_y, interpolation=self.interpolation, border_mode=self.border_mode, fill=self.fill
            )

        def mask_fn(a, f, b):
            return G.remap(a, map_x, map_y, interpolation="nearest", border_mode=b or self.border_mode, fill=f)

        return apply_remap(
            sample,
            map_x,
            map_y,
            image_fn=image_fn,
            mask_fn=mask_fn,
            points_fn=points_fn,
            fill_mask=self.fill_mask,
            box_filter=self.box_filter,
            boxes_fn=boxes_fn,
        )


class ElasticTransform(_Distortion):
    """Elastic deformation (Simard et al. 2003): a random displacement field smoothed
    by a Gaussian of ``sigma`` pixels and scaled by ``alpha``.

    The field is drawn from a stored seed, so the parameters stay small and replayable.
    Keypoints move by inverting the field (fixed-point iteration); boxes come from the
    distorted instance masks, or from the distorted box rasters.

    Args:
        alpha: displacement scale in pixels.
        sigma: smoothness of the field in pixels.
        interpolation, border_mode, fill, fill_mask: as in :class:`Rotate`.
        p: probability.
    """

    def __init__(
        self,
        *,
        alpha: float = 50.0,
        sigma: float = 5.0,
        interpolation: str = "linear",
        border_mode: str = "reflect",
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        if alpha < 0 or sigma <= 0:
            raise ValueError(f"ElasticTransform: need alpha >= 0 and sigma > 0, got alpha={alpha}, sigma={sigma}")
        self.alpha, self.sigma = float(alpha), float(sigma)
        self._set_warp_options(interpolation, border_mode, fill, fill_mask)

    def get_params(self, rng, sample):
        return {"seed": randint(rng, 0, 2**31)}

    def maps(self, params, height, width):
        r = np.random.default_rng(params["seed"])
        k = int(2 * round(3 * self.sigma) + 1)
        field = r.uniform(-1.0, 1.0, size=(2, height, width)).astype(np.float32)
        dx = cv2.GaussianBlur(field[0], (k, k), self.sigma) * self.alpha
        dy = cv2.GaussianBlur(field[1], (k, k), self.sigma) * self.alpha
        gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
        map_x, map_y = gx + dx, gy + dy
        return map_x, map_y, lambda pts: _invert_map_points(pts, dx, dy), None


class GridDistortion(_Distortion):
    """Grid distortion: the image is cut into ``num_steps`` bands along each axis and
    every band is stretched by a random factor in ``1 +- distort_limit``.

    The distortion is separable and monotonic, so boxes and keypoints map exactly.

    Args:
        num_steps: bands per axis.
        distort_limit: range of the per-band stretch; a number ``d`` means ``(-d, d)``.
        interpolation, border_mode, fill, fill_mask: as in :class:`Rotate`.
        p: probability.
    """

    def __init__(
        self,
        *,
        num_steps: int = 5,
        distort_limit: float | Sequence[float] = 0.3,
        interpolation: str = "linear",
        border_mode: str = "reflect",
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        if int(num_steps) < 1:
            raise ValueError(f"GridDistortion: num_steps must be >= 1, got {num_steps}")
        self.num_steps = int(num_steps)
        self.distort_limit = to_range(
            distort_limit, owner="GridDistortion", name="distort_limit", symmetric=True, low=-0.95, high=0.95
        )
        self._set_warp_options(interpolation, border_mode, fill, fill_mask)

    def get_params(self, rng, sample):
        lo, hi = self.distort_limit
        n = self.num_steps
        return {
            "steps_x": (1.0 + rng.uniform(lo, hi, n)).tolist(),
            "steps_y": (1.0 + rng.uniform(lo, hi, n)).tolist(),
        }

    @staticmethod
    def _knots(steps: list[float], size: int) -> tuple[np.ndarray, np.ndarray]:
        """Regular output knots and the input positions they sample from."""
        s = np.asarray(steps, dtype=np.float64)
        regular = np.linspace(0.0, size, len(s) + 1)
        distorted = np.concatenate([[0.0], np.cumsum(s)])
        distorted *= size / distorted[-1]
        return regular, distorted

    def maps(self, params, height, width):
        rx, dxk = self._knots(params["steps_x"], width)
        ry, dyk = self._knots(params["steps_y"], height)
        # output pixel centre (j + 0.5) samples input continuous x = f(j + 0.5)
        src_x = np.interp(np.arange(width) + 0.5, rx, dxk) - 0.5
        src_y = np.interp(np.arange(height) + 0.5, ry, dyk) - 0.5
        map_x = np.broadcast_to(src_x.astype(np.float32)[None, :], (height, width)).copy()
        map_y = np.broadcast_to(src_y.astype(np.float32)[:, None], (height, width)).copy()

        def points_fn(pts):
            out = np.array(pts, dtype=np.float64, copy=True)
            out[..., 0] = np.interp(out[..., 0], dxk, rx, left=-1.0, right=width + 1.0)
            out[..., 1] = np.interp(out[..., 1], dyk, ry, left=-1.0, right=height + 1.0)
            return out

        def boxes_fn(b):
            out = np.array(b, dtype=np.float64, copy=True)
            out[:, 0::2] = np.interp(out[:, 0::2], dxk, rx)
            out[:, 1::2] = np.interp(out[:, 1::2], dyk, ry)
            return out

        return map_x, map_y, points_fn, boxes_fn


# ----------------------------------------------------------------------------- resize, crop, pad


def _resized_crop_warp(array: np.ndarray, crop, height: int, width: int, interpolation: str) -> np.ndarray:
    x0, y0, x1, y1 = crop
    h, w = array.shape[:2]
    if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h:
        a = G.crop(array, int(x0), int(y0), int(x1), int(y1))
    else:  # a crop reaching outside the image: the outside is zero
        top, left = max(0, -y0), max(0, -x0)
        padded = G.pad(array, top, max(0, y1 - h), left, max(0, x1 - w), fill=0)
        a = G.crop(padded, x0 + left, y0 + top, x1 + left, y1 + top)
    return G.resize(a, height, width, interpolation=interpolation)


def resized_crop(
    sample: Sample,
    crop: Sequence[int],
    size: Sequence[int],
    *,
    interpolation: str = "linear",
    box_filter: tuple[float, float] = (0.0, 0.0),
) -> Sample:
    """Crop the pixel box ``crop`` (x0, y0, x1, y1) and resize it to ``size`` (h, w), all targets.

    The crop + resize kernel of :class:`RandomResizedCrop`, usable by other
    transforms (mosaic tiles, mixing partners).
    """
    x0, y0, x1, y1 = (int(v) for v in crop)
    oh, ow = int(size[0]), int(size[1])
    if image_only(sample):
        return evolve(sample, image=_resized_crop_warp(sample.image, (x0, y0, x1, y1), oh, ow, interpolation))
    m = G.scaling(ow / (x1 - x0), oh / (y1 - y0)) @ G.translation(-x0, -y0)
    box = (x0, y0, x1, y1)
    return apply_geometry(
        sample,
        m,
        oh,
        ow,
        image_fn=lambda im: _resized_crop_warp(im, box, oh, ow, interpolation),
        mask_fn=lambda a, f, b: _resized_crop_warp(a, box, oh, ow, "nearest"),
        box_filter=box_filter,
    )


class _ResizeLike(_Geometric):
    """Params ``{"size": [h, w], "crop": [x0, y0, x1, y1] (optional)}``: slice, then ``cv2.resize``."""

    def apply(self, sample, params):
        h, w = sample.image.shape[:2]
        crop = params.get("crop", (0, 0, w, h))
        return resized_crop(sample, crop, params["size"], interpolation=self.interpolation, box_filter=self.box_filter)


class Resize(_ResizeLike):
    """Resize to a fixed ``size``.

    Args:
        size: (height, width), or an int for a square.
        interpolation: nearest, linear, cubic, area or lanczos (masks: nearest).
        p: probability.
    """

    def __init__(self, size: int | Sequence[int], *, interpolation: str = "linear", p: float = 1.0) -> None:
        super().__init__(p=p)
        self.size = list(size_pair(size, owner="Resize"))
        self.interpolation = check_choice(interpolation, _INTERP, owner="Resize", name="interpolation")

    def get_params(self, rng, sample):
        return {"size": list(self.size)}


class SmallestMaxSize(_ResizeLike):
    """Resize so the shorter side is ``max_size``, keeping the aspect ratio.

    Args:
        max_size: target length of the shorter side.
        interpolation: as in :class:`Resize`.
        p: probability.
    """

    def __init__(self, max_size: int, *, interpolation: str = "linear", p: float = 1.0) -> None:
        super().__init__(p=p)
        if int(max_size) <= 0:
            raise ValueError(f"SmallestMaxSize: max_size must be positive, got {max_size}")
        self.max_size = int(max_size)
        self.interpolation = check_choice(interpolation, _INTERP, owner="SmallestMaxSize", name="interpolation")

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        s = self.max_size / min(h, w)
        return {"size": [max(1, int(round(h * s))), max(1, int(round(w * s)))]}


class LongestMaxSize(_ResizeLike):
    """Resize so the longer side is ``max_size``, keeping the aspect ratio.

    Args:
        max_size: target length of the longer side.
        interpolation: as in :class:`Resize`.
        p: probability.
    """

    def __init__(self, max_size: int, *, interpolation: str = "linear", p: float = 1.0) -> None:
        super().__init__(p=p)
        if int(max_size) <= 0:
            raise ValueError(f"LongestMaxSize: max_size must be positive, got {max_size}")
        self.max_size = int(max_size)
        self.interpolation = check_choice(interpolation, _INTERP, owner="LongestMaxSize", name="interpolation")

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        s = self.max_size / max(h, w)
        return {"size": [max(1, int(round(h * s))), max(1, int(round(w * s)))]}


class RandomResizedCrop(_ResizeLike):
    """Crop a random area and aspect ratio, then resize to ``size`` (Inception-style).

    Sampling follows torchvision: up to ten tries of an area fraction from
    ``scale`` and a log-uniform aspect ratio from ``ratio``; else a centre crop
    clamped to ``ratio``.

    Args:
        size: output (height, width), or an int.
        scale: range of the crop's area as a fraction of the image.
        ratio: range of the crop's width / height.
        interpolation: as in :class:`Resize`.
        p: probability.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        *,
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3 / 4, 4 / 3),
        interpolation: str = "linear",
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.size = list(size_pair(size, owner="RandomResizedCrop"))
        self.scale = to_range(scale, owner="RandomResizedCrop", name="scale", low=0.0, high=1.0)
        self.ratio = to_range(ratio, owner="RandomResizedCrop", name="ratio", low=1e-6)
        self.interpolation = check_choice(interpolation, _INTERP, owner="RandomResizedCrop", name="interpolation")

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        area = h * w
        log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * uniform(rng, self.scale)
            ar = math.exp(uniform(rng, log_r))
            cw = int(round(math.sqrt(target * ar)))
            ch = int(round(math.sqrt(target / ar)))
            if 0 < cw <= w and 0 < ch <= h:
                y0 = randint(rng, 0, h - ch + 1)
                x0 = randint(rng, 0, w - cw + 1)
                return {"crop": [x0, y0, x0 + cw, y0 + ch], "size": list(self.size)}
        in_ratio = w / h
        if in_ratio < self.ratio[0]:
            cw, ch = w, int(round(w / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            ch, cw = h, int(round(h * self.ratio[1]))
        else:
            cw, ch = w, h
        ch, cw = max(1, min(ch, h)), max(1, min(cw, w))
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        return {"crop": [x0, y0, x0 + cw, y0 + ch], "size": list(self.size)}


class _CropLike(_Geometric):
    """Geometry = translation by the crop offset (padding first when needed)."""

    matrix_free_warp = True

    pad_if_needed: bool = False

    def _crop_params(self, h: int, w: int, ch: int, cw: int, x0: int, y0: int) -> dict[str, Any]:
        return {"crop": [x0, y0, x0 + cw, y0 + ch]}

    def geometry(self, params, height, width):
        x0, y0, x1, y1 = params["crop"]
        return G.translation(-x0, -y0), int(y1 - y0), int(x1 - x0)

    def warp(self, array, params, matrix, height, width, *, is_mask, fill, border=None):
        x0, y0, x1, y1 = params["crop"]
        h, w = array.shape[:2]
        if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h:
            return G.crop(array, x0, y0, x1, y1)
        # The crop reaches outside: pad with the fill, then cut.
        top, left = max(0, -y0), max(0, -x0)
        bottom, right = max(0, y1 - h), max(0, x1 - w)
        padded = G.pad(array, top, bottom, left, right, border_mode="constant", fill=fill)
        return G.crop(padded, x0 + left, y0 + top, x1 + left, y1 + top)

    def _check_size(self, h: int, w: int, ch: int, cw: int) -> None:
        if (ch > h or cw > w) and not self.pad_if_needed:
            raise ValueError(
                f"{type(self).__name__}: crop size {ch}x{cw} is larger than the image {h}x{w}; "
                "pass pad_if_needed=True to pad it"
            )


class CenterCrop(_CropLike):
    """Crop the centre ``size`` (height, width).

    Args:
        size: (height, width), or an int.
        pad_if_needed: pad (with ``fill``) when the image is smaller than ``size``.
        fill, fill_mask: values for padded pixels.
        p: probability.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        *,
        pad_if_needed: bool = False,
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.size = list(size_pair(size, owner="CenterCrop"))
        self.pad_if_needed = bool(pad_if_needed)
        self._set_warp_options("linear", "constant", fill, fill_mask)

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        ch, cw = self.size
        self._check_size(h, w, ch, cw)
        x0, y0 = (w - cw) // 2, (h - ch) // 2
        return {"crop": [x0, y0, x0 + cw, y0 + ch]}


class RandomCrop(_CropLike):
    """Crop ``size`` at a random position.

    Args:
        size: (height, width), or an int.
        pad_if_needed: pad (with ``fill``) when the image is smaller than ``size``.
        fill, fill_mask: values for padded pixels.
        p: probability.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        *,
        pad_if_needed: bool = False,
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.size = list(size_pair(size, owner="RandomCrop"))
        self.pad_if_needed = bool(pad_if_needed)
        self._set_warp_options("linear", "constant", fill, fill_mask)

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        ch, cw = self.size
        self._check_size(h, w, ch, cw)
        x0 = randint(rng, 0, w - cw + 1) if w > cw else (w - cw) // 2
        y0 = randint(rng, 0, h - ch + 1) if h > ch else (h - ch) // 2
        return {"crop": [x0, y0, x0 + cw, y0 + ch]}


class Crop(_CropLike):
    """Crop a fixed pixel box ``(x_min, y_min, x_max, y_max)``.

    Args:
        box: the crop in xyxy pixels; parts outside the image are padded with ``fill``.
        fill, fill_mask: values for padded pixels.
        p: probability.
    """

    pad_if_needed = True

    def __init__(self, box: Sequence[int], *, fill: Any = 0, fill_mask: Any = 0, p: float = 1.0) -> None:
        super().__init__(p=p)
        try:
            x0, y0, x1, y1 = (int(v) for v in box)
        except (TypeError, ValueError):
            raise ValueError(f"Crop: box must be (x_min, y_min, x_max, y_max), got {box!r}") from None
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"Crop: box must have x_max > x_min and y_max > y_min, got {box!r}")
        self.box = [x0, y0, x1, y1]
        self._set_warp_options("linear", "constant", fill, fill_mask)

    def get_params(self, rng, sample):
        return {"crop": list(self.box)}


class _PadBase(_Geometric):
    """Geometry = translation by the left/top padding; warp = ``cv2.copyMakeBorder``."""

    matrix_free_warp = True

    def geometry(self, params, height, width):
        top, bottom, left, right = params["pad"]
        return G.translation(left, top), height + top + bottom, width + left + right

    def warp(self, array, params, matrix, height, width, *, is_mask, fill, border=None):
        top, bottom, left, right = params["pad"]
        return G.pad(array, top, bottom, left, right, border_mode=border or self.border_mode, fill=fill)


class Pad(_PadBase):
    """Pad by fixed amounts.

    With ``reflect``/``replicate`` the semantic mask is padded the same way (its
    labels follow the mirrored pixels); instance masks are padded with zeros, so
    mirrored objects never become instances.

    Args:
        padding: an int for all sides, (horizontal, vertical), or (left, top, right, bottom).
        border_mode: constant, reflect, replicate (also symmetric, wrap).
        fill: image value for ``constant``.
        fill_mask: semantic-mask value for ``constant``.
        p: probability.
    """

    def __init__(
        self,
        padding: int | Sequence[int],
        *,
        border_mode: str = "constant",
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        if isinstance(padding, (int, np.integer)):
            pads = [int(padding)] * 4
        else:
            pads = [int(v) for v in padding]
            if len(pads) == 2:
                pads = [pads[0], pads[1], pads[0], pads[1]]
        if len(pads) != 4 or min(pads) < 0:
            raise ValueError(f"Pad: padding must be >= 0 and given as 1, 2 or 4 ints, got {padding!r}")
        self.padding = pads
        self._set_warp_options("linear", border_mode, fill, fill_mask)

    def get_params(self, rng, sample):
        left, top, right, bottom = self.padding
        return {"pad": [top, bottom, left, right]}


class PadIfNeeded(_PadBase):
    """Pad to at least ``min_size`` (height, width), centred.

    Args:
        min_size: (min_height, min_width), or an int.
        border_mode, fill, fill_mask: as in :class:`Pad`.
        p: probability.
    """

    def __init__(
        self,
        min_size: int | Sequence[int],
        *,
        border_mode: str = "constant",
        fill: Any = 0,
        fill_mask: Any = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.min_size = list(size_pair(min_size, owner="PadIfNeeded", name="min_size"))
        self._set_warp_options("linear", border_mode, fill, fill_mask)

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        ph, pw = max(0, self.min_size[0] - h), max(0, self.min_size[1] - w)
        return {"pad": [ph // 2, ph - ph // 2, pw // 2, pw - pw // 2]}


class Letterbox(_Geometric):
    """Resize to fit ``size`` keeping the aspect ratio, then pad the rest (YOLO-style).

    Args:
        size: output (height, width), or an int.
        fill: image value of the padding (114 grey, as in YOLO).
        fill_mask: semantic-mask value of the padding.
        interpolation: as in :class:`Resize`.
        scale_up: allow enlarging small images (else they are only padded).
        p: probability.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        *,
        fill: Any = 114,
        fill_mask: Any = 0,
        interpolation: str = "linear",
        scale_up: bool = True,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.size = list(size_pair(size, owner="Letterbox"))
        self.scale_up = bool(scale_up)
        self._set_warp_options(interpolation, "constant", fill, fill_mask)

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        th, tw = self.size
        s = min(th / h, tw / w)
        if not self.scale_up:
            s = min(s, 1.0)
        rh, rw = max(1, min(th, int(round(h * s)))), max(1, min(tw, int(round(w * s))))
        top, left = (th - rh) // 2, (tw - rw) // 2
        return {"resized": [rh, rw], "pad": [top, th - rh - top, left, tw - rw - left]}

    def geometry(self, params, height, width):
        rh, rw = params["resized"]
        top, bottom, left, right = params["pad"]
        m = G.translation(left, top) @ G.scaling(rw / width, rh / height)
        return m, rh + top + bottom, rw + left + right

    def warp(self, array, params, matrix, height, width, *, is_mask, fill, border=None):
        rh, rw = params["resized"]
        top, bottom, left, right = params["pad"]
        a = G.resize(array, rh, rw, interpolation="nearest" if is_mask else self.interpolation)
        return G.pad(a, top, bottom, left, right, border_mode="constant", fill=fill)
