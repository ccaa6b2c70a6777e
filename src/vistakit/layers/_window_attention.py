"""Shifted-window multi-head self-attention (Swin Transformer v1 and v2), written once.

The pieces are plain functions so that they can be tested on their own:

* :func:`window_partition` / :func:`window_reverse` cut a channels-last map into
  non-overlapping windows of tokens and put them back;
* :func:`shifted_window_mask` is the additive mask that keeps tokens of a cyclically
  shifted map from attending across the seams of the shift;
* :func:`relative_position_index` and :func:`log_spaced_relative_coords` index the
  relative position bias (a learned table in v1, a small MLP over log-spaced
  coordinates in v2).

:class:`ShiftedWindowAttention` and :class:`ShiftedWindowAttentionV2` combine them
with the parameter and buffer names of torchvision's ``ShiftedWindowAttention`` and
``ShiftedWindowAttentionV2``, so torchvision's published Swin checkpoints load as they
are. Like torchvision, the layers take any map size: the map is zero-padded on the
bottom and right to whole windows, and the shift is dropped along a side that holds a
single window.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Additive logit for masked pairs: torchvision uses -100 rather than -inf, and the
# published numbers depend on it only below float32 resolution, but we keep it exact.
MASK_VALUE = -100.0


def _pair(value: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    a, b = value
    return int(a), int(b)


def window_partition(x: torch.Tensor, window_size: int | tuple[int, int]) -> torch.Tensor:
    """Cut a channels-last map into non-overlapping windows of tokens.

    Args:
        x: (B, H, W, C), with H and W multiples of the window sides.
        window_size: window side, or (height, width).

    Returns:
        (B * nW, wh * ww, C) windows in row-major window order (nW = H/wh * W/ww),
        tokens of each window in row-major order.

    Raises:
        ValueError: when H or W is not a multiple of the window side.
    """
    wh, ww = _pair(window_size)
    b, h, w, c = x.shape
    if h % wh or w % ww:
        raise ValueError(
            f"window_partition: a {h} x {w} map does not split into {wh} x {ww} windows; "
            f"pad it to multiples of the window first ({-(-h // wh) * wh} x {-(-w // ww) * ww})"
        )
    x = x.view(b, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b * (h // wh) * (w // ww), wh * ww, c)


def window_reverse(windows: torch.Tensor, window_size: int | tuple[int, int], height: int, width: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`.

    Args:
        windows: (B * nW, wh * ww, C) (or (B * nW, wh, ww, C)).
        window_size: window side, or (height, width).
        height: H of the map, a multiple of wh.
        width: W of the map, a multiple of ww.

    Returns:
        (B, H, W, C).
    """
    wh, ww = _pair(window_size)
    nh, nw = height // wh, width // ww
    c = windows.shape[-1]
    b = windows.shape[0] // (nh * nw)
    x = windows.reshape(b, nh, nw, wh, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, height, width, c)


def _shift_regions(length: int, window: int, shift: int) -> torch.Tensor:
    """Region label (0, 1, 2) of each position along one side of a rolled map.

    After rolling by ``-shift``, the last window holds positions that were far apart
    before the roll: the ``window - shift`` positions before the seam and the ``shift``
    positions after it. Positions in different regions must not attend to each other.
    """
    pos = torch.arange(length)
    if shift == 0:
        return torch.zeros(length, dtype=torch.long)
    return (pos >= length - window).long() + (pos >= length - shift).long()


