"""ResNeSt (Zhang et al., 2020, "ResNeSt: Split-Attention Networks"), in timm's layout.

A ResNet-D (deep 3x3 stem, average-pool shortcuts) whose bottleneck 3x3 is a
:class:`~vistakit.layers.SplitAttention` convolution; a strided block downsamples with
a 3x3 average pool after it ("avd") instead of a strided convolution.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..layers import DropPath, SplitAttention
from ._published import timm_hub_weights
from ._registry import ModelSpec, register_model
from .resnet import ResNet


class ResNestBottleneck(nn.Module):
    """1x1 reduce, split-attention 3x3, (3x3 average pool when strided), 1x1 expand by 4.

    Args:
        inplanes: input channels.
        planes: bottleneck planes (output is ``4 * planes``).
        stride: block stride.
        downsample: shortcut projection, or None.
        groups: cardinality.
        base_width: width per group (the 3x3 width is ``int(planes * base_width / 64) * groups``).
        radix: split-attention splits.
        avd: downsample with an average pool instead of the strided 3x3.
        avd_first: pool before the 3x3 rather than after.
        drop_path: stochastic-depth probability of the residual branch (timm leaves it out;
            added here for training recipes that want it, off by default).

    Shape:
        (N, inplanes, H, W) -> (N, 4 * planes, H / stride, W / stride)
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        radix: int = 2,
        avd: bool = True,
        avd_first: bool = False,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        avd_stride = stride if avd and stride > 1 else 0
        conv_stride = 1 if avd_stride else stride
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.act1 = nn.ReLU(inplace=True)
        # count_include_pad=True (nn.AvgPool2d's default) as in the published model
        self.avd_first = nn.AvgPool2d(3, avd_stride, padding=1) if avd_stride and avd_first else nn.Identity()
        self.conv2 = SplitAttention(width, width, kernel_size=3, stride=conv_stride, groups=groups, radix=radix)
        self.avd_last = nn.AvgPool2d(3, avd_stride, padding=1) if avd_stride and not avd_first else nn.Identity()
        self.conv3 = nn.Conv2d(width, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.downsample = downsample
        self.act3 = nn.ReLU(inplace=True)

    def zero_init_last(self) -> None:
        """Zero the last BN scale, so the block starts as the identity."""
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.avd_last(self.conv2(self.avd_first(out)))
        out = self.bn3(self.conv3(out))
        return self.act3(self.drop_path(out) + shortcut)


@register_model(
    ModelSpec(
        name="resnest50d",
        family="resnest",
        paper="Zhang et al., 2020, ResNeSt: Split-Attention Networks",
        num_params=27483240,
        gflops=5.3712,
        min_size=1,
        weights=(timm_hub_weights("timm/resnest50d.in1k", crop_pct=0.875, interpolation="bilinear"),),
    )
)
def resnest50d(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNeSt-50d (timm): deep stem of width 32, average-pool shortcuts, radix 2, avd after the 3x3."""
    return ResNet(
        ResNestBottleneck,
        (3, 4, 6, 3),
        num_classes=num_classes,
        in_chans=in_chans,
        stem_type="deep",
        stem_width=32,
        avg_down=True,
        block_kwargs={"radix": 2, "avd": True, "avd_first": False},
        **kwargs,
    )
