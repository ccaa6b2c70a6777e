"""Batched augmentation on (N, C, H, W) tensors, with per-sample parameters.

For training on in-memory tensors (e.g. all of Fashion-MNIST as one uint8
tensor of shape (N, 1, 28, 28)) the whole batch is augmented in a few tensor
operations instead of N Python calls; the same code runs on CPU and GPU
(parameters are drawn on the CPU from a ``torch.Generator`` and moved to the
images' device).

Conventions:

* images are uint8 in [0, 255] or floating point in [0, 1]; every op returns the
  dtype it was given (uint8 results are rounded), except :class:`BatchNormalize`
  which returns float32;
* labels are None, (N,) class indices or (N, K) soft targets; :class:`BatchMixUp`
  and :class:`BatchCutMix` return (N, num_classes) float32 soft targets;
* every op has ``get_params(n, height, width, generator=...)`` and
  ``apply(images, labels, params)``; ``op(images, labels, return_params=True)``
  also returns the parameters (e.g. the affine matrices, to move boxes).

The per-sample maths matches the single-image transforms (same matrices, same
colour formulas), so a batch op and its single-image counterpart agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from . import _functional_color as C
from ._base import check_p, register_transform, size_pair, to_range

__all__ = [
    "BatchTransform",
    "BatchCompose",
    "BatchHorizontalFlip",
    "BatchVerticalFlip",
    "BatchAffine",
    "BatchRandomResizedCrop",
    "BatchRandomCrop",
    "BatchColorJitter",
    "BatchGrayscale",
    "BatchRandomErasing",
    "BatchMixUp",
    "BatchCutMix",
    "BatchNormalize",
]

Params = dict[str, Any]


def _check_images(images: torch.Tensor, owner: str) -> None:
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"{owner}: images must be an (N, C, H, W) tensor, got {shape}")
    if images.shape[1] not in (1, 3):
        raise ValueError(f"{owner}: images must have 1 or 3 channels, got {images.shape[1]}")
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise ValueError(f"{owner}: images must be uint8 or floating point, got {images.dtype}")


def _rand(n: int, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, generator=generator, dtype=torch.float64)


def _uniform(n: int, bounds: Sequence[float], generator) -> torch.Tensor:
    lo, hi = bounds
    return lo + (hi - lo) * _rand(n, generator)


def _bound(images: torch.Tensor) -> float:
    return 255.0 if images.dtype == torch.uint8 else 1.0


def _finish(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Back to the input dtype (uint8: round and saturate); ``x`` is a scratch tensor."""
    if like.dtype == torch.uint8:
        return x.round_().clamp_(0, 255).to(torch.uint8)
    return x.to(like.dtype)


def _one_hot(labels: torch.Tensor, num_classes: int | None, owner: str) -> torch.Tensor:
    if labels is None:
        raise ValueError(f"{owner}: labels are needed to mix them")
    if labels.ndim == 2:
        return labels.float()
    if num_classes is None:
        raise ValueError(f"{owner}: num_classes is needed to turn class indices into soft targets")
    return F.one_hot(labels.long(), num_classes).float()


