"""Convolution + normalization + activation, and channel rounding."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ._padding import Conv2dSame


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None, round_limit: float = 0.9) -> int:
    """Round ``value`` to the nearest multiple of ``divisor`` without dropping below ``round_limit`` of it.

    This is the channel rounding of MobileNet and EfficientNet (and their published
    checkpoints depend on it).
    """
    min_value = min_value or divisor
    new = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if new < round_limit * value:
        new += divisor
    return new


def conv2d(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int | str | None = None,
    *,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
) -> nn.Conv2d:
    """A convolution with PyTorch's or TensorFlow's padding rule.

    Args:
        padding: an int (that many pixels on every side); None for
            ``(kernel_size - 1) // 2 * dilation`` (symmetric, "same" for odd kernels at
            stride 1); or "same" for TensorFlow's rule (:class:`Conv2dSame`: output side
            ``ceil(input / stride)``, the odd pixel at the end), which checkpoints trained
            in TensorFlow need.

    Returns:
        ``nn.Conv2d`` or :class:`Conv2dSame` (same parameters and state_dict keys).
    """
    if isinstance(padding, str):
        if padding != "same":
            raise ValueError(f"conv2d: padding must be an int, None or 'same', got {padding!r}")
        return Conv2dSame(in_channels, out_channels, kernel_size, stride, dilation=dilation, groups=groups, bias=bias)
    if padding is None:
        padding = (kernel_size - 1) // 2 * dilation
    return nn.Conv2d(
        in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups, bias=bias
    )


class Conv2dNormActivation(nn.Sequential):
    """``Sequential(conv, norm, act)`` with keys ``0``, ``1``, ``2``: torchvision's layout.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: square kernel size.
        stride: stride.
        padding: an int; None for ``(kernel_size - 1) // 2 * dilation``; or "same" for
            TensorFlow's asymmetric rule (see :func:`conv2d`).
        groups: convolution groups (``in_channels`` for depthwise).
        norm_layer: normalization constructor taking the channel count, or None.
        activation_layer: activation constructor, or None.
        dilation: dilation.
        bias: conv bias; defaults to True only when there is no norm layer.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | str | None = None,
        groups: int = 1,
        norm_layer: Callable[[int], nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation: int = 1,
        bias: bool | None = None,
    ) -> None:
        conv, norm, act = _conv_norm_act(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            bias,
        )
        super().__init__(*(m for m in (conv, norm, act) if m is not None))
        self.out_channels = out_channels


def _takes_inplace(layer: Callable[..., nn.Module]) -> bool:
    return layer in (nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.LeakyReLU, nn.ELU)


def _conv_norm_act(
    in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer, activation_layer, dilation, bias
) -> tuple[nn.Module, nn.Module | None, nn.Module | None]:
    """The conv, norm (or None) and activation (or None) both conv-norm-act layouts are made of."""
    if bias is None:
        bias = norm_layer is None
    conv = conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups, bias=bias)
    norm = norm_layer(out_channels) if norm_layer is not None else None
    if activation_layer is None:
        act = None
    else:
        act = activation_layer(inplace=True) if _takes_inplace(activation_layer) else activation_layer()
    return conv, norm, act


class ConvNormAct(nn.Module):
    """Conv + norm + act with named children ``conv``, ``bn``, ``act``: timm's layout.

    Same arguments as :class:`Conv2dNormActivation`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | str | None = None,
        groups: int = 1,
        norm_layer: Callable[[int], nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation: int = 1,
        bias: bool | None = None,
    ) -> None:
        super().__init__()
        conv, norm, act = _conv_norm_act(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            bias,
        )
        self.conv = conv
        self.bn = norm if norm is not None else nn.Identity()
        self.act = act if act is not None else nn.Identity()
        self.out_channels = out_channels

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))
