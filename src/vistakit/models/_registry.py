"""The model registry: names -> builders plus frozen specs of what each model is."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class EvalTransform:
    """The exact preprocessing a set of weights was evaluated with.

    Resize the shorter side to ``resize`` with ``interpolation``, center-crop
    ``crop`` x ``crop``, scale to [0, 1], subtract ``mean`` and divide by ``std``.
    """

    resize: int = 256
    crop: int = 224
    interpolation: str = "bilinear"
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD


@dataclass(frozen=True)
class WeightsLocation:
    """One place a published weights file can be found (a URL or an installed pip package).

    (Not to be confused with the weights *argument* of :func:`vistakit.models.create_model`,
    which :func:`vistakit.models.parse_weights` classifies.)

    Attributes:
        kind: "url" (``location`` is the URL) or "package" (``location`` is
            ``"python_package:relative/path/in/package"``; the pip distribution that
            installs it is ``distribution``).
        location: see ``kind``.
        distribution: pip name to install for a "package" source.
    """

    kind: str
    location: str
    distribution: str | None = None


@dataclass(frozen=True)
class Weights:
    """A published set of weights for a model.

    Attributes:
        tag: how users ask for it (``weights="imagenet"``).
        file_name: the published file name (the cache stores it under this name).
        sha256: the published sha256 or its prefix.
        sources: where the file can come from, tried in order after the cache.
        num_classes: classes of the checkpoint's classifier.
        categories: name of the class list ("imagenet") the classifier predicts.
        top1: published ImageNet-1k top-1 accuracy (%), if known.
        top5: published top-5 accuracy (%), if known.
        transform: the eval preprocessing.
        adapter: name of the key adapter for a foreign layout (None: vistakit's own layout, or
            one that a registered adapter recognises by its keys).
        model_kwargs: constructor options these weights need (e.g. padding mode).
        license: license of the weights.
        origin: who published them (e.g. "torchvision MobileNet_V2_Weights.IMAGENET1K_V1").
        layout: the published file's state_dict keys and shapes, in the compact text of
            :func:`vistakit.models.describe_state_dict`, where recorded (tests hold the
            model against it, so the file loads without downloading it first).
    """

    tag: str
    file_name: str
    sha256: str
    sources: tuple[WeightsLocation, ...]
    num_classes: int = 1000
    categories: str = "imagenet"
    top1: float | None = None
    top5: float | None = None
    transform: EvalTransform = EvalTransform()
    adapter: str | None = None
    model_kwargs: tuple[tuple[str, Any], ...] = ()
    license: str | None = None
    origin: str | None = None
    layout: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ModelSpec:
    """What a registered model is.

    Attributes:
        name: registry name (torchvision's, else timm's).
        family: architecture family ("resnet", "efficientnet", ...).
        paper: the paper that introduced it.
        num_params: parameters at 1000 classes (tests recompute it).
        gflops: giga multiply-accumulates of one image at ``input_size`` (tests recompute it
            with :func:`vistakit.models.count_flops`; torchvision's convention).
        input_size: default square input side.
        min_size: smallest input side the architecture accepts.
        weights: the published weights.
        default_kwargs: constructor options of this variant.
    """

    name: str
    family: str
    paper: str
    num_params: int
    gflops: float
    input_size: int = 224
    min_size: int = 32
    weights: tuple[Weights, ...] = ()
    default_kwargs: tuple[tuple[str, Any], ...] = field(default=())

    def get_weights(self, tag: str) -> Weights:
        """The weights entry called ``tag`` (raises ValueError listing the ones that exist)."""
        for w in self.weights:
            if w.tag == tag:
                return w
        have = [w.tag for w in self.weights] or ["none"]
        raise ValueError(f"model {self.name!r} has no weights {tag!r}; available: {', '.join(have)}")


_BUILDERS: dict[str, Callable[..., nn.Module]] = {}
_SPECS: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator registering a builder under ``spec.name``."""

    def wrap(fn: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if spec.name in _SPECS:
            raise ValueError(f"model {spec.name!r} is registered twice")
        _BUILDERS[spec.name] = fn
        _SPECS[spec.name] = spec
        return fn

    return wrap


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a shell-style ``pattern``, sorted."""
    return sorted(n for n in _SPECS if fnmatch.fnmatch(n, pattern))


def _unknown(name: str) -> ValueError:
    close = difflib.get_close_matches(name, list(_SPECS), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `vistakit models list`"
    return ValueError(f"unknown model {name!r}{hint}")


def model_info(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of a registered model."""
    if name not in _SPECS:
        raise _unknown(name)
    return _SPECS[name]


def get_builder(name: str) -> Callable[..., nn.Module]:
    """The registered builder function of ``name``."""
    if name not in _BUILDERS:
        raise _unknown(name)
    return _BUILDERS[name]


def published_tags() -> set[str]:
    """Every weights tag some registered model publishes ("imagenet", "imagenet_v2", ...).

    A weights argument spelled like one of these is a tag, never a file name, whatever
    the current directory holds (see :func:`vistakit.models.parse_weights`).
    """
    return {w.tag for spec in _SPECS.values() for w in spec.weights}
