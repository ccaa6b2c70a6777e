"""TensorFlow's "SAME" padding for convolutions, static or dynamic.

TensorFlow pads so that the output side is ``ceil(input / stride)`` and puts the odd
pixel of an odd total at the end (bottom / right); PyTorch's usual
``padding=(k - 1) // 2`` pads both sides equally. The two agree for stride 1 and odd
kernels, but a stride-2 3x3 conv on an even input pads (0, 1) in TensorFlow and (1, 1)
in PyTorch, which shifts the sampling grid by one pixel. Checkpoints trained in
TensorFlow (EfficientNet-Lite, the "tf_" ports of timm) need the TensorFlow rule.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

Size2 = tuple[int, int]


def same_padding(size: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of one spatial side under TensorFlow's "SAME" rule.

    The output side is ``ceil(size / stride)``; the total padding is whatever that
    needs, ``max((out - 1) * stride + (kernel_size - 1) * dilation + 1 - size, 0)``,
    split with the extra pixel after: ``before = total // 2``.

    >>> same_padding(224, 3, 2)   # 112 outputs need 225 inputs: one pixel, at the end
    (0, 1)
    >>> same_padding(225, 3, 2)   # 113 outputs need 227 inputs: one each side
    (1, 1)
    """
    if size < 1 or kernel_size < 1 or stride < 1 or dilation < 1:
        raise ValueError(
            f"same_padding: size, kernel_size, stride and dilation must be >= 1, "
            f"got {size}, {kernel_size}, {stride}, {dilation}"
        )
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel_size - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _pair(v: int | Size2) -> Size2:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


class Conv2dSame(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow's "SAME" padding (see :func:`same_padding`).

    The parameters and state_dict keys are those of ``nn.Conv2d`` (``weight``,
    ``bias``), so a model keeps its checkpoint layout whichever padding it uses.

    Where the rule is symmetric whatever the input size (stride 1 and an odd
    effective kernel ``(k - 1) * dilation + 1``), the padding goes into the
    convolution itself and no padding op runs. Otherwise:

    * dynamic (``image_size=None``): the padding is computed from each input's size;
    * static (``image_size`` given, or after :meth:`fix_input_size`): computed once
      for that input size, as exported graphs want; another input size is an error
      (the fixed padding would be wrong for it).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: kernel size (int or (kh, kw)).
        stride: stride (int or (sh, sw)).
        dilation: dilation (int or (dh, dw)).
        groups: convolution groups.
        bias: add a bias.
        image_size: input size (side or (H, W)) for static padding; None for dynamic.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, ceil(H / sh), ceil(W / sw)).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Size2,
        stride: int | Size2 = 1,
        *,
        dilation: int | Size2 = 1,
        groups: int = 1,
        bias: bool = True,
        image_size: int | Size2 | None = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding=0, dilation=dilation, groups=groups, bias=bias
        )
        effective = [(k - 1) * d for k, d in zip(self.kernel_size, self.dilation)]
        self.symmetric = all(s == 1 for s in self.stride) and all(e % 2 == 0 for e in effective)
        if self.symmetric:
            self.padding = tuple(e // 2 for e in effective)
        self.image_size: Size2 | None = None
        self._static_pad: tuple[int, int, int, int] | None = None
        if image_size is not None:
            self.fix_input_size(image_size)

    def pad_for(self, height: int, width: int) -> tuple[int, int, int, int]:
        """The padding of an input of ``height`` x ``width`` as ``F.pad`` takes it: (left, right, top, bottom)."""
        top, bottom = same_padding(height, self.kernel_size[0], self.stride[0], self.dilation[0])
        left, right = same_padding(width, self.kernel_size[1], self.stride[1], self.dilation[1])
        return left, right, top, bottom

    def fix_input_size(self, image_size: int | Size2) -> None:
        """Switch to static padding computed for inputs of ``image_size`` (side or (H, W))."""
        h, w = _pair(image_size)
        self.image_size = (h, w)
        self._static_pad = self.pad_for(h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, ceil(H / sh), ceil(W / sw))."""
        if self.symmetric:
            return super().forward(x)
        h, w = x.shape[-2:]
        if self._static_pad is not None:
            if (h, w) != self.image_size:
                raise ValueError(
                    f"Conv2dSame: static 'same' padding was computed for {self.image_size[0]}x{self.image_size[1]} "
                    f"inputs, got {h}x{w}; build the model for this input size or use dynamic padding"
                )
            pad = self._static_pad
        else:
            pad = self.pad_for(int(h), int(w))
        if any(pad):
            x = F.pad(x, pad)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        mode = "symmetric" if self.symmetric else ("static" if self.image_size else "dynamic")
        extra = f", input {self.image_size[0]}x{self.image_size[1]}" if self.image_size and not self.symmetric else ""
        return f"{super().extra_repr()}, same={mode}{extra}"


@torch.no_grad()
def freeze_same_padding(model: nn.Module, input_size: int | Size2, *, in_chans: int = 3) -> int:
    """Fix every :class:`Conv2dSame` of ``model`` to static padding for network inputs of ``input_size``.

    One forward pass of a zero image (batch 1, eval mode, no gradients) records the
    input size each convolution sees, whatever the topology; the model's training
    mode is restored afterwards and nothing else changes.

    Args:
        model: any module containing :class:`Conv2dSame` layers, taking (1, in_chans, H, W).
        input_size: the network's input side, or (H, W).
        in_chans: input channels.

    Returns:
        How many convolutions now pad statically (those whose padding depends on the size).
    """
    convs = [m for m in model.modules() if isinstance(m, Conv2dSame) and not m.symmetric]
    seen: dict[Conv2dSame, Size2] = {}

    def record(module: nn.Module, args: tuple) -> None:
        seen[module] = tuple(args[0].shape[-2:])

    handles = [m.register_forward_pre_hook(record) for m in convs]
    for m in convs:  # a conv fixed before must accept the probe's size: run the probe dynamically
        m._static_pad, m.image_size = None, None
    h, w = _pair(input_size)
    param = next(model.parameters(), None)
    x = torch.zeros(
        1,
        in_chans,
        h,
        w,
        device=param.device if param is not None else None,
        dtype=param.dtype if param is not None and param.is_floating_point() else None,
    )
    was_training = model.training
    model.eval()
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    for m, size in seen.items():
        m.fix_input_size(size)
    return len(seen)
