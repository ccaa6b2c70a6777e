"""The inverted-residual family of blocks: MobileNetV2/V3's bottleneck, EfficientNet's MBConv and FusedMBConv.

Both blocks keep torchvision's module layout, so the published MobileNet and
EfficientNet checkpoints load without renaming keys.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ._conv import Conv2dNormActivation
from ._drop import DropPath
from ._squeeze_excite import SqueezeExcite

Layer = Callable[..., nn.Module]


class _ResidualBranch(nn.Module):
    """``body(x)``, plus ``x`` (through stochastic depth) when input and output shapes agree.

    Subclasses register their body under the name in ``self.body_name``.
    """

    body_name: str = "block"
    use_residual: bool
    drop_path: DropPath

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, H / stride, W / stride)."""
        out = getattr(self, self.body_name)(x)
        if self.use_residual:
            out = self.drop_path(out) + x
        return out


class InvertedResidual(_ResidualBranch):
    """Expand (1x1) -> depthwise (kxk) -> optional squeeze-excite -> linear projection (1x1).

    MobileNetV2's bottleneck, MobileNetV3's block and EfficientNet's MBConv are all
    this block with different options. The residual connection is used when
    ``stride == 1`` and ``in_channels == out_channels``; stochastic depth drops it.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        expanded_channels: channels of the depthwise stage; no expansion conv when
            equal to ``in_channels``.
        kernel_size: depthwise kernel size.
        stride: depthwise stride.
        dilation: depthwise dilation.
        activation: activation after expansion and depthwise conv (ReLU6, Hardswish, SiLU, ...).
        norm_layer: normalization constructor taking the channel count.
        se_channels: squeeze channels of the squeeze-excite module; 0 for none.
        se_activation: activation inside squeeze-excite.
        se_gate: gate of squeeze-excite (``nn.Sigmoid`` or ``nn.Hardsigmoid``).
        drop_path: stochastic-depth probability of the residual branch.
        padding: padding of the depthwise conv: None (symmetric, ``(k - 1) // 2 * dilation``)
            or "same" (TensorFlow's rule, for TensorFlow-trained checkpoints; see
            :func:`vistakit.layers.conv2d`).
        layout: ``"block"`` (torchvision MobileNetV3 / EfficientNet: children in
            ``block``, the projection a conv-norm pair ``block.N.0`` / ``block.N.1``) or
            ``"conv"`` (torchvision MobileNetV2: children in ``conv``, the projection
            conv and norm as two direct children ``conv.N`` / ``conv.N+1``).

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H', W'), H' = ceil(H / stride).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        expanded_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        dilation: int = 1,
        activation: Layer = nn.ReLU6,
        norm_layer: Layer = nn.BatchNorm2d,
        se_channels: int = 0,
        se_activation: Layer = nn.ReLU,
        se_gate: Layer = nn.Sigmoid,
        drop_path: float = 0.0,
        layout: str = "block",
        padding: str | None = None,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride must be 1 or 2, got {stride}")
        if layout not in ("block", "conv"):
            raise ValueError(f"InvertedResidual: layout must be 'block' or 'conv', got {layout!r}")
        layers: list[nn.Module] = []
        if expanded_channels != in_channels:
            layers.append(
                Conv2dNormActivation(
                    in_channels, expanded_channels, 1, norm_layer=norm_layer, activation_layer=activation
                )
            )
        layers.append(
            Conv2dNormActivation(
                expanded_channels,
                expanded_channels,
                kernel_size,
                stride,
                padding,
                groups=expanded_channels,
                dilation=dilation,
                norm_layer=norm_layer,
                activation_layer=activation,
            )
        )
        if se_channels > 0:
            layers.append(SqueezeExcite(expanded_channels, se_channels, activation=se_activation, gate=se_gate))
        if layout == "block":
            layers.append(
                Conv2dNormActivation(expanded_channels, out_channels, 1, norm_layer=norm_layer, activation_layer=None)
            )
        else:
            layers += [nn.Conv2d(expanded_channels, out_channels, 1, bias=False), norm_layer(out_channels)]
        self.body_name = layout
        self.add_module(layout, nn.Sequential(*layers))
        self.use_residual = stride == 1 and in_channels == out_channels
        self.drop_path = DropPath(drop_path)
        self.out_channels = out_channels


class FusedMBConv(_ResidualBranch):
    """EfficientNetV2's fused block: one kxk conv (expansion and stride) -> linear projection (1x1).

    Without expansion (``expanded_channels == in_channels``) the block is a single
    kxk conv-norm-act straight to ``out_channels``, as in torchvision.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        expanded_channels: output channels of the kxk conv.
        kernel_size: kernel size of the fused conv.
        stride: stride of the fused conv.
        activation: activation after the fused conv.
        norm_layer: normalization constructor.
        drop_path: stochastic-depth probability of the residual branch.
        padding: padding of the fused conv: None (symmetric) or "same" (TensorFlow's rule).

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H', W'), H' = ceil(H / stride).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        expanded_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        activation: Layer = nn.SiLU,
        norm_layer: Layer = nn.BatchNorm2d,
        drop_path: float = 0.0,
        padding: str | None = None,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"FusedMBConv: stride must be 1 or 2, got {stride}")
        if expanded_channels != in_channels:
            layers = [
                Conv2dNormActivation(
                    in_channels,
                    expanded_channels,
                    kernel_size,
                    stride,
                    padding,
                    norm_layer=norm_layer,
                    activation_layer=activation,
                ),
                Conv2dNormActivation(expanded_channels, out_channels, 1, norm_layer=norm_layer, activation_layer=None),
            ]
        else:
            layers = [
                Conv2dNormActivation(
                    in_channels,
                    out_channels,
                    kernel_size,
                    stride,
                    padding,
                    norm_layer=norm_layer,
                    activation_layer=activation,
                )
            ]
        self.block = nn.Sequential(*layers)
        self.use_residual = stride == 1 and in_channels == out_channels
        self.drop_path = DropPath(drop_path)
        self.out_channels = out_channels
