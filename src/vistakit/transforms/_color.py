"""Colour, noise and blur transforms (image only; boxes, masks and keypoints pass through),
plus ``Normalize`` and ``ToTensor``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..structures import Sample
from . import _functional_color as F
from ._base import Transform, randint, to_int_range, to_range, uniform
from ._io import evolve

__all__ = [
    "Brightness",
    "Contrast",
    "Saturation",
    "Hue",
    "ColorJitter",
    "Gamma",
    "Grayscale",
    "Solarize",
    "Posterize",
    "Equalize",
    "AutoContrast",
    "CLAHE",
    "RGBShift",
    "ChannelShuffle",
    "Invert",
    "GaussianNoise",
    "ISONoise",
    "JPEGCompression",
    "GaussianBlur",
    "MotionBlur",
    "MedianBlur",
    "Sharpen",
    "Normalize",
    "ToTensor",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class _ImageOnly(Transform):
    """A transform that changes only the image pixels (uint8 in, uint8 out)."""

    uint8_only = True

    def apply_image(self, image: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError

    def apply(self, sample: Sample, params: dict[str, Any]) -> Sample:
        return evolve(sample, image=self.apply_image(sample.image, params))


def _factor(value, owner: str, name: str) -> tuple[float, float]:
    """torchvision's factor convention: a number v means (max(0, 1 - v), 1 + v)."""
    return to_range(value, owner=owner, name=name, center=1.0, low=0.0)


# ----------------------------------------------------------------------------- colour


