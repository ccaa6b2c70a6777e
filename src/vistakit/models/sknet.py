"""Selective Kernel Networks (Li et al., 2019), in timm's layout.

A ResNet (:class:`~vistakit.models.resnet.ResNet`) whose 3x3 convolutions are
:class:`~vistakit.layers.SelectiveKernel` convolutions: a 3x3 and a dilated 3x3 path
mixed by attention. The blocks use timm's conv/bn/act children (``conv1.conv``,
``conv1.bn``, ...), so timm's checkpoints load unchanged.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..layers import ConvNormAct, DropPath, SelectiveKernel
from ._published import timm_hub_weights
from ._registry import ModelSpec, register_model
from .resnet import ResNet, SeFactory


class SelectiveKernelBasic(nn.Module):
    """Basic block with a selective-kernel first convolution.

    Args:
        inplanes: input channels.
        planes: output channels.
        stride: stride of the first convolution.
        downsample: shortcut projection, or None.
        groups: must be 1.
        base_width: must be 64.
        sk_kwargs: options of :class:`~vistakit.layers.SelectiveKernel`.
        se_layer: squeeze-excitation constructor, or None.
        drop_path: stochastic-depth probability of the residual branch.

    Shape:
        (N, inplanes, H, W) -> (N, planes, H / stride, W / stride)
    """

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        sk_kwargs: dict[str, Any] | None = None,
        se_layer: SeFactory | None = None,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(
                f"SelectiveKernelBasic supports only groups=1 and base_width=64, got {groups} and {base_width}"
            )
        self.conv1 = SelectiveKernel(inplanes, planes, stride=stride, **(sk_kwargs or {}))
        self.conv2 = ConvNormAct(planes, planes, 3, activation_layer=None)
        self.se = se_layer(planes) if se_layer is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.downsample = downsample
        self.act = nn.ReLU(inplace=True)

    def zero_init_last(self) -> None:
        """Zero the last BN scale, so the block starts as the identity."""
        nn.init.zeros_(self.conv2.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.se(self.conv2(self.conv1(x)))
        return self.act(self.drop_path(out) + shortcut)


class SelectiveKernelBottleneck(nn.Module):
    """Bottleneck block whose grouped 3x3 is a selective-kernel convolution.

    Args: as :class:`SelectiveKernelBasic`, with ``groups`` (cardinality) and ``base_width`` free.

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
        sk_kwargs: dict[str, Any] | None = None,
        se_layer: SeFactory | None = None,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        out = planes * self.expansion
        self.conv1 = ConvNormAct(inplanes, width, 1)
        self.conv2 = SelectiveKernel(width, width, stride=stride, groups=groups, **(sk_kwargs or {}))
        self.conv3 = ConvNormAct(width, out, 1, activation_layer=None)
        self.se = se_layer(out) if se_layer is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.downsample = downsample
        self.act = nn.ReLU(inplace=True)

    def zero_init_last(self) -> None:
        """Zero the last BN scale, so the block starts as the identity."""
        nn.init.zeros_(self.conv3.bn.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.se(self.conv3(self.conv2(self.conv1(x))))
        return self.act(self.drop_path(out) + shortcut)


_PAPER = "Li et al., 2019, Selective Kernel Networks"
# timm's SKNet-18/34 split the input channels across the two paths to keep the parameter count down
_SK_SPLIT = {"rd_ratio": 1 / 8, "rd_divisor": 16, "split_input": True}


@register_model(
    ModelSpec(
        name="skresnet18",
        family="sknet",
        paper=_PAPER,
        num_params=11958056,
        gflops=1.8143,
        min_size=1,
        weights=(timm_hub_weights("timm/skresnet18.ra_in1k", crop_pct=0.875, interpolation="bicubic"),),
    )
)
def skresnet18(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """SK-ResNet-18 (timm): basic blocks (2, 2, 2, 2) with split-input selective kernels."""
    return ResNet(
        SelectiveKernelBasic,
        (2, 2, 2, 2),
        num_classes=num_classes,
        in_chans=in_chans,
        block_kwargs={"sk_kwargs": _SK_SPLIT},
        **kwargs,
    )


@register_model(
    ModelSpec(
        name="skresnet34",
        family="sknet",
        paper=_PAPER,
        num_params=22282376,
        gflops=3.6642,
        min_size=1,
        weights=(timm_hub_weights("timm/skresnet34.ra_in1k", crop_pct=0.875, interpolation="bicubic"),),
    )
)
def skresnet34(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """SK-ResNet-34 (timm): basic blocks (3, 4, 6, 3) with split-input selective kernels."""
    return ResNet(
        SelectiveKernelBasic,
        (3, 4, 6, 3),
        num_classes=num_classes,
        in_chans=in_chans,
        block_kwargs={"sk_kwargs": _SK_SPLIT},
        **kwargs,
    )


@register_model(
    ModelSpec(
        name="skresnext50_32x4d",
        family="sknet",
        paper=_PAPER,
        num_params=27479784,
        gflops=4.4627,
        min_size=1,
        weights=(timm_hub_weights("timm/skresnext50_32x4d.ra_in1k", crop_pct=0.875, interpolation="bicubic"),),
    )
)
def skresnext50_32x4d(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """SK-ResNeXt-50 32x4d (timm; the SKNet-50 of the paper): both paths see the whole input."""
    return ResNet(
        SelectiveKernelBottleneck,
        (3, 4, 6, 3),
        num_classes=num_classes,
        in_chans=in_chans,
        groups=32,
        width_per_group=4,
        block_kwargs={"sk_kwargs": {"rd_ratio": 1 / 16, "rd_divisor": 32, "split_input": False}},
        **kwargs,
    )
