"""Squeeze-and-excitation (Hu et al., 2018), in the layout of torchvision and timm."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class SqueezeExcite(nn.Module):
    """Channel attention: global average pool, 1x1 conv down, act, 1x1 conv up, gate.

    Children ``fc1`` and ``fc2`` are 1x1 convolutions with bias, so both torchvision's
    ``SqueezeExcitation`` and timm's ``SEModule`` checkpoints load unchanged.

    Args:
        channels: input and output channels.
        squeeze_channels: channels after ``fc1``.
        activation: activation constructor between the two convolutions.
        gate: gating constructor (``nn.Sigmoid`` or ``nn.Hardsigmoid``).

    Shape:
        (N, C, H, W) -> (N, C, H, W)
    """

    def __init__(
        self,
        channels: int,
        squeeze_channels: int,
        *,
        activation: Callable[..., nn.Module] = nn.ReLU,
        gate: Callable[..., nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)
        self.act = activation()
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)
        s = self.fc2(self.act(self.fc1(s)))
        return x * self.gate(s)