class Brightness(_ImageOnly):
    """Multiply the pixel values by a factor.

    Args:
        factor: range of the factor; a number ``v`` means ``(1 - v, 1 + v)``.
        p: probability.
    """

    def __init__(self, *, factor: float | Sequence[float] = 0.2, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.factor = _factor(factor, "Brightness", "factor")

    def get_params(self, rng, sample):
        return {"factor": uniform(rng, self.factor)}

    def apply_image(self, image, params):
        return F.adjust_brightness(image, params["factor"])


class Contrast(_ImageOnly):
    """Blend with the mean grey level: factor 0 is flat grey, 1 the input.

    Args:
        factor: range of the factor; a number ``v`` means ``(1 - v, 1 + v)``.
        p: probability.
    """

    def __init__(self, *, factor: float | Sequence[float] = 0.2, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.factor = _factor(factor, "Contrast", "factor")

    def get_params(self, rng, sample):
        return {"factor": uniform(rng, self.factor)}

    def apply_image(self, image, params):
        return F.adjust_contrast(image, params["factor"])


class Saturation(_ImageOnly):
    """Blend with the greyscale image: factor 0 is grey, 1 the input (no-op on 1 channel).

    Args:
        factor: range of the factor; a number ``v`` means ``(1 - v, 1 + v)``.
        p: probability.
    """

    def __init__(self, *, factor: float | Sequence[float] = 0.2, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.factor = _factor(factor, "Saturation", "factor")

    def get_params(self, rng, sample):
        return {"factor": uniform(rng, self.factor)}

    def apply_image(self, image, params):
        return F.adjust_saturation(image, params["factor"])


class Hue(_ImageOnly):
    """Rotate the hue (no-op on 1 channel).

    The rotation turns the YIQ chroma plane about the luma axis (one 3x3 colour
    matrix, as NVIDIA DALI's hue): luma is kept exactly; it differs slightly from
    an HSV hue shift, which keeps HSV value instead.

    Args:
        shift: range of the rotation in turns, within [-0.5, 0.5]; a number ``v`` means ``(-v, v)``.
        p: probability.
    """

    def __init__(self, *, shift: float | Sequence[float] = 0.05, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.shift = to_range(shift, owner="Hue", name="shift", symmetric=True, low=-0.5, high=0.5)

    def get_params(self, rng, sample):
        return {"shift": uniform(rng, self.shift)}

    def apply_image(self, image, params):
        return F.adjust_hue(image, params["shift"])


class ColorJitter(_ImageOnly):
    """Brightness, contrast, saturation and hue changes in a random order (torchvision semantics).

    Each step is one colour matrix (``cv2.transform``); hue as in :class:`Hue`.

    Args:
        brightness, contrast, saturation: factor ranges; a number ``v`` means ``(1 - v, 1 + v)``.
        hue: hue shift range in turns; a number ``v`` means ``(-v, v)``, within [-0.5, 0.5].
        p: probability.
    """

    _ops = ("brightness", "contrast", "saturation", "hue")

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
        self.brightness = _factor(brightness, "ColorJitter", "brightness")
        self.contrast = _factor(contrast, "ColorJitter", "contrast")
        self.saturation = _factor(saturation, "ColorJitter", "saturation")
        self.hue = to_range(hue, owner="ColorJitter", name="hue", symmetric=True, low=-0.5, high=0.5)

    def get_params(self, rng, sample):
        return {
            "brightness": uniform(rng, self.brightness),
            "contrast": uniform(rng, self.contrast),
            "saturation": uniform(rng, self.saturation),
            "hue": uniform(rng, self.hue),
            "order": [int(i) for i in rng.permutation(4)],
        }

    def apply_image(self, image, params):
        for i in params["order"]:
            if i == 0:
                image = F.adjust_brightness(image, params["brightness"])
            elif i == 1:
                image = F.adjust_contrast(image, params["contrast"])
            elif i == 2:
                image = F.adjust_saturation(image, params["saturation"])
            else:
                image = F.adjust_hue(image, params["hue"])
        return image


class Gamma(_ImageOnly):
    """Gamma curve ``255 * (x / 255) ** gamma``.

    Args:
        gamma: range of the exponent.
        p: probability.
    """

    def __init__(self, *, gamma: float | Sequence[float] = (0.8, 1.2), p: float = 0.5) -> None:
        super().__init__(p=p)
        self.gamma = to_range(gamma, owner="Gamma", name="gamma", low=1e-6)

    def get_params(self, rng, sample):
        return {"gamma": uniform(rng, self.gamma)}

    def apply_image(self, image, params):
        return F.adjust_gamma(image, params["gamma"])


class Grayscale(_ImageOnly):
    """Replace the colours by their luma, keeping the channel count.

    Args:
        p: probability.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def apply_image(self, image, params):
        return F.to_grayscale(image)


class Solarize(_ImageOnly):
    """Invert every value at or above a threshold.

    Args:
        threshold: range of the threshold in [0, 256] (256 leaves the image unchanged).
        p: probability.
    """

    def __init__(self, *, threshold: float | Sequence[float] = 128.0, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.threshold = to_range(threshold, owner="Solarize", name="threshold", low=0.0, high=256.0)

    def get_params(self, rng, sample):
        return {"threshold": uniform(rng, self.threshold)}

    def apply_image(self, image, params):
        return F.solarize(image, params["threshold"])


class Posterize(_ImageOnly):
    """Keep only the top bits of every value.

    Args:
        bits: range of the bits kept, within 1..8.
        p: probability.
    """

    def __init__(self, *, bits: int | Sequence[int] = (4, 8), p: float = 0.5) -> None:
        super().__init__(p=p)
        self.bits = to_int_range(bits, owner="Posterize", name="bits", low=1)
        if self.bits[1] > 8:
            raise ValueError(f"Posterize: bits must be within 1..8, got {bits!r}")

    def get_params(self, rng, sample):
        return {"bits": randint(rng, self.bits[0], self.bits[1] + 1)}

    def apply_image(self, image, params):
        return F.posterize(image, params["bits"])


class Equalize(_ImageOnly):
    """Histogram equalization of every channel.

    Args:
        p: probability.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def apply_image(self, image, params):
        return F.equalize(image)


class AutoContrast(_ImageOnly):
    """Stretch every channel to the full [0, 255] range.

    Args:
        p: probability.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def apply_image(self, image, params):
        return F.autocontrast(image)


class CLAHE(_ImageOnly):
    """Contrast-limited adaptive histogram equalization of the lightness.

    Args:
        clip_limit: range of the contrast limit.
        tile_grid_size: (rows, columns) of tiles.
        p: probability.
    """

    def __init__(
        self,
        *,
        clip_limit: float | Sequence[float] = (1.0, 4.0),
        tile_grid_size: Sequence[int] = (8, 8),
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.clip_limit = to_range(clip_limit, owner="CLAHE", name="clip_limit", low=0.0)
        self.tile_grid_size = [int(t) for t in tile_grid_size]
        if len(self.tile_grid_size) != 2 or min(self.tile_grid_size) < 1:
            raise ValueError(f"CLAHE: tile_grid_size must be two positive ints, got {tile_grid_size!r}")

    def get_params(self, rng, sample):
        return {"clip_limit": uniform(rng, self.clip_limit)}

    def apply_image(self, image, params):
        return F.clahe(image, params["clip_limit"], tuple(self.tile_grid_size))


class RGBShift(_ImageOnly):
    """Add a random offset to every channel.

    Args:
        shift: range of each offset in pixel values; a number ``v`` means ``(-v, v)``.
        p: probability.
    """

    def __init__(self, *, shift: float | Sequence[float] = 20.0, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.shift = to_range(shift, owner="RGBShift", name="shift", symmetric=True, low=-255, high=255)

    def get_params(self, rng, sample):
        c = sample.image.shape[2]
        return {"shifts": [uniform(rng, self.shift) for _ in range(c)]}

    def apply_image(self, image, params):
        return F.shift_rgb(image, tuple(params["shifts"]))


class ChannelShuffle(_ImageOnly):
    """Permute the channels at random.

    Args:
        p: probability.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def get_params(self, rng, sample):
        return {"order": [int(i) for i in rng.permutation(sample.image.shape[2])]}

    def apply_image(self, image, params):
        return F.channel_shuffle(image, tuple(params["order"]))


class Invert(_ImageOnly):
    """``255 - image``.

    Args:
        p: probability.
    """

    def __init__(self, *, p: float = 0.5) -> None:
        super().__init__(p=p)

    def apply_image(self, image, params):
        return F.invert(image)


class GaussianNoise(_ImageOnly):
    """Add Gaussian noise.

    Args:
        std: range of the noise's standard deviation as a fraction of 255.
        mean: mean of the noise as a fraction of 255.
        per_channel: independent noise per channel (else one field for all channels).
        p: probability.
    """

    def __init__(
        self,
        *,
        std: float | Sequence[float] = (0.02, 0.1),
        mean: float = 0.0,
        per_channel: bool = True,
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.std = to_range(std, owner="GaussianNoise", name="std", low=0.0)
        self.mean = float(mean)
        self.per_channel = bool(per_channel)

    def get_params(self, rng, sample):
        return {"std": uniform(rng, self.std), "seed": randint(rng, 0, 2**31)}

    def apply_image(self, image, params):
        h, w, c = image.shape
        shape = (h, w, c) if self.per_channel else (h, w, 1)
        r = np.random.default_rng(params["seed"])
        noise = r.standard_normal(shape, dtype=np.float32)
        noise *= np.float32(params["std"] * 255.0)
        noise += np.float32(self.mean * 255.0)
        return F.add_gaussian_noise(image, noise)


class ISONoise(_ImageOnly):
    """Camera sensor noise: Poisson lightness noise and Gaussian hue noise.

    Args:
        color_shift: range of the hue noise (fraction of the hue circle).
        intensity: range of the overall strength.
        p: probability.
    """

    def __init__(
        self,
        *,
        color_shift: float | Sequence[float] = (0.01, 0.05),
        intensity: float | Sequence[float] = (0.1, 0.5),
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.color_shift = to_range(color_shift, owner="ISONoise", name="color_shift", low=0.0, high=1.0)
        self.intensity = to_range(intensity, owner="ISONoise", name="intensity", low=0.0)

    def get_params(self, rng, sample):
        return {
            "color_shift": uniform(rng, self.color_shift),
            "intensity": uniform(rng, self.intensity),
            "seed": randint(rng, 0, 2**31),
        }

    def apply_image(self, image, params):
        r = np.random.default_rng(params["seed"])
        return F.iso_noise(image, params["color_shift"], params["intensity"], r)


class JPEGCompression(_ImageOnly):
    """Encode as JPEG and decode again.

    Args:
        quality: range of the JPEG quality, within 1..100.
        p: probability.
    """

    def __init__(self, *, quality: int | Sequence[int] = (50, 95), p: float = 0.5) -> None:
        super().__init__(p=p)
        self.quality = to_int_range(quality, owner="JPEGCompression", name="quality", low=1)
        if self.quality[1] > 100:
            raise ValueError(f"JPEGCompression: quality must be within 1..100, got {quality!r}")

    def get_params(self, rng, sample):
        return {"quality": randint(rng, self.quality[0], self.quality[1] + 1)}

    def apply_image(self, image, params):
        return F.jpeg_compression(image, params["quality"])


# ----------------------------------------------------------------------------- blur and sharpness


def _odd_range(value, owner: str, name: str, allow_zero: bool = False) -> tuple[int, int]:
    lo, hi = to_int_range(value, owner=owner, name=name, low=0 if allow_zero else 3)
    for v in (lo, hi):
        if v % 2 == 0 and not (allow_zero and v == 0):
            raise ValueError(f"{owner}: {name} must be odd (or 0 for automatic), got {value!r}")
    return (lo, hi)


def _odd_choice(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    lo, hi = bounds
    if lo == hi:
        return lo
    choices = np.arange(lo, hi + 1, 2)
    return int(choices[randint(rng, 0, len(choices))])


class GaussianBlur(_ImageOnly):
    """Gaussian blur.

    Args:
        kernel_size: odd kernel size range; 0 derives it from sigma as PIL does
            (``int(sigma * 3.5) * 2 + 1``).
        sigma: range of the standard deviation in pixels.
        p: probability.
    """

    def __init__(
        self,
        *,
        kernel_size: int | Sequence[int] = 0,
        sigma: float | Sequence[float] = (0.5, 3.0),
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.kernel_size = _odd_range(kernel_size, "GaussianBlur", "kernel_size", allow_zero=True)
        self.sigma = to_range(sigma, owner="GaussianBlur", name="sigma", low=0.0)

    def get_params(self, rng, sample):
        sigma = uniform(rng, self.sigma)
        k = _odd_choice(rng, self.kernel_size)
        if k == 0:
            k = int(sigma * 3.5) * 2 + 1
        return {"ksize": k, "sigma": sigma}

    def apply_image(self, image, params):
        return F.gaussian_blur(image, params["ksize"], params["sigma"])


class MotionBlur(_ImageOnly):
    """Blur along a random line, as a moving camera does.

    Args:
        kernel_size: odd range of the line length in pixels.
        angle: range of the line's angle in degrees.
        direction: range in [-1, 1] moving weight to one end of the line.
        p: probability.
    """

    def __init__(
        self,
        *,
        kernel_size: int | Sequence[int] = (3, 7),
        angle: float | Sequence[float] = (0.0, 360.0),
        direction: float | Sequence[float] = (-1.0, 1.0),
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.kernel_size = _odd_range(kernel_size, "MotionBlur", "kernel_size")
        self.angle = to_range(angle, owner="MotionBlur", name="angle")
        self.direction = to_range(direction, owner="MotionBlur", name="direction", low=-1.0, high=1.0)

    def get_params(self, rng, sample):
        return {
            "ksize": _odd_choice(rng, self.kernel_size),
            "angle": uniform(rng, self.angle),
            "direction": uniform(rng, self.direction),
        }

    def apply_image(self, image, params):
        kernel = F.motion_blur_kernel(params["ksize"], params["angle"], params["direction"])
        return F.filter2d(image, kernel)


class MedianBlur(_ImageOnly):
    """Median filter.

    Args:
        kernel_size: odd range of the window size.
        p: probability.
    """

    def __init__(self, *, kernel_size: int | Sequence[int] = (3, 7), p: float = 0.5) -> None:
        super().__init__(p=p)
        self.kernel_size = _odd_range(kernel_size, "MedianBlur", "kernel_size")

    def get_params(self, rng, sample):
        return {"ksize": _odd_choice(rng, self.kernel_size)}

    def apply_image(self, image, params):
        return F.median_blur(image, params["ksize"])


class Sharpen(_ImageOnly):
    """Blend with a Laplacian-sharpened copy.

    Args:
        alpha: range of the sharpened copy's weight, within [0, 1].
        lightness: range of the sharpened copy's brightness.
        p: probability.
    """

    def __init__(
        self,
        *,
        alpha: float | Sequence[float] = (0.2, 0.5),
        lightness: float | Sequence[float] = (0.5, 1.0),
        p: float = 0.5,
    ) -> None:
        super().__init__(p=p)
        self.alpha = to_range(alpha, owner="Sharpen", name="alpha", low=0.0, high=1.0)
        self.lightness = to_range(lightness, owner="Sharpen", name="lightness", low=0.0)

    def get_params(self, rng, sample):
        return {"alpha": uniform(rng, self.alpha), "lightness": uniform(rng, self.lightness)}

    def apply_image(self, image, params):
        return F.sharpen(image, params["alpha"], params["lightness"])


# ----------------------------------------------------------------------------- to the model


class Normalize(Transform):
    """``(image / max_pixel_value - mean) / std`` per channel, giving float32 (H, W, C).

    Put it after every colour transform (they need uint8); :class:`Compose` checks
    the order when it is built. A 1-channel image with 3-value statistics uses
    their averages.

    Args:
        mean: per-channel means (or one value), ImageNet's by default.
        std: per-channel standard deviations (or one value).
        max_pixel_value: the value that maps to 1.0.
        p: probability.
    """

    produces = "float32"

    def __init__(
        self,
        *,
        mean: float | Sequence[float] = IMAGENET_MEAN,
        std: float | Sequence[float] = IMAGENET_STD,
        max_pixel_value: float = 255.0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        self.mean = [float(mean)] if np.isscalar(mean) else [float(m) for m in mean]
        self.std = [float(std)] if np.isscalar(std) else [float(s) for s in std]
        if any(s == 0 for s in self.std):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std}")
        self.max_pixel_value = float(max_pixel_value)

    def apply(self, sample, params):
        image = sample.image
        mean, std = self.mean, self.std
        c = image.shape[2]
        if c == 1 and len(mean) == 3 and len(std) == 3:
            # A grey image with RGB statistics: use their average.
            mean, std = [float(np.mean(mean))], [float(np.mean(std))]
        return evolve(sample, image=F.normalize(image, tuple(mean), tuple(std), self.max_pixel_value))


class ToTensor(Transform):
    """(H, W, C) numpy image -> (C, H, W) float32 torch tensor; uint8 is scaled to [0, 1].

    A float32 image (after :class:`Normalize`) is only transposed (a view, no copy).
    Must be the last transform.

    Args:
        p: probability.
    """

    produces = "tensor"

    def __init__(self, *, p: float = 1.0) -> None:
        super().__init__(p=p)

    def apply(self, sample, params):
        image = sample.image
        if image.dtype == np.uint8:
            t = torch.from_numpy(image).permute(2, 0, 1).float().div_(255.0)
        else:
            t = torch.from_numpy(image).permute(2, 0, 1)
        return evolve(sample, image=t)
