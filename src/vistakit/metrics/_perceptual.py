"""Perceptual distance from feature maps: channel-normalized maps compared layer by layer (the maths).

The network that makes the maps (VGG16) is :class:`vistakit.features.PerceptualLoss`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def feature_map_distance(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor], *, eps: float = 1e-10) -> torch.Tensor:
    """Distance of two images' feature maps, layer by layer (differentiable).

    For each layer, both maps are divided by their length along channels at every
    position (plus ``eps``), the squared difference is summed over channels and
    averaged over positions; the layers' values are averaged. For 1x1 maps this is
    ``2 - 2 cos(a, b)`` per layer.

    Args:
        a, b: one map per layer, (N, C_l, H_l, W_l), the same shapes in both.
        eps: added to the channel norms (all-zero positions stay finite).

    Returns:
        (N,) distances; 0 for identical maps.
    """
    if len(a) != len(b) or not len(a):
        raise ValueError(f"expected the same, non-zero number of layers, got {len(a)} and {len(b)}")
    dists = []
    for i, (xa, xb) in enumerate(zip(a, b)):
        if xa.shape != xb.shape or xa.ndim != 4:
            raise ValueError(
                f"layer {i}: expected two (N, C, H, W) maps of one shape, got {tuple(xa.shape)} and {tuple(xb.shape)}"
            )
        na = xa / (xa.pow(2).sum(1, keepdim=True).sqrt() + eps)
        nb = xb / (xb.pow(2).sum(1, keepdim=True).sqrt() + eps)
        dists.append((na - nb).pow(2).sum(1).mean((1, 2)))
    return torch.stack(dists).mean(0)
