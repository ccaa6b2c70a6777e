"""Selective-kernel convolution (Li et al., 2019, "Selective Kernel Networks"), in timm's layout."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from ._conv import ConvNormAct, make_divisible


class SelectiveKernelAttention(nn.Module):
    """Softmax attention over the paths of a :class:`SelectiveKernel`.

    Sum the paths, average-pool, 1x1 conv down (no bias), norm, act, 1x1 conv up to
    ``channels * num_paths`` (no bias), softmax across the paths.

    Children: ``fc_reduce``, ``bn``, ``act``, ``fc_select`` (timm's ``SelectiveKernelAttn``).

    Shape:
        (N, num_paths, C, H, W) -> (N, num_paths, C, 1, 1) weights summing to 1 over the paths.
    """

    def __init__(
        self,
        channels: int,
        *,
        num_paths: int = 2,
        attn_channels: int = 32,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        self.num_paths = num_paths
        self.fc_reduce = nn.Conv2d(channels, attn_channels, 1, bias=False)
        self.bn = norm_layer(attn_channels)
        self.act = activation_layer(inplace=True)
        self.fc_select = nn.Conv2d(attn_channels, channels * num_paths, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] != self.num_paths:
            raise ValueError(f"SelectiveKernelAttention expects (N, {self.num_paths}, C, H, W), got {tuple(x.shape)}")
        s = x.sum(1).mean((2, 3), keepdim=True)
        s = self.fc_select(self.act(self.bn(self.fc_reduce(s))))
        n, c = s.shape[:2]
        return torch.softmax(s.view(n, self.num_paths, c // self.num_paths, 1, 1), dim=1)


class SelectiveKernel(nn.Module):
    """Several conv-norm-act paths with different receptive fields, mixed by learned attention.

    With ``keep_3x3`` every path is a 3x3 convolution and a kernel size ``k`` becomes
    dilation ``(k - 1) // 2`` (a 5x5 path is a 3x3 at dilation 2). With ``split_input``
    the input channels are split evenly across the paths (timm's SKNet-18/34 trick to
    keep the parameter count down); otherwise every path sees the whole input.

    Children: ``paths`` (a list of :class:`~vistakit.layers.ConvNormAct`) and ``attn``
    (:class:`SelectiveKernelAttention`), so timm's ``SelectiveKernel`` checkpoints load unchanged.

    Args:
        in_channels: input channels.
        out_channels: output channels (default ``in_channels``).
        kernel_sizes: one kernel size per path.
        stride: stride of every path.
        dilation: base dilation, multiplied into each path's.
        groups: convolution groups of every path (capped at ``out_channels``).
        rd_ratio: attention channels as a fraction of ``out_channels`` ...
        rd_divisor: ... rounded to a multiple of this.
        keep_3x3: turn larger kernels into dilated 3x3s.
        split_input: split the input channels across the paths.
        norm_layer: normalization constructor.
        activation_layer: activation constructor.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int | None = None,
        *,
        kernel_sizes: Sequence[int] = (3, 5),
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
        rd_ratio: float = 1.0 / 16,
        rd_divisor: int = 8,
        keep_3x3: bool = True,
        split_input: bool = True,
        norm_layer: Callable[[int], nn.Module] = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        out_channels = out_channels or in_channels
        kernel_sizes = list(kernel_sizes)
        if len(kernel_sizes) < 2 or any(k < 3 or k % 2 == 0 for k in kernel_sizes):
            raise ValueError(f"SelectiveKernel needs two or more odd kernel sizes >= 3, got {kernel_sizes}")
        if keep_3x3:
            dilations = [dilation * (k - 1) // 2 for k in kernel_sizes]
            kernel_sizes = [3] * len(kernel_sizes)
        else:
            dilations = [dilation] * len(kernel_sizes)
        self.num_paths = len(kernel_sizes)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.split_input = split_input
        path_in = in_channels
        if split_input:
            if in_channels % self.num_paths:
                raise ValueError(
                    f"SelectiveKernel with split_input: in_channels={in_channels} is not divisible by "
                    f"the {self.num_paths} paths"
                )
            path_in = in_channels // self.num_paths
        groups = min(out_channels, groups)
        self.paths = nn.ModuleList(
            ConvNormAct(
                path_in,
                out_channels,
                k,
                stride,
                groups=groups,
                dilation=d,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
            )
            for k, d in zip(kernel_sizes, dilations)
        )
        attn_channels = make_divisible(out_channels * rd_ratio, rd_divisor)
        self.attn = SelectiveKernelAttention(
            out_channels,
            num_paths=self.num_paths,
            attn_channels=attn_channels,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.split_input:
            chunks = torch.split(x, self.in_channels // self.num_paths, 1)
            paths = [path(chunk) for path, chunk in zip(self.paths, chunks)]
        else:
            paths = [path(x) for path in self.paths]
        stacked = torch.stack(paths, dim=1)
        return (stacked * self.attn(stacked)).sum(dim=1)
