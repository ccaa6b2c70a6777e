"""Learned and random augmentation policies: RandAugment, TrivialAugmentWide, AutoAugment.

Operation set, magnitude tables and sampling follow torchvision (which follows
the papers). Geometric operations go through the shared matrix path, so boxes,
masks and keypoints stay in sync under the policies too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..structures import Sample
from . import _functional_color as F
from . import _functional_geometric as G
from ._base import Transform, check_choice, randint
from ._io import evolve
from ._targets import apply_geometry

__all__ = ["RandAugment", "TrivialAugmentWide", "AutoAugment", "apply_policy_op", "POLICY_OPS"]


def _geometric(s: Sample, matrix: np.ndarray, interpolation: str, fill: Any, box_filter) -> Sample:
    h, w = s.image.shape[:2]
    return apply_geometry(
        s,
        matrix,
        h,
        w,
        image_fn=lambda im: G.warp_affine(im, matrix, h, w, interpolation=interpolation, fill=fill),
        mask_fn=lambda a, f, b: G.warp_affine(a, matrix, h, w, interpolation="nearest", fill=f),
        box_filter=box_filter,
    )


def _image(fn: Callable[[np.ndarray, float], np.ndarray]):
    def op(s: Sample, m: float, interpolation: str, fill: Any, box_filter) -> Sample:
        return evolve(s, image=fn(s.image, m))

    return op


def _shear_x(s, m, interpolation, fill, box_filter):
    return _geometric(s, np.array([[1.0, m, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), interpolation, fill, box_filter)


def _shear_y(s, m, interpolation, fill, box_filter):
    return _geometric(s, np.array([[1.0, 0.0, 0.0], [m, 1.0, 0.0], [0.0, 0.0, 1.0]]), interpolation, fill, box_filter)


def _translate_x(s, m, interpolation, fill, box_filter):
    return _geometric(s, G.translation(m, 0.0), interpolation, fill, box_filter)


def _translate_y(s, m, interpolation, fill, box_filter):
    return _geometric(s, G.translation(0.0, m), interpolation, fill, box_filter)


def _rotate(s, m, interpolation, fill, box_filter):
    h, w = s.image.shape[:2]
    return _geometric(s, G.rotation(m, (w / 2.0, h / 2.0)), interpolation, fill, box_filter)


#: name -> op(sample, magnitude, interpolation, fill, box_filter) -> sample
POLICY_OPS: dict[str, Callable[..., Sample]] = {
    "Identity": lambda s, m, i, f, b: s,
    "ShearX": _shear_x,
    "ShearY": _shear_y,
    "TranslateX": _translate_x,
    "TranslateY": _translate_y,
    "Rotate": _rotate,
    "Brightness": _image(lambda im, m: F.adjust_brightness(im, 1.0 + m)),
    "Color": _image(lambda im, m: F.adjust_saturation(im, 1.0 + m)),
    "Contrast": _image(lambda im, m: F.adjust_contrast(im, 1.0 + m)),
    "Sharpness": _image(lambda im, m: F.adjust_sharpness(im, 1.0 + m)),
    "Posterize": _image(lambda im, m: F.posterize(im, int(m))),
    "Solarize": _image(lambda im, m: F.solarize(im, m)),
    "AutoContrast": _image(lambda im, m: F.autocontrast(im)),
    "Equalize": _image(lambda im, m: F.equalize(im)),
    "Invert": _image(lambda im, m: F.invert(im)),
}


def apply_policy_op(
    s: Sample, name: str, magnitude: float, *, interpolation: str = "nearest", fill: Any = 0, box_filter=(0.0, 0.0)
) -> Sample:
    """Apply one policy operation with an explicit (signed) magnitude."""
    return POLICY_OPS[name](s, magnitude, interpolation, fill, box_filter)


def _rand_augment_space(num_bins: int, height: int, width: int) -> dict[str, tuple[np.ndarray, bool]]:
    return {
        "Identity": (np.zeros(num_bins), False),
        "ShearX": (np.linspace(0.0, 0.3, num_bins), True),
        "ShearY": (np.linspace(0.0, 0.3, num_bins), True),
        "TranslateX": (np.linspace(0.0, 150.0 / 331.0 * width, num_bins), True),
        "TranslateY": (np.linspace(0.0, 150.0 / 331.0 * height, num_bins), True),
        "Rotate": (np.linspace(0.0, 30.0, num_bins), True),
        "Brightness": (np.linspace(0.0, 0.9, num_bins), True),
        "Color": (np.linspace(0.0, 0.9, num_bins), True),
        "Contrast": (np.linspace(0.0, 0.9, num_bins), True),
        "Sharpness": (np.linspace(0.0, 0.9, num_bins), True),
        "Posterize": ((8 - np.round(np.arange(num_bins) / ((num_bins - 1) / 4))).astype(int), False),
        "Solarize": (np.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (np.zeros(num_bins), False),
        "Equalize": (np.zeros(num_bins), False),
    }


def _trivial_space(num_bins: int) -> dict[str, tuple[np.ndarray, bool]]:
    return {
        "Identity": (np.zeros(num_bins), False),
        "ShearX": (np.linspace(0.0, 0.99, num_bins), True),
        "ShearY": (np.linspace(0.0, 0.99, num_bins), True),
        "TranslateX": (np.linspace(0.0, 32.0, num_bins), True),
        "TranslateY": (np.linspace(0.0, 32.0, num_bins), True),
        "Rotate": (np.linspace(0.0, 135.0, num_bins), True),
        "Brightness": (np.linspace(0.0, 0.99, num_bins), True),
        "Color": (np.linspace(0.0, 0.99, num_bins), True),
        "Contrast": (np.linspace(0.0, 0.99, num_bins), True),
        "Sharpness": (np.linspace(0.0, 0.99, num_bins), True),
        "Posterize": ((8 - np.round(np.arange(num_bins) / ((num_bins - 1) / 6))).astype(int), False),
        "Solarize": (np.linspace(255.0, 0.0, num_bins), False),
        "AutoContrast": (np.zeros(num_bins), False),
        "Equalize": (np.zeros(num_bins), False),
    }


# AutoAugment's ImageNet policy (Cubuk et al. 2019): 25 sub-policies of two
# (operation, probability, magnitude bin) steps, over 10 magnitude bins.
IMAGENET_POLICY: tuple[tuple[tuple[str, float, int | None], ...], ...] = (
    (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
    (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
    (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
    (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
    (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
    (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
    (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
    (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
    (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
    (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
    (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
    (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
    (("Color", 0.4, 0), ("Equalize", 0.6, None)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
    (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
)


class _Policy(Transform):
    """Params ``{"ops": [[name, signed magnitude], ...]}``, applied in order."""

    uint8_only = True

    def _set_common(self, interpolation: str, fill: Any) -> None:
        self.interpolation = check_choice(
            interpolation, tuple(G.INTERPOLATIONS), owner=type(self).__name__, name="interpolation"
        )
        self.fill = list(fill) if isinstance(fill, (list, tuple)) else fill

    def apply(self, sample, params):
        for name, m in params["ops"]:
            sample = apply_policy_op(
                sample, name, m, interpolation=self.interpolation, fill=self.fill, box_filter=self.box_filter
            )
        return sample

    @staticmethod
    def _signed(rng, value: float, signed: bool) -> float:
        if signed and rng.random() < 0.5:
            return -float(value)
        return float(value)


class RandAugment(_Policy):
    """RandAugment (Cubuk et al. 2020): ``num_ops`` random operations at one magnitude.

    Args:
        num_ops: operations applied per image.
        magnitude: magnitude bin, ``0 <= magnitude < num_magnitude_bins``.
        num_magnitude_bins: number of magnitude bins.
        interpolation: for the geometric operations (nearest, as torchvision).
        fill: image value of pixels from outside.
        p: probability.
    """

    def __init__(
        self,
        *,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: str = "nearest",
        fill: Any = 0,
        p: float = 1.0,
    ) -> None:
        super().__init__(p=p)
        if num_ops < 0 or not 0 <= magnitude < num_magnitude_bins or num_magnitude_bins < 2:
            raise ValueError(
                "RandAugment: need num_ops >= 0, num_magnitude_bins >= 2 and "
                f"0 <= magnitude < num_magnitude_bins, got {num_ops}, {magnitude}, {num_magnitude_bins}"
            )
        self.num_ops, self.magnitude, self.num_magnitude_bins = int(num_ops), int(magnitude), int(num_magnitude_bins)
        self._set_common(interpolation, fill)

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        space = _rand_augment_space(self.num_magnitude_bins, h, w)
        names = list(space)
        ops = []
        for _ in range(self.num_ops):
            name = names[randint(rng, 0, len(names))]
            values, signed = space[name]
            ops.append([name, self._signed(rng, values[self.magnitude], signed)])
        return {"ops": ops}


class TrivialAugmentWide(_Policy):
    """TrivialAugment (Müller & Hutter 2021): one random operation at a random magnitude.

    Args:
        num_magnitude_bins: number of magnitude bins.
        interpolation: for the geometric operations.
        fill: image value of pixels from outside.
        p: probability.
    """

    def __init__(
        self, *, num_magnitude_bins: int = 31, interpolation: str = "nearest", fill: Any = 0, p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        if num_magnitude_bins < 2:
            raise ValueError(f"TrivialAugmentWide: num_magnitude_bins must be >= 2, got {num_magnitude_bins}")
        self.num_magnitude_bins = int(num_magnitude_bins)
        self._set_common(interpolation, fill)

    def get_params(self, rng, sample):
        space = _trivial_space(self.num_magnitude_bins)
        names = list(space)
        name = names[randint(rng, 0, len(names))]
        values, signed = space[name]
        m = values[randint(rng, 0, self.num_magnitude_bins)]
        return {"ops": [[name, self._signed(rng, m, signed)]]}


class AutoAugment(_Policy):
    """AutoAugment (Cubuk et al. 2019) with the ImageNet policy.

    One of 25 sub-policies per image; each of its two steps runs with its own
    probability at its fixed magnitude bin (random sign where signed).

    Args:
        policy: "imagenet".
        interpolation: for the geometric operations.
        fill: image value of pixels from outside.
        p: probability.
    """

    def __init__(
        self, *, policy: str = "imagenet", interpolation: str = "nearest", fill: Any = 0, p: float = 1.0
    ) -> None:
        super().__init__(p=p)
        self.policy = check_choice(policy, ("imagenet",), owner="AutoAugment", name="policy")
        self._set_common(interpolation, fill)

    def get_params(self, rng, sample):
        h, w = sample.image.shape[:2]
        space = _rand_augment_space(10, h, w)
        space["Invert"] = (np.zeros(10), False)
        sub = IMAGENET_POLICY[randint(rng, 0, len(IMAGENET_POLICY))]
        ops = []
        for name, prob, bin_ in sub:
            if rng.random() <= prob:
                values, signed = space[name]
                m = values[bin_] if bin_ is not None else 0.0
                ops.append([name, self._signed(rng, m, signed)])
        return {"ops": ops}
