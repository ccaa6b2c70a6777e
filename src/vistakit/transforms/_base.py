"""The transform base class: probability, random streams, the two call forms, replay, serialization.

A transform is a thin class around pure kernels. It implements two methods:

* ``get_params(rng, sample) -> dict``: draw everything random, as plain
  JSON-friendly numbers (a noise field is drawn from a stored seed, so even
  noise is replayable);
* ``apply(sample, params) -> Sample``: apply those parameters to every target of
  a working-form sample (see :mod:`vistakit.transforms._io`).

Replay is ``apply`` with saved parameters. Serialization reads each
transform's keyword arguments back from attributes of the same name, so every
``__init__`` stores its arguments under their own names.
"""

from __future__ import annotations

import difflib
import inspect
import math
import os
from collections.abc import Sequence
from enum import Enum
from typing import Any, ClassVar

import numpy as np
from torch.utils.data import get_worker_info

from ..structures import Sample
from ._io import image_sample, prepare

__all__ = [
    "Transform",
    "registered_transforms",
    "get_transform_class",
    "from_dict",
    "replay",
    "to_range",
    "uniform",
    "randint",
]

# The one registry of transforms: per-sample classes (``Transform``) and batched ops
# (``vistakit.transforms.batch.BatchTransform``) alike, each with its kind.
_REGISTRY: dict[str, tuple[str, type]] = {}
KINDS = ("sample", "batch")


def register_transform(cls: type, *, kind: str) -> type:
    """Enter a public transform class under its name (subclasses of both bases call this themselves)."""
    check_choice(kind, KINDS, owner="register_transform", name="kind")
    if cls.__name__ in _REGISTRY and _REGISTRY[cls.__name__][1] is not cls:
        other = _REGISTRY[cls.__name__][1]
        raise ValueError(f"a transform named {cls.__name__} is registered already ({other.__module__})")
    _REGISTRY[cls.__name__] = (kind, cls)
    return cls


# Bumped in every forked child, so random streams notice a fork without a
# getpid() system call per transform call.
_FORK_GENERATION = 0


def _after_fork() -> None:
    global _FORK_GENERATION
    _FORK_GENERATION += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def registered_transforms(kind: str | None = "sample") -> dict[str, type]:
    """Public transform classes by name.

    Args:
        kind: ``"sample"`` (per-sample ``Transform`` classes: what :func:`from_dict` builds),
            ``"batch"`` (the batched ops of :mod:`vistakit.transforms.batch`), or None for both.
    """
    if kind is not None:
        check_choice(kind, KINDS, owner="registered_transforms", name="kind")
    return {name: cls for name, (k, cls) in sorted(_REGISTRY.items()) if kind in (None, k)}


def get_transform_class(name: str, *, kind: str | None = "sample") -> type:
    """The transform class registered under ``name`` (of ``kind``, as for :func:`registered_transforms`)."""
    known = registered_transforms(kind)
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=1)
    what = "batch op" if kind == "batch" else "transform"
    hint = f"did you mean {close[0]}? " if close else ""
    raise ValueError(f"unknown {what} {name!r}; {hint}known: {', '.join(known)}")


# ----------------------------------------------------------------------------- parameter helpers