def shifted_window_mask(
    height: int,
    width: int,
    window_size: int | tuple[int, int],
    shift_size: int | tuple[int, int],
    *,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Additive attention mask of a map rolled by ``-shift_size`` and cut into windows.

    Args:
        height: H of the (padded) map, a multiple of the window height.
        width: W of the (padded) map, a multiple of the window width.
        window_size: window side, or (height, width).
        shift_size: shift, or (shift along H, shift along W); 0 along a side disables it.
        device: device of the mask.
        dtype: dtype of the mask.

    Returns:
        (nW, N, N) with N = wh * ww: 0 where query and key come from the same region
        of the unrolled map, ``MASK_VALUE`` (-100) where the pair straddles a seam.
    """
    wh, ww = _pair(window_size)
    sh, sw = _pair(shift_size)
    labels = _shift_regions(height, wh, sh)[:, None] * 3 + _shift_regions(width, ww, sw)[None, :]
    labels = window_partition(labels[None, :, :, None], (wh, ww)).squeeze(-1)  # (nW, N)
    differ = labels[:, None, :] != labels[:, :, None]
    mask = torch.zeros(differ.shape, dtype=dtype, device=device)
    return mask.masked_fill_(differ.to(device), MASK_VALUE)


def relative_position_index(window_size: int | tuple[int, int]) -> torch.Tensor:
    """Index into a (2wh-1)(2ww-1) bias table for every (query, key) pair of a window.

    Args:
        window_size: window side, or (height, width).

    Returns:
        (N * N,) int64 with N = wh * ww; entry ``i * N + j`` is the row of the table
        for the offset (dy, dx) = position(i) - position(j), namely
        ``(dy + wh - 1) * (2ww - 1) + (dx + ww - 1)``.
    """
    wh, ww = _pair(window_size)
    ys, xs = torch.meshgrid(torch.arange(wh), torch.arange(ww), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    dy = ys[:, None] - ys[None, :] + (wh - 1)
    dx = xs[:, None] - xs[None, :] + (ww - 1)
    return (dy * (2 * ww - 1) + dx).flatten()


def log_spaced_relative_coords(window_size: int | tuple[int, int]) -> torch.Tensor:
    """Swin v2's log-spaced relative coordinates, the input of the bias MLP.

    Offsets (dy, dx) in [-(w-1), w-1] are scaled to [-8, 8] and mapped through
    ``sign(t) * log2(1 + |t|) / 3``.

    Args:
        window_size: window side, or (height, width).

    Returns:
        (1, 2wh-1, 2ww-1, 2) float32, last axis (dy, dx).
    """
    wh, ww = _pair(window_size)
    dy = torch.arange(-(wh - 1), wh, dtype=torch.float32) / max(wh - 1, 1)
    dx = torch.arange(-(ww - 1), ww, dtype=torch.float32) / max(ww - 1, 1)
    table = torch.stack(torch.meshgrid(dy, dx, indexing="ij"), dim=-1).unsqueeze(0) * 8.0
    return torch.sign(table) * torch.log2(table.abs() + 1.0) / 3.0


class _WindowAttention(nn.Module):
    """Shared forward of the v1 and v2 layers; subclasses supply the bias and the logits."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        window_size: int | tuple[int, int],
        shift_size: int | tuple[int, int] = 0,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"window attention: dim {dim} is not divisible by num_heads {num_heads}")
        self.window_size = _pair(window_size)
        self.shift_size = _pair(shift_size)
        if not all(0 <= s < w for s, w in zip(self.shift_size, self.window_size)):
            raise ValueError(
                f"window attention: shift_size {self.shift_size} must lie in [0, window) for window {self.window_size}"
            )
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.proj_drop = proj_drop
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)

    def relative_position_bias(self) -> torch.Tensor:
        """(1, heads, N, N) bias added to the attention logits of every window."""
        raise NotImplementedError

    def _qkv_bias(self) -> torch.Tensor | None:
        return self.qkv.bias

    def _logits(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C); any H, W (padded to whole windows inside)."""
        b, h, w, c = x.shape
        (wh, ww), (sh, sw) = self.window_size, self.shift_size
        pad_b, pad_r = (-h) % wh, (-w) % ww
        x = F.pad(x, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = h + pad_b, w + pad_r
        # a side that holds a single window has nothing to shift across
        sh, sw = (sh if hp > wh else 0), (sw if wp > ww else 0)
        if sh or sw:
            x = torch.roll(x, shifts=(-sh, -sw), dims=(1, 2))

        windows = window_partition(x, (wh, ww))  # (B*nW, N, C)
        bnw, n, _ = windows.shape
        qkv = F.linear(windows, self.qkv.weight, self._qkv_bias())
        q, k, v = qkv.reshape(bnw, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        attn = self._logits(q, k) + self.relative_position_bias()  # (B*nW, heads, N, N)
        if sh or sw:
            mask = shifted_window_mask(hp, wp, (wh, ww), (sh, sw), device=x.device, dtype=attn.dtype)
            nw = mask.shape[0]
            attn = (attn.view(b, nw, self.num_heads, n, n) + mask[None, :, None]).view(bnw, self.num_heads, n, n)
        attn = F.dropout(attn.softmax(dim=-1), p=self.attn_drop, training=self.training)
        out = (attn @ v).transpose(1, 2).reshape(bnw, n, c)
        out = F.dropout(self.proj(out), p=self.proj_drop, training=self.training)

        x = window_reverse(out, (wh, ww), hp, wp)
        if sh or sw:
            x = torch.roll(x, shifts=(sh, sw), dims=(1, 2))
        return x[:, :h, :w, :].contiguous()

    def extra_repr(self) -> str:
        return f"num_heads={self.num_heads}, window_size={self.window_size}, shift_size={self.shift_size}"


class ShiftedWindowAttention(_WindowAttention):
    """Swin v1 window attention: scaled dot product plus a learned relative position bias.

    State: ``relative_position_bias_table`` ((2wh-1)(2ww-1), heads), buffer
    ``relative_position_index`` (N*N,), ``qkv`` and ``proj`` linears (torchvision's names).

    Args:
        dim: channels C.
        num_heads: attention heads (C must divide by it).
        window_size: window side, or (height, width).
        shift_size: cyclic shift, or (along H, along W); 0 for plain window attention.
        qkv_bias: bias of the qkv projection.
        proj_bias: bias of the output projection.
        attn_drop: dropout on the attention weights.
        proj_drop: dropout on the output.

    Shape:
        (B, H, W, C) -> (B, H, W, C)
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        window_size: int | tuple[int, int],
        shift_size: int | tuple[int, int] = 0,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ) -> None:
        super().__init__(
            dim,
            num_heads,
            window_size=window_size,
            shift_size=shift_size,
            qkv_bias=qkv_bias,
            proj_bias=proj_bias,
            attn_drop=attn_drop,
            proj_drop=proj_drop,
        )
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer("relative_position_index", relative_position_index(self.window_size))

    def relative_position_bias(self) -> torch.Tensor:
        n = self.window_size[0] * self.window_size[1]
        bias = self.relative_position_bias_table[self.relative_position_index].view(n, n, -1)
        return bias.permute(2, 0, 1).unsqueeze(0)

    def _logits(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        q = q * q.shape[-1] ** -0.5
        return q @ k.transpose(-2, -1)


class ShiftedWindowAttentionV2(_WindowAttention):
    """Swin v2 window attention: scaled cosine attention and a continuous position bias.

    The logits are cosine similarities times ``exp(min(logit_scale, log 100))`` per head;
    the bias is ``16 * sigmoid(cpb_mlp(relative_coords_table))``; the key part of the qkv
    bias is unused (held at zero), as in the paper.

    State: ``logit_scale`` (heads, 1, 1), buffers ``relative_coords_table``
    (1, 2wh-1, 2ww-1, 2) and ``relative_position_index`` (N*N,), ``qkv``, ``proj`` and
    ``cpb_mlp`` (``0``: Linear(2, 512), ``2``: Linear(512, heads, bias=False)),
    torchvision's names.

    Args: as :class:`ShiftedWindowAttention`.

    Shape:
        (B, H, W, C) -> (B, H, W, C)
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        window_size: int | tuple[int, int],
        shift_size: int | tuple[int, int] = 0,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        attn_drop: float = 0.0,
        proj_drop: float = 0.0,
    ) -> None:
        super().__init__(
            dim,
            num_heads,
            window_size=window_size,
            shift_size=shift_size,
            qkv_bias=qkv_bias,
            proj_bias=proj_bias,
            attn_drop=attn_drop,
            proj_drop=proj_drop,
        )
        self.logit_scale = nn.Parameter(torch.full((num_heads, 1, 1), math.log(10.0)))
        self.register_buffer("relative_coords_table", log_spaced_relative_coords(self.window_size))
        self.register_buffer("relative_position_index", relative_position_index(self.window_size))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512), nn.ReLU(inplace=True), nn.Linear(512, num_heads, bias=False))
        if self.qkv.bias is not None:
            with torch.no_grad():
                self.qkv.bias[dim : 2 * dim].zero_()

    def relative_position_bias(self) -> torch.Tensor:
        n = self.window_size[0] * self.window_size[1]
        table = self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads)
        bias = table[self.relative_position_index].view(n, n, -1).permute(2, 0, 1).unsqueeze(0)
        return 16.0 * torch.sigmoid(bias)

    def _qkv_bias(self) -> torch.Tensor | None:
        bias = self.qkv.bias
        if bias is None:
            return None
        q, k, v = bias.chunk(3)
        return torch.cat((q, torch.zeros_like(k), v))

    def _logits(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        return attn * torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