class BatchTransform:
    """Base of the batched ops.

    Args:
        p: probability of applying the op to each sample.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            register_transform(cls, kind="batch")

    def __init__(self, *, p: float = 1.0) -> None:
        self.p = check_p(p, type(self).__name__)

    def get_params(self, n: int, height: int, width: int, *, generator: torch.Generator | None = None) -> Params:
        """Per-sample parameters as CPU tensors; ``apply`` is the (N,) bool selection."""
        return {"apply": _rand(n, generator) < self.p}

    def apply(self, images: torch.Tensor, labels: torch.Tensor | None, params: Params):
        raise NotImplementedError

    def __call__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor | None = None,
        *,
        generator: torch.Generator | None = None,
        return_params: bool = False,
    ):
        _check_images(images, type(self).__name__)
        n, _, h, w = images.shape
        params = self.get_params(n, h, w, generator=generator)
        images, labels = self.apply(images, labels, params)
        return (images, labels, params) if return_params else (images, labels)


class BatchCompose:
    """Apply batched ops in sequence from one seeded generator.

    Args:
        transforms: the ops.
        seed: seed of the generator (None: torch's global random state).
    """

    def __init__(self, transforms: Sequence[BatchTransform], *, seed: int | None = None) -> None:
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not isinstance(t, BatchTransform):
                raise ValueError(f"BatchCompose: transforms[{i}] is a {type(t).__name__}; expected a batch transform")
        self.seed = seed
        self.generator = None if seed is None else torch.Generator().manual_seed(int(seed))

    def __call__(self, images: torch.Tensor, labels: torch.Tensor | None = None):
        for t in self.transforms:
            images, labels = t(images, labels, generator=self.generator)
        return images, labels


# ----------------------------------------------------------------------------- flips and crops


class BatchHorizontalFlip(BatchTransform):
    """Mirror left-right the selected samples.

    Args:
        p: probability per sample.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def apply(self, images, labels, params):
        sel = params["apply"].to(images.device)[:, None, None, None]
        return torch.where(sel, images.flip(-1), images), labels


class BatchVerticalFlip(BatchTransform):
    """Mirror top-bottom the selected samples.

    Args:
        p: probability per sample.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def apply(self, images, labels, params):
        sel = params["apply"].to(images.device)[:, None, None, None]
        return torch.where(sel, images.flip(-2), images), labels


class BatchRandomCrop(BatchTransform):
    """Pad by ``padding`` then crop ``size`` at a random position per sample (exact, no resampling).

    Args:
        size: output (height, width), or an int (default: the input size).
        padding: pixels of constant padding on every side.
        fill: padding value (in the images' own scale).
        p: probability per sample (unselected samples get the centre crop).
    """

    def __init__(
        self, size: int | Sequence[int] | None = None, *, padding: int = 0, fill: float = 0, p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        self.size = None if size is None else size_pair(size, owner="BatchRandomCrop")
        if padding < 0:
            raise ValueError(f"BatchRandomCrop: padding must be >= 0, got {padding}")
        self.padding, self.fill = int(padding), fill

    def get_params(self, n, height, width, *, generator=None):
        ch, cw = self.size or (height, width)
        hp, wp = height + 2 * self.padding, width + 2 * self.padding
        if ch > hp or cw > wp:
            raise ValueError(f"BatchRandomCrop: crop {ch}x{cw} is larger than the padded image {hp}x{wp}")
        sel = _rand(n, generator) < self.p
        y0 = torch.floor(_rand(n, generator) * (hp - ch + 1)).long()
        x0 = torch.floor(_rand(n, generator) * (wp - cw + 1)).long()
        y0 = torch.where(sel, y0, torch.full_like(y0, (hp - ch) // 2))
        x0 = torch.where(sel, x0, torch.full_like(x0, (wp - cw) // 2))
        return {"apply": sel, "y0": y0, "x0": x0, "size": (ch, cw)}

    def apply(self, images, labels, params):
        ch, cw = params["size"]
        pad = self.padding
        x = F.pad(images, (pad, pad, pad, pad), value=self.fill) if pad else images
        dev = images.device
        rows = params["y0"].to(dev)[:, None] + torch.arange(ch, device=dev)  # (N, ch)
        cols = params["x0"].to(dev)[:, None] + torch.arange(cw, device=dev)  # (N, cw)
        n_idx = torch.arange(x.shape[0], device=dev)[:, None, None]
        out = x.permute(0, 2, 3, 1)[n_idx, rows[:, :, None], cols[:, None, :]]  # (N, ch, cw, C)
        return out.permute(0, 3, 1, 2).contiguous(), labels


# ----------------------------------------------------------------------------- affine family (grid sampling)


def _affine_matrices(
    n: int,
    height: int,
    width: int,
    angle: torch.Tensor,
    tx: torch.Tensor,
    ty: torch.Tensor,
    sx: torch.Tensor,
    sy: torch.Tensor,
    shx: torch.Tensor,
    shy: torch.Tensor,
) -> torch.Tensor:
    """(N, 3, 3) float64 matrices, the same composition as ``affine_matrix`` (continuous pixels)."""
    cx, cy = width / 2.0, height / 2.0
    a = torch.deg2rad(angle)
    c, s = torch.cos(a), torch.sin(a)
    eye = torch.eye(3, dtype=torch.float64).expand(n, 3, 3)

    def mat(entries):
        m = eye.clone()
        for (i, j), v in entries.items():
            m[:, i, j] = v
        return m

    t_back = mat({(0, 2): cx + tx, (1, 2): cy + ty})
    rot = mat({(0, 0): c, (0, 1): s, (1, 0): -s, (1, 1): c})
    sh = mat({(0, 1): torch.tan(torch.deg2rad(shx)), (1, 0): torch.tan(torch.deg2rad(shy))})
    sc = mat({(0, 0): sx, (1, 1): sy})
    t_in = mat({(0, 2): torch.full((n,), -cx, dtype=torch.float64), (1, 2): torch.full((n,), -cy, dtype=torch.float64)})
    return t_back @ rot @ sh @ sc @ t_in


def warp_batch(
    images: torch.Tensor,
    matrices: torch.Tensor,
    out_size: tuple[int, int] | None = None,
    *,
    mode: str = "bilinear",
    fill: float = 0.0,
) -> torch.Tensor:
    """Warp (N, C, H, W) images by (N, 3, 3) continuous-pixel affine matrices (input -> output).

    Output pixels whose source lies outside the input take ``fill``.
    """
    n, c, h, w = images.shape
    oh, ow = out_size or (h, w)
    dev = images.device
    # normalized(out) -> pixel(out) -> pixel(in) -> normalized(in), align_corners=False
    to_pix = torch.tensor([[ow / 2.0, 0, ow / 2.0], [0, oh / 2.0, oh / 2.0], [0, 0, 1]], dtype=torch.float64)
    to_norm = torch.tensor([[2.0 / w, 0, -1.0], [0, 2.0 / h, -1.0], [0, 0, 1]], dtype=torch.float64)
    theta = to_norm @ torch.linalg.inv(matrices) @ to_pix
    x = images.float()
    if fill != 0:
        x = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
    grid = F.affine_grid(theta[:, :2].to(dev, torch.float32), [n, x.shape[1], oh, ow], align_corners=False)
    out = F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill != 0:
        cover = out[:, -1:]
        out = out[:, :-1] + fill * (1.0 - cover)
    return out


class BatchAffine(BatchTransform):
    """Per-sample random affine (scale, shear, rotate, translate) by grid sampling.

    Same parameter meaning and matrix as :class:`vistakit.transforms.Affine`; the
    (N, 3, 3) matrices are in the returned params (``"matrix"``) to move boxes.

    Args:
        scale, translate, rotate, shear, shear_y, keep_ratio: as in ``Affine``.
        mode: "bilinear" or "nearest".
        fill: value of pixels from outside (in the images' own scale).
        p: probability per sample.
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
        mode: str = "bilinear",
        fill: float = 0.0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.scale = to_range(scale, owner="BatchAffine", name="scale", low=1e-6)
        self.translate = to_range(translate, owner="BatchAffine", name="translate", symmetric=True)
        self.rotate = to_range(rotate, owner="BatchAffine", name="rotate", symmetric=True)
        self.shear = to_range(shear, owner="BatchAffine", name="shear", symmetric=True, low=-89, high=89)
        self.shear_y = to_range(shear_y, owner="BatchAffine", name="shear_y", symmetric=True, low=-89, high=89)
        self.keep_ratio = bool(keep_ratio)
        if mode not in ("bilinear", "nearest"):
            raise ValueError(f"BatchAffine: mode must be 'bilinear' or 'nearest', got {mode!r}")
        self.mode, self.fill = mode, float(fill)

    def get_params(self, n, height, width, *, generator=None):
        sel = _rand(n, generator) < self.p
        sx = _uniform(n, self.scale, generator)
        sy = sx if self.keep_ratio else _uniform(n, self.scale, generator)
        m = _affine_matrices(
            n,
            height,
            width,
            _uniform(n, self.rotate, generator),
            _uniform(n, self.translate, generator) * width,
            _uniform(n, self.translate, generator) * height,
            sx,
            sy,
            _uniform(n, self.shear, generator),
            _uniform(n, self.shear_y, generator),
        )
        m[~sel] = torch.eye(3, dtype=torch.float64)
        return {"apply": sel, "matrix": m}

    def apply(self, images, labels, params):
        sel = params["apply"]
        if not bool(sel.any()):
            return images, labels
        idx = torch.nonzero(sel).flatten()
        out = images.clone()
        warped = warp_batch(images[idx.to(images.device)], params["matrix"][idx], mode=self.mode, fill=self.fill)
        out[idx.to(images.device)] = _finish(warped, images)
        return out, labels


class BatchRandomResizedCrop(BatchTransform):
    """Per-sample random resized crop (torchvision's sampling) by grid sampling.

    Args:
        size: output (height, width), or an int.
        scale: range of the crop area as a fraction of the image.
        ratio: range of the crop's width / height.
        mode: "bilinear" or "nearest".
        p: probability per sample (unselected samples are resized whole).
    """

    def __init__(
        self,
        size: int | Sequence[int],
        *,
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3 / 4, 4 / 3),
        mode: str = "bilinear",
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.size = size_pair(size, owner="BatchRandomResizedCrop")
        self.scale = to_range(scale, owner="BatchRandomResizedCrop", name="scale", low=0.0, high=1.0)
        self.ratio = to_range(ratio, owner="BatchRandomResizedCrop", name="ratio", low=1e-6)
        self.mode = mode

    def get_params(self, n, height, width, *, generator=None):
        tries = 10
        area = height * width
        target = area * _uniform(n * tries, self.scale, generator).view(n, tries)
        log_r = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        ar = torch.exp(_uniform(n * tries, log_r, generator).view(n, tries))
        cw = torch.round(torch.sqrt(target * ar))
        ch = torch.round(torch.sqrt(target / ar))
        ok = (cw > 0) & (cw <= width) & (ch > 0) & (ch <= height)
        first = torch.where(ok.any(1), ok.float().argmax(1), torch.zeros(n, dtype=torch.long))
        rows = torch.arange(n)
        cw, ch = cw[rows, first], ch[rows, first]
        # fallback: the whole image (clamped to the ratio range, as torchvision)
        none = ~ok.any(1)
        in_ratio = width / height
        fw = width if in_ratio <= self.ratio[1] else round(height * self.ratio[1])
        fh = height if in_ratio >= self.ratio[0] else round(width / self.ratio[0])
        cw = torch.where(none, torch.full_like(cw, fw), cw)
        ch = torch.where(none, torch.full_like(ch, fh), ch)
        sel = _rand(n, generator) < self.p
        cw = torch.where(sel, cw, torch.full_like(cw, width))
        ch = torch.where(sel, ch, torch.full_like(ch, height))
        x0 = torch.floor(_rand(n, generator) * (width - cw + 1))
        y0 = torch.floor(_rand(n, generator) * (height - ch + 1))
        x0 = torch.where(none & sel, torch.floor((width - cw) / 2), x0)
        y0 = torch.where(none & sel, torch.floor((height - ch) / 2), y0)
        oh, ow = self.size
        m = torch.zeros(n, 3, 3, dtype=torch.float64)
        m[:, 0, 0] = ow / cw
        m[:, 1, 1] = oh / ch
        m[:, 0, 2] = -x0 * ow / cw
        m[:, 1, 2] = -y0 * oh / ch
        m[:, 2, 2] = 1.0
        crops = torch.stack([x0, y0, x0 + cw, y0 + ch], dim=1)
        return {"apply": sel, "matrix": m, "crop": crops}

    def apply(self, images, labels, params):
        out = warp_batch(images, params["matrix"], self.size, mode=self.mode)
        return _finish(out, images), labels


# ----------------------------------------------------------------------------- colour


def _gray(x: torch.Tensor, uint8: bool) -> torch.Tensor:
    """(N, 1, H, W) luma; for uint8 data the same fixed-point rounding as OpenCV's RGB2GRAY."""
    if x.shape[1] == 1:
        return x
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    if uint8:
        return torch.floor((r * 4899 + g * 9617 + b * 1868 + 8192) / 16384)
    return 0.299 * r + 0.587 * g + 0.114 * b


def adjust_batch(x: torch.Tensor, op: int, factor: torch.Tensor, *, bound: float, uint8: bool) -> torch.Tensor:
    """One ColorJitter step (0 brightness, 1 contrast, 2 saturation, 3 hue) on float data
    in [0, bound] with per-sample (N,) factors.

    The maths is that of the single-image kernels (``_functional_color``: the same
    luma weights, contrast mean and YIQ hue rotation), vectorised over the batch;
    uint8 data is rounded after each step as they do.
    """
    if op >= 2 and x.shape[1] == 1:  # saturation and hue leave grey images alone
        return x
    dev = x.device
    f = factor.to(dev, torch.float32)[:, None, None, None]
    if op == 0:
        y = x * f
    elif op == 1:
        mean = _gray(x, uint8).double().mean(dim=(1, 2, 3)).to(dev)
        offset = (mean * (1.0 - factor.to(dev))).to(torch.float32)[:, None, None, None]
        y = (x * f).add_(offset)
    elif op == 2:
        luma = torch.tensor(C.LUMA, dtype=torch.float32, device=dev).view(1, 3, 1, 1)
        y = (x * f).add_((x * luma).sum(1, keepdim=True).mul_(1.0 - f))
    else:
        a = 2.0 * math.pi * factor.to(torch.float64)
        cos, sin = torch.cos(a), torch.sin(a)
        rot = torch.zeros(len(a), 3, 3, dtype=torch.float64)
        rot[:, 0, 0] = 1.0
        rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = cos, sin, -sin, cos
        yiq = torch.from_numpy(C._YIQ)
        m = (torch.from_numpy(C._YIQ_INV) @ rot @ yiq).to(dev, torch.float32)
        y = torch.einsum("nij,njhw->nihw", m, x)
    # in place: on CPU every fresh multi-megabyte tensor costs page faults
    y.clamp_(0, bound)
    return y.round_() if uint8 else y


class BatchColorJitter(BatchTransform):
    """Per-sample brightness, contrast, saturation and hue (same formulas as ``ColorJitter``).

    The order of the four steps is drawn once per batch.

    Args:
        brightness, contrast, saturation, hue: as in ``ColorJitter``.
        p: probability per sample.
    """

    def __init__(
        self,
        *,
        brightness: float | Sequence[float] = 0.2,
        contrast: float | Sequence[float] = 0.2,
        saturation: float | Sequence[float] = 0.2,
        hue: float | Sequence[float] = 0.0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        own = "BatchColorJitter"
        self.brightness = to_range(brightness, owner=own, name="brightness", center=1.0, low=0.0)
        self.contrast = to_range(contrast, owner=own, name="contrast", center=1.0, low=0.0)
        self.saturation = to_range(saturation, owner=own, name="saturation", center=1.0, low=0.0)
        self.hue = to_range(hue, owner=own, name="hue", symmetric=True, low=-0.5, high=0.5)

    def get_params(self, n, height, width, *, generator=None):
        sel = _rand(n, generator) < self.p
        params = {
            "apply": sel,
            "brightness": torch.where(sel, _uniform(n, self.brightness, generator), torch.ones(n, dtype=torch.float64)),
            "contrast": torch.where(sel, _uniform(n, self.contrast, generator), torch.ones(n, dtype=torch.float64)),
            "saturation": torch.where(sel, _uniform(n, self.saturation, generator), torch.ones(n, dtype=torch.float64)),
            "hue": torch.where(sel, _uniform(n, self.hue, generator), torch.zeros(n, dtype=torch.float64)),
            "order": torch.randperm(4, generator=generator).tolist(),
        }
        return params

    def apply(self, images, labels, params):
        uint8 = images.dtype == torch.uint8
        bound = _bound(images)
        x = images.float()
        names = ("brightness", "contrast", "saturation", "hue")
        for op in params["order"]:
            name = names[op]
            if (op == 3 and float(params["hue"].abs().max()) == 0) or (op != 3 and bool((params[name] == 1).all())):
                continue
            x = adjust_batch(x, op, params[name], bound=bound, uint8=uint8)
        return _finish(x, images), labels


class BatchGrayscale(BatchTransform):
    """Replace the colours of selected samples by their luma (channel count kept).

    Args:
        p: probability per sample.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def apply(self, images, labels, params):
        if images.shape[1] == 1:
            return images, labels
        uint8 = images.dtype == torch.uint8
        g = _finish(_gray(images.float(), uint8), images).expand_as(images)
        sel = params["apply"].to(images.device)[:, None, None, None]
        return torch.where(sel, g, images), labels


# ----------------------------------------------------------------------------- erasing and mixing


class BatchRandomErasing(BatchTransform):
    """Erase one random rectangle per selected sample (torchvision's sampling, vectorised).

    Args:
        scale: range of the erased area as a fraction of the image.
        ratio: range of the rectangle's height / width.
        value: fill value (in the images' own scale).
        p: probability per sample.
    """

    def __init__(
        self,
        *,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: float = 0.0,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.scale = to_range(scale, owner="BatchRandomErasing", name="scale", low=0.0, high=1.0)
        self.ratio = to_range(ratio, owner="BatchRandomErasing", name="ratio", low=1e-6)
        self.value = float(value)

    def get_params(self, n, height, width, *, generator=None):
        tries = 10
        area = height * width * _uniform(n * tries, self.scale, generator).view(n, tries)
        ar = torch.exp(
            _uniform(n * tries, (math.log(self.ratio[0]), math.log(self.ratio[1])), generator).view(n, tries)
        )
        eh = torch.round(torch.sqrt(area * ar))
        ew = torch.round(torch.sqrt(area / ar))
        ok = (eh > 0) & (eh < height) & (ew > 0) & (ew < width)
        first = ok.float().argmax(1)
        rows = torch.arange(n)
        eh, ew = eh[rows, first], ew[rows, first]
        sel = (_rand(n, generator) < self.p) & ok.any(1)
        y0 = torch.floor(_rand(n, generator) * (height - eh + 1))
        x0 = torch.floor(_rand(n, generator) * (width - ew + 1))
        boxes = torch.stack([x0, y0, x0 + ew, y0 + eh], 1).long()
        boxes[~sel] = 0
        return {"apply": sel, "boxes": boxes}

    def apply(self, images, labels, params):
        n, _, h, w = images.shape
        b = params["boxes"].to(images.device)
        ys = torch.arange(h, device=images.device)[None, :, None]
        xs = torch.arange(w, device=images.device)[None, None, :]
        inside = (
            (ys >= b[:, 1, None, None])
            & (ys < b[:, 3, None, None])
            & (xs >= b[:, 0, None, None])
            & (xs < b[:, 2, None, None])
        )[:, None]
        value = torch.tensor(self.value, dtype=images.dtype, device=images.device)
        return torch.where(inside, value, images), labels


def _beta(n: int, alpha: float, generator) -> torch.Tensor:
    seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
    return torch.from_numpy(np.random.default_rng(seed).beta(alpha, alpha, size=n))


class BatchMixUp(BatchTransform):
    """MixUp within the batch: sample i is blended with sample ``perm[i]``.

    Args:
        alpha: Beta distribution parameter of the per-sample weight ``lam``.
        num_classes: size of the soft targets.
        p: probability per sample (unselected samples keep ``lam = 1``).
    """

    def __init__(self, *, alpha: float = 0.4, num_classes: int | None = None, p: float = 1.0) -> None:
        super().__init__(p=p)
        if alpha <= 0:
            raise ValueError(f"BatchMixUp: alpha must be > 0, got {alpha}")
        self.alpha, self.num_classes = float(alpha), num_classes

    def get_params(self, n, height, width, *, generator=None):
        sel = _rand(n, generator) < self.p
        lam = torch.where(sel, _beta(n, self.alpha, generator), torch.ones(n, dtype=torch.float64))
        return {"apply": sel, "lam": lam, "perm": torch.randperm(n, generator=generator)}

    def apply(self, images, labels, params):
        dev = images.device
        perm = params["perm"].to(dev)
        lam = params["lam"].to(dev, torch.float32)
        x = images.float()
        mixed = lam[:, None, None, None] * x + (1 - lam[:, None, None, None]) * x[perm]
        y = None
        if labels is not None:
            y1 = _one_hot(labels, self.num_classes, "BatchMixUp").to(dev)
            y = lam[:, None] * y1 + (1 - lam[:, None]) * y1[perm]
        return _finish(mixed, images), y


class BatchCutMix(BatchTransform):
    """CutMix within the batch: a rectangle of sample ``perm[i]`` is pasted into sample i.

    ``lam`` is corrected to the pasted area after clipping, so soft targets are
    exactly proportional to the pixels of each image.

    Args:
        alpha: Beta distribution parameter.
        num_classes: size of the soft targets.
        p: probability per sample.
    """

    def __init__(self, *, alpha: float = 1.0, num_classes: int | None = None, p: float = 1.0) -> None:
        super().__init__(p=p)
        if alpha <= 0:
            raise ValueError(f"BatchCutMix: alpha must be > 0, got {alpha}")
        self.alpha, self.num_classes = float(alpha), num_classes

    def get_params(self, n, height, width, *, generator=None):
        sel = _rand(n, generator) < self.p
        lam = _beta(n, self.alpha, generator)
        cut = torch.sqrt(1.0 - lam)
        ch, cw = torch.round(height * cut), torch.round(width * cut)
        cy = torch.floor(_rand(n, generator) * height)
        cx = torch.floor(_rand(n, generator) * width)
        y0 = (cy - torch.div(ch, 2, rounding_mode="floor")).clamp(0, height)
        y1 = (cy + ch - torch.div(ch, 2, rounding_mode="floor")).clamp(0, height)
        x0 = (cx - torch.div(cw, 2, rounding_mode="floor")).clamp(0, width)
        x1 = (cx + cw - torch.div(cw, 2, rounding_mode="floor")).clamp(0, width)
        boxes = torch.stack([x0, y0, x1, y1], 1).long()
        boxes[~sel] = 0
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        lam = 1.0 - area.double() / (height * width)
        return {"apply": sel, "boxes": boxes, "lam": lam, "perm": torch.randperm(n, generator=generator)}

    def apply(self, images, labels, params):
        n, _, h, w = images.shape
        dev = images.device
        b = params["boxes"].to(dev)
        perm = params["perm"].to(dev)
        ys = torch.arange(h, device=dev)[None, :, None]
        xs = torch.arange(w, device=dev)[None, None, :]
        inside = (
            (ys >= b[:, 1, None, None])
            & (ys < b[:, 3, None, None])
            & (xs >= b[:, 0, None, None])
            & (xs < b[:, 2, None, None])
        )[:, None]
        out = torch.where(inside, images[perm], images)
        y = None
        if labels is not None:
            lam = params["lam"].to(dev, torch.float32)
            y1 = _one_hot(labels, self.num_classes, "BatchCutMix").to(dev)
            y = lam[:, None] * y1 + (1 - lam[:, None]) * y1[perm]
        return out, y


class BatchNormalize(BatchTransform):
    """``(x / max_pixel_value - mean) / std`` per channel -> float32 (uint8 input: max 255, float: 1).

    Args:
        mean, std: per-channel statistics (or one value); a 1-channel batch with
            3-value statistics uses their average.
    """

    def __init__(
        self,
        *,
        mean: float | Sequence[float] = (0.485, 0.456, 0.406),
        std: float | Sequence[float] = (0.229, 0.224, 0.225),
    ) -> None:
        super().__init__(p=1.0)
        self.mean = [float(mean)] if np.isscalar(mean) else [float(m) for m in mean]
        self.std = [float(std)] if np.isscalar(std) else [float(s) for s in std]

    def get_params(self, n, height, width, *, generator=None):
        return {}

    def apply(self, images, labels, params):
        c = images.shape[1]
        mean, std = self.mean, self.std
        if c == 1 and len(mean) == 3:
            mean, std = [sum(mean) / 3], [sum(std) / 3]
        m = torch.tensor(mean, dtype=torch.float32, device=images.device).view(1, -1, 1, 1)
        s = torch.tensor(std, dtype=torch.float32, device=images.device).view(1, -1, 1, 1)
        x = images.float()
        if images.dtype == torch.uint8:
            x = x / 255.0
        return (x - m) / s, labels
