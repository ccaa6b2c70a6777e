"""The 8x8 digits that scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``).

Each of the 1,797 rows holds 64 comma-separated pixel counts 0..16 (an 8x8
image, row-major) and the label 0..9 last. Pixels are scaled to uint8 0..255
as ``round(v * 255 / 16)``.
"""

from __future__ import annotations

import io
import os

import numpy as np
import torch

from ._errors import DatasetError
from ._idx import read_bytes

TRAIN_SIZE = 1_500


def read_digits(path: str | os.PathLike) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the digits file.

    Returns:
        ``data`` uint8 (1797, 1, 8, 8) scaled to 0..255 and ``targets`` int64 (1797,).

    Raises:
        DatasetError: naming the file and the row for malformed content.
    """
    text = read_bytes(path).decode("ascii", errors="replace")
    rows = [r for r in text.splitlines() if r.strip()]
    try:
        table = np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as e:
        bad = next((i for i, r in enumerate(rows) if len(r.split(",")) != 65), None)
        where = f"row {bad + 1} has {len(rows[bad].split(','))} fields, expected 65" if bad is not None else str(e)
        raise DatasetError(f"{path}: {where}") from None
    if table.shape[1] != 65:
        raise DatasetError(f"{path}: rows have {table.shape[1]} fields, expected 65 (64 pixels and the label)")
    pixels, labels = table[:, :64], table[:, 64]
    bad = np.flatnonzero(((pixels < 0) | (pixels > 16) | (pixels != np.round(pixels))).any(axis=1))
    if bad.size:
        raise DatasetError(f"{path}: row {bad[0] + 1} has a pixel outside the integers 0..16")
    bad = np.flatnonzero((labels < 0) | (labels > 9) | (labels != np.round(labels)))
    if bad.size:
        raise DatasetError(f"{path}: row {bad[0] + 1} has label {labels[bad[0]]}, outside the class range 0..9")
    data = np.round(pixels * (255.0 / 16.0)).astype(np.uint8).reshape(-1, 1, 8, 8)
    return torch.from_numpy(data), torch.from_numpy(labels.astype(np.int64))


def digits_split(data: torch.Tensor, targets: torch.Tensor, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``train``: the first 1,500 rows; ``test``: the rest; ``all``: every row."""
    if split == "train":
        return data[:TRAIN_SIZE], targets[:TRAIN_SIZE]
    if split == "test":
        return data[TRAIN_SIZE:], targets[TRAIN_SIZE:]
    if split == "all":
        return data, targets
    raise ValueError(f"digits has splits 'train', 'test' and 'all', not {split!r}")