def to_range(
    value: float | Sequence[float],
    *,
    owner: str,
    name: str,
    center: float | None = None,
    symmetric: bool = False,
    low: float = -math.inf,
    high: float = math.inf,
) -> tuple[float, float]:
    """Normalise a scalar-or-range argument to a ``(lo, hi)`` tuple and check it.

    A scalar ``v`` means ``(center - v, center + v)`` when ``center`` is given
    (clipped at ``low``), ``(-v, v)`` when ``symmetric``, else ``(v, v)``.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        if center is not None:
            if v < 0:
                raise ValueError(f"{owner}: {name} must be >= 0 when given as one number, got {value}")
            lo, hi = max(center - v, low), center + v
        elif symmetric:
            lo, hi = -abs(v), abs(v)
        else:
            lo, hi = v, v
    else:
        try:
            lo, hi = (float(x) for x in value)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: {name} must be a number or a (low, high) pair, got {value!r}") from None
    if not lo <= hi:
        raise ValueError(f"{owner}: {name} must have low <= high, got ({lo}, {hi})")
    if lo < low or hi > high:
        raise ValueError(f"{owner}: {name} must lie within [{low}, {high}], got ({lo}, {hi})")
    return (lo, hi)


def to_int_range(value: int | Sequence[int], *, owner: str, name: str, low: int = 0) -> tuple[int, int]:
    """Like :func:`to_range` for integers: a scalar means ``(v, v)``."""
    if isinstance(value, (int, np.integer)):
        lo = hi = int(value)
    else:
        try:
            lo, hi = (int(x) for x in value)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: {name} must be an integer or a (low, high) pair, got {value!r}") from None
    if not low <= lo <= hi:
        raise ValueError(f"{owner}: {name} must satisfy {low} <= low <= high, got ({lo}, {hi})")
    return (lo, hi)


def uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """A float drawn uniformly from ``bounds`` (no draw when the range is a single value).

    Scalar draws go through ``rng.random()``: numpy's ``uniform``/``integers``
    spend microseconds parsing arguments, which showed in cheap transforms.
    """
    lo, hi = bounds
    return float(lo) if lo == hi else lo + (hi - lo) * rng.random()


def randint(rng: np.random.Generator, low: int, high: int) -> int:
    """An int drawn uniformly from ``[low, high)``."""
    span = high - low
    if span <= 1:
        return int(low)
    return int(low) + min(int(rng.random() * span), span - 1)


def check_p(p: float, owner: str) -> float:
    """Validate a probability."""
    if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{owner}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def check_choice(value: str, choices: Sequence[str], *, owner: str, name: str) -> str:
    """Validate a string option against its choices."""
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {list(choices)}, got {value!r}")
    return value


def size_pair(value: int | Sequence[int], *, owner: str, name: str = "size") -> tuple[int, int]:
    """``(height, width)`` from an int (square) or a pair."""
    if isinstance(value, (int, np.integer)):
        h = w = int(value)
    else:
        try:
            h, w = (int(x) for x in value)
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: {name} must be an int or (height, width), got {value!r}") from None
    if h <= 0 or w <= 0:
        raise ValueError(f"{owner}: {name} must be positive, got ({h}, {w})")
    return (h, w)


# ----------------------------------------------------------------------------- random streams


class RngSource:
    """A numpy Generator per process, per DataLoader worker and per epoch.

    With a seed, worker ``k`` of epoch ``e`` draws from
    ``SeedSequence(seed, spawn_key=(e, k + 1))`` and the main process from
    ``spawn_key=(e, 0)``: identical inputs give identical outputs, workers differ
    from each other, and nothing depends on how many workers ran before. Without a
    seed, a worker starts from torch's per-worker seed (distinct per worker and
    epoch) and the main process from fresh OS entropy, so forked workers never
    repeat each other's augmentations.
    """

    __slots__ = ("seed", "epoch", "_key", "_gen")

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.epoch = 0
        self._key: tuple | None = None
        self._gen: np.random.Generator | None = None

    def get(self) -> np.random.Generator:
        info = get_worker_info()
        key = (-1 if info is None else info.id, self.epoch, _FORK_GENERATION)
        if key != self._key:
            if self.seed is None:
                ss = np.random.SeedSequence(info.seed) if info is not None else np.random.SeedSequence()
            else:
                ss = np.random.SeedSequence(self.seed, spawn_key=(self.epoch, key[0] + 1))
            self._gen = np.random.default_rng(ss)
            self._key = key
        return self._gen

    def __getstate__(self) -> dict:
        return {"seed": self.seed, "epoch": self.epoch}

    def __setstate__(self, state: dict) -> None:
        self.seed, self.epoch = state["seed"], state["epoch"]
        self._key, self._gen = None, None


# ----------------------------------------------------------------------------- the base class


def _plain(value: Any) -> Any:
    """A JSON/YAML-friendly copy of an argument value."""
    if isinstance(value, Transform):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


class Transform:
    """Base of every transform.

    Call forms (one implementation):

    * ``t(sample)`` with a :class:`~vistakit.structures.Sample` returns a Sample;
    * ``t(image=hwc_uint8, boxes=..., labels=..., masks=..., mask=..., keypoints=...,
      polygons=[Polygons, ...], text_instances=[TextInstance, ...])``
      returns a dict with the same keys (boxes are ``xyxy`` pixels unless
      ``box_format=`` says otherwise);
    * ``t(image)`` with a bare image returns an image of the same kind.

    ``t(..., return_params=True)`` also returns the parameters it applied, which
    :meth:`replay` (or :func:`vistakit.transforms.replay`) applies again.

    Args:
        p: probability of applying the transform.
    """

    #: The transform needs a uint8 image (colour ops); checked on every call.
    uint8_only: ClassVar[bool] = False
    #: What the transform turns the image into, if not uint8 HWC ("float32" or "tensor").
    produces: ClassVar[str | None] = None
    #: Arguments left out of ``to_dict`` (objects that do not serialize).
    not_serialized: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            register_transform(cls, kind="sample")

    def __init__(self, *, p: float = 1.0) -> None:
        self.p = check_p(p, type(self).__name__)
        self._rng = RngSource(None)
        # (min_area, min_visibility) for boxes, set by an enclosing Compose.
        self._box_filter: tuple[float, float] | None = None

    # -- what subclasses implement

    def get_params(self, rng: np.random.Generator, sample: Sample) -> dict[str, Any]:
        """Draw this call's random parameters (plain numbers and lists)."""
        return {}

    def apply(self, sample: Sample, params: dict[str, Any]) -> Sample:
        """Apply ``params`` to every target of a working-form sample."""
        raise NotImplementedError

    # -- machinery

    @property
    def box_filter(self) -> tuple[float, float]:
        """(min_area, min_visibility) applied to boxes; from the enclosing Compose, else (0, 0)."""
        return self._box_filter or (0.0, 0.0)

    def _check_input(self, s: Sample) -> None:
        if not isinstance(s.image, np.ndarray):
            raise ValueError(f"{type(self).__name__}: image is already a tensor; ToTensor must come last")
        if self.uint8_only and s.image.dtype != np.uint8:
            raise ValueError(
                f"{type(self).__name__}: image must be uint8, got {s.image.dtype} "
                "(put Normalize after the colour transforms)"
            )

    def _forward(self, s: Sample, rng: np.random.Generator) -> tuple[Sample, dict[str, Any]]:
        """Run on a working-form sample; returns the sample and the record of what was applied."""
        image = s.image
        if type(image) is not np.ndarray or (self.uint8_only and image.dtype != np.uint8):
            self._check_input(s)
        if self.p < 1.0 and rng.random() >= self.p:
            return s, {"applied": False}
        params = self.get_params(rng, s)
        return self.apply(s, params), {"applied": True, "params": params}

    def _replay(self, s: Sample, record: dict[str, Any]) -> Sample:
        self._check_input(s)
        if not record.get("applied", False):
            return s
        return self.apply(s, record["params"])

    def __call__(self, sample: Any = None, /, *, return_params: bool = False, **targets: Any) -> Any:
        if sample is None and len(targets) == 1:
            # The hot path of pixel pipelines: t(image=<HWC uint8 array>) -> {"image": ...}.
            image = targets.get("image")
            if type(image) is np.ndarray and image.dtype == np.uint8 and image.ndim == 3:
                h, w, c = image.shape
                if h and w and (c == 3 or c == 1):
                    s, record = self._forward(image_sample(image), self._rng.get())
                    out = {"image": s.image}
                    return (out, {"transform": self.to_dict(), **record}) if return_params else out
        s, restore = prepare(sample, targets)
        s, record = self._forward(s, self._rng.get())
        out = restore.finish(s)
        if return_params:
            return out, {"transform": self.to_dict(), **record}
        return out

    def replay(self, params: dict[str, Any], sample: Any = None, /, **targets: Any) -> Any:
        """Apply the parameters a previous call returned to another sample (same call forms)."""
        s, restore = prepare(sample, targets)
        return restore.finish(self._replay(s, params))

    def set_epoch(self, epoch: int) -> None:
        """Start the stream of this epoch (see :class:`RngSource`)."""
        self._rng.epoch = int(epoch)

    # -- serialization

    @classmethod
    def _init_names(cls) -> list[str]:
        names = cls.__dict__.get("_cached_init_names")
        if names is None:
            sig = inspect.signature(cls.__init__)
            names = [
                n
                for n, prm in sig.parameters.items()
                if n != "self"
                and prm.kind in (prm.KEYWORD_ONLY, prm.POSITIONAL_OR_KEYWORD)
                and n not in cls.not_serialized
            ]
            cls._cached_init_names = names
        return names

    def to_dict(self) -> dict[str, Any]:
        """``{"name": class name, **keyword arguments}``, JSON/YAML-friendly."""
        out: dict[str, Any] = {"name": type(self).__name__}
        for n in self._init_names():
            out[n] = _plain(getattr(self, n))
        return out

    def __repr__(self) -> str:
        d = self.to_dict()
        name = d.pop("name")
        args = ", ".join(f"{k}={v!r}" for k, v in d.items())
        return f"{name}({args})"


def _build(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"] in _REGISTRY:
        return from_dict(value)
    if isinstance(value, list):
        return [_build(v) for v in value]
    return value


def from_dict(data: dict[str, Any]) -> Transform:
    """Rebuild a transform (or a whole pipeline) from :meth:`Transform.to_dict` output."""
    if not isinstance(data, dict) or "name" not in data:
        raise ValueError(f"a transform is a mapping with a 'name' key, got {data!r}")
    cls = get_transform_class(data["name"])
    kwargs = {k: _build(v) for k, v in data.items() if k != "name"}
    try:
        return cls(**kwargs)
    except TypeError as e:
        allowed = cls._init_names()
        raise ValueError(f"{data['name']}: bad arguments {sorted(kwargs)} ({e}); accepted: {allowed}") from None


def replay(params: dict[str, Any], sample: Any = None, /, **targets: Any) -> Any:
    """Apply the record a ``return_params=True`` call returned to another sample.

    The record carries the transform's configuration, so no transform object is needed.
    """
    if "transform" not in params:
        raise ValueError("replay: params must be what a call with return_params=True returned")
    t = from_dict(params["transform"])
    return t.replay(params, sample, **targets)
