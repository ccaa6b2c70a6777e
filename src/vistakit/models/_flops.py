"""The project's own FLOP counter: multiply-accumulates of convolutions and matrix products."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten


def _conv_macs(args, out) -> int:
    weight = args[1]
    # out: (N, O, *spatial); weight: (O, C/groups, *kernel)
    return int(out.numel() * math.prod(weight.shape[1:]))


def _mm_macs(args, out) -> int:
    a = args[0]
    return int(out.numel() * a.shape[-1])


def _addmm_macs(args, out) -> int:
    return int(out.numel() * args[1].shape[-1])


def _sdpa_macs(args, out) -> int:
    q, k = args[0], args[1]
    # q @ k^T and attn @ v
    return int(q.numel() * k.shape[-2] + out.numel() * k.shape[-2])


_RULES = {
    aten.convolution.default: _conv_macs,
    aten.mm.default: _mm_macs,
    aten.bmm.default: _mm_macs,
    aten.addmm.default: _addmm_macs,
    aten.baddbmm.default: _addmm_macs,
}
for _name in (
    "_scaled_dot_product_flash_attention_for_cpu",
    "_scaled_dot_product_efficient_attention",
    "_scaled_dot_product_flash_attention",
):
    _op = getattr(aten, _name, None)
    if _op is not None:
        _RULES[_op.default] = lambda args, out: _sdpa_macs(args, out[0] if isinstance(out, tuple) else out)


class _Counter(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.macs = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        rule = _RULES.get(func)
        if rule is not None:
            self.macs += rule(args, out)
        return out


@torch.no_grad()
def count_flops(model: nn.Module, input_size: int | tuple[int, int], *, in_chans: int = 3) -> float:
    """Giga multiply-accumulates of one forward pass of one image (torchvision's "GFLOPS").

    Counts convolutions, linear layers and matrix products (attention included);
    element-wise work (norms, activations, pooling) is left out, as in the
    published tables.

    Args:
        model: any module taking (1, in_chans, H, W), on any device and in any float dtype.
        input_size: H = W, or (H, W).
        in_chans: input channels.

    Returns:
        GMACs as a float.
    """
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    was_training = model.training
    model.eval()
    p = next(model.parameters(), None)  # the probe lives where the model does (CUDA, float64, meta...)
    x = torch.zeros(
        1,
        in_chans,
        h,
        w,
        device=p.device if p is not None else None,
        dtype=p.dtype if p is not None and p.is_floating_point() else None,
    )
    with _Counter() as c:
        model(x)
    model.train(was_training)
    return c.macs / 1e9
