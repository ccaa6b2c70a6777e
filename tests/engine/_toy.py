"""Tiny data and models for the engine tests."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset


def stripes(n: int = 256, *, classes: int = 4, size: int = 12, seed: int = 0) -> TensorDataset:
    """uint8 (n, 1, size, size) noise with a bright horizontal band whose row tells the class."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, classes, (n,), generator=g)
    x = (torch.rand(n, 1, size, size, generator=g) * 90).to(torch.uint8)
    band = size // classes
    for i in range(n):
        x[i, 0, y[i] * band : (y[i] + 1) * band] += 150
    return TensorDataset(x, y)


class ItemDataset(Dataset):
    """The same items as a TensorDataset, but only through __getitem__ (the DataLoader path)."""

    def __init__(self, base: TensorDataset) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):
        x, y = self.base[i]
        return x, int(y)


def small_cnn(classes: int = 4, *, bn: bool = True, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    norm = [nn.BatchNorm2d(8)] if bn else []
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), *norm, nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, classes)
    )
