"""Stochastic depth (drop path)."""

from __future__ import annotations

import torch
from torch import nn


def drop_path(x: torch.Tensor, p: float = 0.0, *, training: bool = False, mode: str = "row") -> torch.Tensor:
    """Zero whole residual branches at random and rescale the survivors by ``1 / (1 - p)``.

    Args:
        x: (N, ...) residual branch output.
        p: probability of dropping.
        training: identity unless True.
        mode: "row" drops per sample, "batch" drops the whole batch.

    Returns:
        Tensor shaped like ``x``.
    """
    if not training or p == 0.0:
        return x
    if mode not in ("row", "batch"):
        raise ValueError(f"drop_path mode must be 'row' or 'batch', got {mode!r}")
    keep = 1.0 - p
    shape = (x.shape[0],) + (1,) * (x.ndim - 1) if mode == "row" else (1,) * x.ndim
    noise = x.new_empty(shape).bernoulli_(keep)
    return x * noise / keep


class DropPath(nn.Module):
    """Module form of :func:`drop_path` (torchvision calls it ``StochasticDepth``)."""

    def __init__(self, p: float = 0.0, mode: str = "row") -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.p, training=self.training, mode=self.mode)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"
