"""Perceptual distance: channel-normalized VGG16 feature maps compared layer by layer.

The network side of the distance (VGG16 from :mod:`vistakit.models`, cut after the
deepest chosen layer, frozen); the comparison of its feature maps is
:func:`vistakit.metrics.feature_map_distance`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import torch
from torch import nn

from ..metrics import feature_map_distance
from ..models import create_model

# Index of each ReLU in torchvision's (and vistakit's) vgg16.features.
VGG16_LAYERS = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22, "relu5_3": 29}
DEFAULT_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class PerceptualLoss(nn.Module):
    """Differentiable perceptual distance between image batches.

    For each chosen layer the VGG16 feature maps of both images are normalized to
    unit length along channels at every position, their squared difference is summed
    over channels and averaged over positions; the layers' values are averaged. The
    backbone is frozen and always runs in eval mode; gradients flow to the inputs.

    Args:
        backbone: only "vgg16" is supported.
        layers: names among relu1_2, relu2_2, relu3_3, relu4_3, relu5_3.
        weights: backbone weights: "imagenet" (the published torchvision VGG16 file,
            from the cache or the published URL), a checkpoint path, or None (random
            init; distances are then only useful for relative comparisons).

    Shape:
        a, b: (N, 3, H, W) floats in [0, 1] (or uint8 0..255). Output: (N,) distances.
    """

    def __init__(
        self,
        *,
        backbone: str = "vgg16",
        layers: Sequence[str] = DEFAULT_LAYERS,
        weights: str | os.PathLike | None = "imagenet",
    ) -> None:
        super().__init__()
        if backbone != "vgg16":
            raise ValueError(f"perceptual backbone {backbone!r} is not supported; use 'vgg16'")
        unknown = [layer for layer in layers if layer not in VGG16_LAYERS]
        if unknown or not layers:
            raise ValueError(f"unknown layers {unknown or '(none given)'}; choose from {list(VGG16_LAYERS)}")
        vgg = create_model("vgg16", weights=weights)
        last = max(VGG16_LAYERS[layer] for layer in layers)
        self.features = vgg.features[: last + 1]
        self.taps = sorted(VGG16_LAYERS[layer] for layer in layers)
        self.layers = tuple(layers)
        self.weights = weights
        for p in self.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        self.features.eval()

    def train(self, mode: bool = True) -> PerceptualLoss:
        super().train(mode)
        self.features.eval()  # the backbone stays in eval mode
        return self

    def _prepare(self, x: torch.Tensor, name: str) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"{name}: expected (N, 3, H, W) images, got {tuple(x.shape)}")
        if x.dtype == torch.uint8:
            x = x.float() / 255.0
        return (x - self.mean) / self.std

    def _taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape != b.shape:
            raise ValueError(f"images to compare must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
        return feature_map_distance(self._taps(self._prepare(a, "a")), self._taps(self._prepare(b, "b")))


def perceptual_distance(
    a: torch.Tensor,
    b: torch.Tensor,
    *,
    backbone: str = "vgg16",
    layers: Sequence[str] = DEFAULT_LAYERS,
    weights: str | os.PathLike | None = "imagenet",
) -> torch.Tensor:
    """Perceptual distances between two image batches (see :class:`PerceptualLoss`).

    The network is built once per (backbone, layers, weights) and reused by later calls.
    ``weights=None`` (random initialization) is for tests only: real use wants
    ``"imagenet"``, torchvision's VGG16 file from the cache or its published URL.

    Returns:
        (N,) distances; 0 for identical images.
    """
    loss = _shared_loss(backbone, tuple(layers), weights)
    with torch.no_grad():
        return loss(a.to(loss.mean.device), b.to(loss.mean.device))


@functools.lru_cache(maxsize=2)
def _shared_loss(backbone: str, layers: tuple[str, ...], weights: str | os.PathLike | None) -> PerceptualLoss:
    """One frozen network per configuration: repeated calls do not rebuild (and reload) VGG16."""
    return PerceptualLoss(backbone=backbone, layers=layers, weights=weights)
