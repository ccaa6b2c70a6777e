"""Object-level and mixing transforms: CoarseDropout, RandomErasing, MixUp, CutMix,
Mosaic, CopyPaste.

The mixing transforms need other samples. They take them from, in order:

1. ``sample.meta["mix_samples"]`` (or the keyword form's ``mix_samples=``): a list
   of partner samples given with the call;
2. ``source=``: any indexable dataset (``len`` and ``[i]``) whose items are
   Samples, dicts of targets, or ``(image, target)`` pairs.

The parameters record which partners were used (their indices), so a call
replays exactly as long as the same partners are available.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from ..structures import Boxes, BoxFormat, Keypoints, Sample
from . import _functional_geometric as G
from ._base import Transform, randint, size_pair, to_range, uniform
from ._geometric import resized_crop
from ._io import evolve, working_sample
from ._targets import apply_geometry, drop_instances, points_inside

__all__ = [
    "erase",
    "CoarseDropout",
    "RandomErasing",
    "MixUp",
    "CutMix",
    "Mosaic",
    "CopyPaste",
    "soft_label",
]


# ----------------------------------------------------------------------------- kernels


def erase(image: np.ndarray, holes: Sequence[Sequence[int]], fill: Any, rng_seed: int | None = None) -> np.ndarray:
    """A copy of ``image`` with the xyxy pixel rectangles ``holes`` filled.

    Args:
        image: (H, W, C) array.
        holes: integer (x0, y0, x1, y1) rectangles.
        fill: a number, one value per channel, or "random" (uniform noise from ``rng_seed``).
    """
    out = image.copy()
    r = np.random.default_rng(rng_seed) if isinstance(fill, str) else None
    for x0, y0, x1, y1 in holes:
        if fill == "random":
            shape = (y1 - y0, x1 - x0, image.shape[2])
            if image.dtype == np.uint8:
                out[y0:y1, x0:x1] = r.integers(0, 256, size=shape, dtype=np.uint8)
            else:
                out[y0:y1, x0:x1] = r.standard_normal(shape).astype(image.dtype)
        else:
            out[y0:y1, x0:x1] = fill
    return out


def soft_label(label: Any, num_classes: int | None, owner: str) -> np.ndarray:
    """A (num_classes,) float32 target from a class index or an existing soft vector."""
    if isinstance(label, np.ndarray) and label.ndim == 1:
        if num_classes is not None and label.shape[0] != num_classes:
            raise ValueError(f"{owner}: soft label has {label.shape[0]} classes, expected num_classes={num_classes}")
        return label.astype(np.float32)
    if label is None:
        raise ValueError(f"{owner}: every sample needs a label to mix labels")
    if num_classes is None:
        raise ValueError(f"{owner}: num_classes is needed to turn class index {label!r} into soft targets")
    idx = int(label)
    if not 0 <= idx < num_classes:
        raise ValueError(f"{owner}: label {idx} is outside [0, {num_classes})")
    out = np.zeros(num_classes, dtype=np.float32)
    out[idx] = 1.0
    return out


def _instance_fields(s: Sample) -> dict[str, bool]:
    return {
        "boxes": s.boxes is not None,
        "labels": s.labels is not None,
        "ids": s.ids is not None,
        "masks": s.masks is not None,
        "keypoints": s.keypoints is not None,
        "texts": s.texts is not None,
        "polygons": s.polygons is not None,
        "text_instances": s.text_instances is not None,
    }


def concat_instances(a: Sample, b: Sample, owner: str) -> Sample:
    """``a`` with the instances of ``b`` appended (boxes, labels, ids, masks, keypoints, texts,
    polygons, text instances).

    Both samples must carry the same instance fields and the same image size.
    """
    fa, fb = _instance_fields(a), _instance_fields(b)
    if fa != fb:
        diff = sorted(k for k in fa if fa[k] != fb[k])
        raise ValueError(f"{owner}: the samples to mix carry different targets ({diff}); expected the same fields")
    if not any(fa[k] for k in ("boxes", "masks", "keypoints", "polygons", "text_instances")):
        return a
    changes: dict = {}
    if fa["boxes"]:
        changes["boxes"] = Boxes(np.concatenate([a.boxes.data, b.boxes.data]), BoxFormat.XYXY, False)
    if fa["labels"]:
        changes["labels"] = np.concatenate([a.labels, b.labels.astype(a.labels.dtype, copy=False)])
    if fa["ids"]:
        changes["ids"] = np.concatenate([a.ids, b.ids.astype(a.ids.dtype, copy=False)])
    if fa["masks"]:
        changes["masks"] = np.concatenate([a.masks, b.masks.astype(a.masks.dtype, copy=False)])
    if fa["texts"]:
        changes["texts"] = list(a.texts) + list(b.texts)
    if fa["polygons"]:
        changes["polygons"] = list(a.polygons) + list(b.polygons)
    if fa["text_instances"]:
        changes["text_instances"] = list(a.text_instances) + list(b.text_instances)
    if fa["keypoints"]:
        ka, kb = a.keypoints, b.keypoints
        if ka.data.shape[1] != kb.data.shape[1]:
            raise ValueError(
                f"{owner}: keypoints have {ka.data.shape[1]} and {kb.data.shape[1]} points per instance; expected the same"
            )
        changes["keypoints"] = Keypoints(
            np.concatenate([ka.data, kb.data]), np.concatenate([ka.visible, kb.visible]), ka.names
        )
    return evolve(a, **changes)


def _region_visibility(boxes: np.ndarray, region: Sequence[int]) -> np.ndarray:
    """(N,) fraction of each xyxy box outside the pixel rectangle ``region``."""
    x0, y0, x1, y1 = region
    iw = np.clip(np.minimum(boxes[:, 2], x1) - np.maximum(boxes[:, 0], x0), 0, None)
    ih = np.clip(np.minimum(boxes[:, 3], y1) - np.maximum(boxes[:, 1], y0), 0, None)
    area = G.box_areas(boxes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(area > 0, 1.0 - iw * ih / np.where(area > 0, area, 1.0), 1.0)


def _hide_keypoints(s: Sample, occluder: np.ndarray) -> Sample:
    """Mark keypoints lying on ``occluder`` (H, W bool) pixels invisible."""
    if s.keypoints is None:
        return s
    k = s.keypoints
    h, w = occluder.shape
    xi = np.clip(np.floor(k.data[..., 0]).astype(int), 0, w - 1)
    yi = np.clip(np.floor(k.data[..., 1]).astype(int), 0, h - 1)
    hidden = occluder[yi, xi] & points_inside(k.data, h, w)
    return evolve(s, keypoints=Keypoints(k.data, k.visible & ~hidden, k.names))


def _occlude(s: Sample, occluder: np.ndarray, box_filter: tuple[float, float], region=None) -> Sample:
    """Hide the pixels where ``occluder`` (H, W bool) is set from the sample's instances.

    Instance masks lose those pixels (boxes then come from the masks); boxes
    without masks keep their extent and are judged by the covered fraction of
    the rectangle ``region`` (when given); keypoints under the occluder become
    invisible. Instances that become empty or too hidden are dropped. Polygons and
    text instances keep their whole outline (an occluded outline would need polygon
    boolean operations; the instance masks are the exact record of what is hidden)
    and are dropped with their instance.
    """
    min_area, min_visibility = box_filter
    s = _hide_keypoints(s, occluder)
    keep = None
    if s.masks is not None:
        before = np.count_nonzero(s.masks, axis=(1, 2))
        masks = s.masks * (~occluder)[None].astype(s.masks.dtype)
        after = np.count_nonzero(masks, axis=(1, 2))
        s = evolve(s, masks=masks)
        with np.errstate(divide="ignore", invalid="ignore"):
            vis = np.where(before > 0, after / np.where(before > 0, before, 1), 0.0)
        if s.boxes is not None:
            nb = G.masks_to_boxes(masks)
            s = evolve(s, boxes=Boxes(nb, BoxFormat.XYXY, False))
            keep = (after > 0) & (vis >= min_visibility) & (G.box_areas(nb) >= min_area)
    elif s.boxes is not None and region is not None:
        vis = _region_visibility(s.boxes.data, region)
        keep = (vis > 0) & (vis >= min_visibility)
    return drop_instances(s, keep) if keep is not None else s


# ----------------------------------------------------------------------------- dropout


class CoarseDropout(Transform):
    """Cut rectangular holes out of the image (cutout / coarse dropout).

    Keypoints inside a hole become invisible. With ``fill_mask`` set, the holes
    are also cut out of the semantic mask (set to ``fill_mask``) and the instance
    masks (set to 0; their boxes then follow the masks and fully hidden
    instances are dropped); otherwise masks and boxes are left as they are.

    Args:
        num_holes: range of the number of holes.
        hole_height, hole_width: ranges of the hole size as fractions of the image size.
        fill: a number, one value per channel, or "random".
        fill_mask: semantic-mask value inside holes, or None to leave masks alone.
        p: probability.
    """

    def __init__(
        self,
        *,
        num_holes: int | Sequence[int] = (1, 8),
        hole_height: float | Sequence[float] = (0.05, 0.2),
        hole_width: float | Sequence[float] = (0.05, 0.2),
        fill: Any = 0,
        fill_mask: Any = None,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        lo, hi = (int(num_holes), int(num_holes)) if np.isscalar(num_holes) else (int(num_holes[0]), int(num_holes[1]))
        if not 1 <= lo <= hi:
            raise ValueError(f"CoarseDropout: num_holes must satisfy 1 <= low <= high, got {num_holes!r}")
        self.num_holes = [lo, hi]
        self.hole_height = to_range(hole_height, owner="CoarseDropout", name="hole_height", low=0.0, high=1.0)
        self.hole_width = to_range(hole_width, owner="CoarseDropout", name="hole_width", low=0.0, high=1.0)
        if not (fill == "random" or np.isscalar(fill) or isinstance(fill, (list, tuple))):
            raise ValueError(f"CoarseDropout: fill must be a number, per-channel values or 'random', got {fill!r}")
        self.fill = list(fill) if isinstance(fill, (list, tuple)) else fill
        self.fill_mask = fill_mask

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        n = randint(rng, self.num_holes[0], self.num_holes[1] + 1)
        holes = []
        for _ in range(n):
            hh = max(1, int(round(uniform(rng, self.hole_height) * h)))
            hw = max(1, int(round(uniform(rng, self.hole_width) * w)))
            y0 = randint(rng, 0, max(1, h - hh + 1))
            x0 = randint(rng, 0, max(1, w - hw + 1))
            holes.append([x0, y0, min(w, x0 + hw), min(h, y0 + hh)])
        return {"holes": holes, "seed": randint(rng, 0, 2**31)}

    def apply(self, sample, params):
        holes = params["holes"]
        fill = self.fill if not isinstance(self.fill, list) else np.asarray(self.fill, dtype=sample.image.dtype)
        s = evolve(sample, image=erase(sample.image, holes, fill, params.get("seed")))
        h, w = s.image.shape[:2]
        occluder = np.zeros((h, w), dtype=bool)
        for x0, y0, x1, y1 in holes:
            occluder[y0:y1, x0:x1] = True
        if self.fill_mask is None:
            return _hide_keypoints(s, occluder)
        if s.mask is not None:
            m = s.mask.copy()
            m[occluder] = self.fill_mask
            s = evolve(s, mask=m)
        return _occlude(s, occluder, self.box_filter)


class RandomErasing(Transform):
    """Erase one random rectangle (Zhong et al. 2017; torchvision's sampling).

    Up to ten tries of an area fraction from ``scale`` and a log-uniform aspect
    ratio from ``ratio``; no erasing if none fits. Targets follow the same rules
    as :class:`CoarseDropout`.

    Args:
        scale: range of the erased area as a fraction of the image.
        ratio: range of the rectangle's height / width.
        fill: a number, one value per channel, or "random".
        fill_mask: semantic-mask value inside the rectangle, or None to leave masks alone.
        p: probability.
    """

    def __init__(
        self,
        *,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        fill: Any = 0,
        fill_mask: Any = None,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.scale = to_range(scale, owner="RandomErasing", name="scale", low=0.0, high=1.0)
        self.ratio = to_range(ratio, owner="RandomErasing", name="ratio", low=1e-6)
        self.fill = list(fill) if isinstance(fill, (list, tuple)) else fill
        self.fill_mask = fill_mask

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        log_r = (np.log(self.ratio[0]), np.log(self.ratio[1]))
        for _ in range(10):
            area = h * w * uniform(rng, self.scale)
            ar = float(np.exp(uniform(rng, log_r)))
            eh, ew = int(round(np.sqrt(area * ar))), int(round(np.sqrt(area / ar)))
            if 0 < eh < h and 0 < ew < w:
                y0 = randint(rng, 0, h - eh + 1)
                x0 = randint(rng, 0, w - ew + 1)
                return {"holes": [[x0, y0, x0 + ew, y0 + eh]], "seed": randint(rng, 0, 2**31)}
        return {"holes": [], "seed": 0}

    apply = CoarseDropout.apply


# ----------------------------------------------------------------------------- mixing


class _Mixing(Transform):
    """Partner handling shared by the mixing transforms."""

    not_serialized = ("source",)
    num_partners = 1

    def __init__(self, *, p: float, source: Any = None) -> None:
        super().__init__(p=p)
        if source is not None and not (hasattr(source, "__len__") and hasattr(source, "__getitem__")):
            raise ValueError(f"{type(self).__name__}: source must support len() and [i], got {type(source).__name__}")
        self.source = source

    def set_source(self, source: Any) -> None:
        """Draw partners from this dataset from now on."""
        self.source = source

    def _pool(self, sample: Sample) -> tuple[str, Any]:
        given = sample.meta.get("mix_samples")
        if given:
            return "meta", given
        if self.source is not None and len(self.source) > 0:
            return "source", self.source
        raise ValueError(
            f"{type(self).__name__}: no partner samples; pass source=<dataset> or give "
            "mix_samples=[...] (meta['mix_samples'] on a Sample) with the call"
        )

    def _draw_partners(self, rng, sample) -> dict[str, Any]:
        where, pool = self._pool(sample)
        idx = [randint(rng, 0, len(pool)) for _ in range(self.num_partners)]
        return {"from": where, "partners": idx}

    def _partners(self, sample: Sample, params: dict[str, Any]) -> list[Sample]:
        where, pool = self._pool(sample)
        if where != params["from"]:
            raise ValueError(
                f"{type(self).__name__}: the parameters drew partners from {params['from']!r} "
                f"but this sample provides them through {where!r}"
            )
        out = []
        for i in params["partners"]:
            p = working_sample(pool[i])
            p.meta.pop("mix_samples", None)
            if p.image.shape[2] != sample.image.shape[2] or p.image.dtype != sample.image.dtype:
                raise ValueError(
                    f"{type(self).__name__}: partner {i} has a {p.image.shape[2]}-channel {p.image.dtype} image, "
                    f"expected {sample.image.shape[2]} channels of {sample.image.dtype} like the sample"
                )
            out.append(p)
        return out

    @staticmethod
    def _fit(partner: Sample, height: int, width: int) -> Sample:
        """Resize a partner (with its targets) to the sample's size."""
        h, w = partner.image.shape[:2]
        if (h, w) == (height, width):
            return partner
        return resized_crop(partner, (0, 0, w, h), (height, width))


def _with_meta(out: Sample, sample: Sample) -> Sample:
    return evolve(out, meta=sample.meta)


class MixUp(_Mixing):
    """Blend the image with a partner's (Zhang et al. 2018): ``lam * x + (1 - lam) * x'``.

    Labels become soft targets ``lam * y + (1 - lam) * y'`` ((num_classes,)
    float32). Instances (boxes, masks, keypoints) of both images are kept; the
    semantic mask of the image with the larger weight is kept (masks are never
    blended). ``lam`` is drawn from Beta(alpha, alpha).

    Args:
        alpha: Beta distribution parameter.
        num_classes: needed to turn class indices into soft targets.
        source: dataset to draw partners from (see the module notes).
        p: probability.
    """

    def __init__(
        self, *, alpha: float = 0.4, num_classes: int | None = None, source: Any = None, p: float = 0.5
    ) -> None:
        super().__init__(p=p, source=source)
        if alpha <= 0:
            raise ValueError(f"MixUp: alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)
        self.num_classes = None if num_classes is None else int(num_classes)

    def get_params(self, rng, sample):
        params = self._draw_partners(rng, sample)
        params["lam"] = float(rng.beta(self.alpha, self.alpha))
        return params

    def apply(self, sample, params):
        lam = params["lam"]
        h, w = sample.image.shape[:2]
        other = self._fit(self._partners(sample, params)[0], h, w)
        a, b = sample.image, other.image
        if a.dtype == np.uint8:
            image = cv2.addWeighted(a, lam, b, 1.0 - lam, 0.0)
            image = image[:, :, None] if image.ndim == 2 else image
        else:
            image = (a * lam + b * (1.0 - lam)).astype(a.dtype)
        out = evolve(sample, image=image)
        if sample.label is not None or other.label is not None:
            out = evolve(
                out,
                label=lam * soft_label(sample.label, self.num_classes, "MixUp")
                + (1.0 - lam) * soft_label(other.label, self.num_classes, "MixUp"),
            )
        if sample.mask is not None and lam < 0.5:
            out = evolve(out, mask=other.mask)
        return _with_meta(concat_instances(out, other, "MixUp"), sample)


class CutMix(_Mixing):
    """Paste a random rectangle of a partner image (Yun et al. 2019).

    The rectangle's area is ``1 - lam`` of the image with ``lam`` from
    Beta(alpha, alpha) (then corrected to the clipped rectangle); labels become
    ``lam * y + (1 - lam) * y'``. The sample's instances under the rectangle are
    occluded (masks lose those pixels, keypoints there become invisible, fully
    hidden instances are dropped) and the partner's instances inside it are added,
    cut to the rectangle; the semantic mask takes the partner's values inside it.

    Args:
        alpha: Beta distribution parameter.
        num_classes: needed to turn class indices into soft targets.
        source: dataset to draw partners from.
        p: probability.
    """

    def __init__(
        self, *, alpha: float = 1.0, num_classes: int | None = None, source: Any = None, p: float = 0.5
    ) -> None:
        super().__init__(p=p, source=source)
        if alpha <= 0:
            raise ValueError(f"CutMix: alpha must be > 0, got {alpha}")
        self.alpha = float(alpha)
        self.num_classes = None if num_classes is None else int(num_classes)

    def get_params(self, rng, sample):
        params = self._draw_partners(rng, sample)
        h, w = sample.image.shape[:2]
        lam = float(rng.beta(self.alpha, self.alpha))
        cut = np.sqrt(1.0 - lam)
        ch, cw = int(round(h * cut)), int(round(w * cut))
        cy, cx = randint(rng, 0, h), randint(rng, 0, w)
        y0, y1 = int(np.clip(cy - ch // 2, 0, h)), int(np.clip(cy + ch - ch // 2, 0, h))
        x0, x1 = int(np.clip(cx - cw // 2, 0, w)), int(np.clip(cx + cw - cw // 2, 0, w))
        params["box"] = [x0, y0, x1, y1]
        return params

    def apply(self, sample, params):
        h, w = sample.image.shape[:2]
        x0, y0, x1, y1 = params["box"]
        lam = 1.0 - (x1 - x0) * (y1 - y0) / float(h * w)
        other = self._fit(self._partners(sample, params)[0], h, w)
        image = sample.image.copy()
        image[y0:y1, x0:x1] = other.image[y0:y1, x0:x1]
        out = evolve(sample, image=image)
        if sample.label is not None or other.label is not None:
            out = evolve(
                out,
                label=lam * soft_label(sample.label, self.num_classes, "CutMix")
                + (1.0 - lam) * soft_label(other.label, self.num_classes, "CutMix"),
            )
        if sample.mask is not None:
            m = sample.mask.copy()
            m[y0:y1, x0:x1] = other.mask[y0:y1, x0:x1]
            out = evolve(out, mask=m)
        if (x1 - x0) * (y1 - y0) == 0:
            return out
        region = np.zeros((h, w), dtype=bool)
        region[y0:y1, x0:x1] = True
        out = _occlude(out, region, self.box_filter, (x0, y0, x1, y1))
        # The partner's instances, cut to the rectangle.
        inside = _occlude(evolve(other, mask=None), ~region, self.box_filter, None)
        if inside.boxes is not None and inside.masks is None:
            tb = inside.boxes.data
            cb = tb.copy()
            cb[:, 0::2] = np.clip(cb[:, 0::2], x0, x1)
            cb[:, 1::2] = np.clip(cb[:, 1::2], y0, y1)
            area_t, area_c = G.box_areas(tb), G.box_areas(cb)
            with np.errstate(divide="ignore", invalid="ignore"):
                vis = np.where(area_t > 0, area_c / np.where(area_t > 0, area_t, 1.0), 0.0)
            inside = evolve(inside, boxes=Boxes(cb, BoxFormat.XYXY, False))
            keep = (area_c > 0) & (vis >= self.box_filter[1]) & (area_c >= self.box_filter[0])
            inside = drop_instances(inside, keep)
        if inside.keypoints is not None:
            k = inside.keypoints
            in_region = (k.data[..., 0] >= x0) & (k.data[..., 0] < x1) & (k.data[..., 1] >= y0) & (k.data[..., 1] < y1)
            inside = evolve(inside, keypoints=Keypoints(k.data, k.visible & in_region, k.names))
        return _with_meta(concat_instances(out, inside, "CutMix"), sample)


class Mosaic(_Mixing):
    """Four images in the four quadrants around a random centre (YOLOv4-style).

    Each tile is the part of its image nearest the centre, scaled to cover the
    tile; boxes, masks and keypoints follow through the same crop-and-resize
    geometry and are cut at the tile borders. With ``num_classes`` and class
    labels, the label becomes a soft target weighted by tile area.

    Args:
        size: output (height, width), or an int.
        center_range: range of the centre as a fraction of the output size.
        fill_mask: semantic-mask value where a tile has no mask.
        interpolation: as in :class:`Resize`.
        num_classes: to mix class labels by area (else the sample's label is kept).
        source: dataset to draw the three partners from.
        p: probability.
    """

    num_partners = 3

    def __init__(
        self,
        size: int | Sequence[int],
        *,
        center_range: Sequence[float] = (0.25, 0.75),
        fill_mask: Any = 0,
        interpolation: str = "linear",
        num_classes: int | None = None,
        source: Any = None,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p, source=source)
        self.size = list(size_pair(size, owner="Mosaic"))
        self.center_range = to_range(center_range, owner="Mosaic", name="center_range", low=0.05, high=0.95)
        self.fill_mask = fill_mask
        if interpolation not in G.INTERPOLATIONS:
            raise ValueError(f"Mosaic: interpolation must be one of {sorted(G.INTERPOLATIONS)}, got {interpolation!r}")
        self.interpolation = interpolation
        self.num_classes = None if num_classes is None else int(num_classes)

    def get_params(self, rng, sample):
        params = self._draw_partners(rng, sample)
        H, W = self.size
        params["center"] = [
            int(round(uniform(rng, self.center_range) * W)),
            int(round(uniform(rng, self.center_range) * H)),
        ]
        return params

    def apply(self, sample, params):
        H, W = self.size
        xc, yc = params["center"]
        samples = [sample] + self._partners(sample, params)
        tiles = [(0, 0, xc, yc), (xc, 0, W, yc), (0, yc, xc, H), (xc, yc, W, H)]
        image = np.zeros((H, W, sample.image.shape[2]), dtype=sample.image.dtype)
        has_mask = [s.mask is not None for s in samples]
        if any(has_mask) and not all(has_mask):
            raise ValueError("Mosaic: some samples have a semantic mask and some not; expected all or none")
        mask = np.full((H, W), self.fill_mask, dtype=sample.mask.dtype) if has_mask[0] else None
        out: Sample | None = None
        label = np.zeros(self.num_classes, dtype=np.float32) if self.num_classes else None
        for q, (s, (tx0, ty0, tx1, ty1)) in enumerate(zip(samples, tiles)):
            th, tw = ty1 - ty0, tx1 - tx0
            h, w = s.image.shape[:2]
            scale = max(th / h, tw / w)
            ch, cw = min(h, max(1, int(round(th / scale)))), min(w, max(1, int(round(tw / scale))))
            # The image's corner nearest the mosaic centre stays at the centre.
            x0 = w - cw if q in (0, 2) else 0
            y0 = h - ch if q in (0, 1) else 0
            tile = resized_crop(
                s, (x0, y0, x0 + cw, y0 + ch), (th, tw), interpolation=self.interpolation, box_filter=self.box_filter
            )
            image[ty0:ty1, tx0:tx1] = tile.image
            if mask is not None:
                mask[ty0:ty1, tx0:tx1] = tile.mask
            if label is not None:
                label += (th * tw) / float(H * W) * soft_label(s.label, self.num_classes, "Mosaic")
            placed = apply_geometry(
                evolve(tile, mask=None),
                G.translation(tx0, ty0),
                H,
                W,
                image_fn=lambda im: im,
                mask_fn=lambda a, f, b, t=(ty0, H - ty1, tx0, W - tx1): G.pad(a, *t, fill=f),
                box_filter=self.box_filter,
            )
            out = placed if out is None else concat_instances(out, placed, "Mosaic")
        out = evolve(out, image=image, mask=mask, meta=sample.meta)
        if label is not None:
            out = evolve(out, label=label)
        else:
            out = evolve(out, label=sample.label)
        return out


class CopyPaste(_Mixing):
    """Paste instances (with their masks and boxes) from a partner (Ghiasi et al. 2021).

    A random subset of the partner's instances (each kept with probability
    ``fraction``, at least one) is pasted at the same place after resizing the
    partner to the sample's size. The sample's instances lose the covered
    pixels (boxes follow their masks; instances hidden below ``min_visibility``
    or emptied are dropped); keypoints under pasted pixels become invisible.
    Both samples need instance masks.

    Args:
        fraction: probability of pasting each partner instance.
        source: dataset to draw partners from.
        p: probability.
    """

    def __init__(self, *, fraction: float = 0.5, source: Any = None, p: float = 0.5) -> None:
        super().__init__(p=p, source=source)
        if not 0 < fraction <= 1:
            raise ValueError(f"CopyPaste: fraction must be within (0, 1], got {fraction}")
        self.fraction = float(fraction)

    def get_params(self, rng, sample):
        params = self._draw_partners(rng, sample)
        params["seed"] = randint(rng, 0, 2**31)
        return params

    def apply(self, sample, params):
        if sample.masks is None:
            raise ValueError("CopyPaste: the sample needs instance masks (masks=...)")
        h, w = sample.image.shape[:2]
        other = self._partners(sample, params)[0]
        if other.masks is None:
            raise ValueError("CopyPaste: the partner sample needs instance masks (masks=...)")
        other = self._fit(other, h, w)
        n = len(other.masks)
        if n == 0:
            return sample
        r = np.random.default_rng(params["seed"])
        chosen = r.random(n) < self.fraction
        if not chosen.any():
            chosen[int(r.integers(n))] = True
        pasted = drop_instances(evolve(other, mask=None), chosen)
        occluder = (pasted.masks != 0).any(axis=0)
        image = sample.image.copy()
        image[occluder] = other.image[occluder]
        out = evolve(sample, image=image)
        if sample.mask is not None and other.mask is not None:
            m = sample.mask.copy()
            m[occluder] = other.mask[occluder]
            out = evolve(out, mask=m)
        out = _occlude(out, occluder, self.box_filter, None)
        if pasted.boxes is not None:
            pasted = evolve(pasted, boxes=Boxes(G.masks_to_boxes(pasted.masks), BoxFormat.XYXY, False))
        return _with_meta(concat_instances(out, pasted, "CopyPaste"), sample)
