"""Split attention (Zhang et al., 2020, "ResNeSt: Split-Attention Networks"), in timm's layout."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ._conv import make_divisible


class SplitAttention(nn.Module):
    """A grouped convolution into ``radix`` splits per group, recombined by attention.

    One convolution with ``groups * radix`` groups produces ``radix`` candidate maps
    of ``out_channels`` each; their sum is pooled and passed through a small
    bottleneck (``fc1`` -> norm -> act -> ``fc2``, grouped by ``groups``), whose output is a
    softmax across the radix splits (a sigmoid when ``radix == 1``) that weighs the
    candidates.

    Children: ``conv``, ``bn0``, ``fc1``, ``bn1``, ``fc2`` (timm's ``SplitAttn``).

    Args:
        in_channels: input channels.
        out_channels: output channels (default ``in_channels``).
        kernel_size: kernel of the main convolution.
        stride: its stride.
        padding: its padding (default ``kernel_size // 2 * dilation``).
        dilation: its dilation.
        groups: cardinality (groups of the main convolution before the radix split).
        radix: splits per group.
        rd_ratio: attention bottleneck width as a fraction of ``in_channels * radix`` ...
        rd_divisor: ... rounded to a multiple of this (at least 32).
        norm_layer: normalization constructor, or None.
        activation_layer: activation constructor.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int | None = None,
        *,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | None = None,
        dilation: int = 1,
        groups: int = 1,
        radix: int = 2,
        rd_ratio: float = 0.25,
        rd_divisor: int = 8,
        norm_layer: Callable[[int], nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        if radix < 1:
            raise ValueError(f"SplitAttention needs radix >= 1, got {radix}")
        out_channels = out_channels or in_channels
        self.radix = radix
        self.groups = groups
        mid_channels = out_channels * radix
        attn_channels = make_divisible(in_channels * radix * rd_ratio, rd_divisor, min_value=32)
        if padding is None:
            padding = kernel_size // 2 * dilation
        self.conv = nn.Conv2d(
            in_channels, mid_channels, kernel_size, stride, padding, dilation, groups=groups * radix, bias=False
        )
        self.bn0 = norm_layer(mid_channels) if norm_layer is not None else nn.Identity()
        self.act0 = activation_layer(inplace=True)
        self.fc1 = nn.Conv2d(out_channels, attn_channels, 1, groups=groups)
        self.bn1 = norm_layer(attn_channels) if norm_layer is not None else nn.Identity()
        self.act1 = activation_layer(inplace=True)
        self.fc2 = nn.Conv2d(attn_channels, mid_channels, 1, groups=groups)

    def _radix_softmax(self, a: torch.Tensor) -> torch.Tensor:
        """(N, groups * radix * C', 1, 1) ordered group-major -> (N, radix, groups * C', 1, 1) weights."""
        n = a.shape[0]
        if self.radix == 1:
            return torch.sigmoid(a).view(n, 1, -1, 1, 1)
        a = a.view(n, self.groups, self.radix, -1).transpose(1, 2)
        return torch.softmax(a, dim=1).reshape(n, self.radix, -1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act0(self.bn0(self.conv(x)))
        n, rc, h, w = x.shape
        splits = x.view(n, self.radix, rc // self.radix, h, w)
        gap = splits.sum(dim=1).mean((2, 3), keepdim=True)
        attn = self.fc2(self.act1(self.bn1(self.fc1(gap))))
        return (splits * self._radix_softmax(attn)).sum(dim=1)
