"""The 8x8 digits that scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``).

Each of the 1,797 rows holds 64 comma-separated pixel counts 0..16 (an 8x8
image, row-major) and the label 0..9 last. Pixels are scaled to uint8 0..255
as ``round(v * 255 / 16)``.
"""

from __future__ import annotations

import importlib.util
import io
import os
from pathlib import Path

import numpy as np
import torch

from ._base import TensorImageDataset, Transform, VisionDataset
from ._errors import DatasetError
from ._idx import read_bytes
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import fetch_files

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


def _sklearn_data_dir() -> str | None:
    """Where scikit-learn keeps the files it ships, found without importing it."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    return str(Path(spec.origin).parent / "datasets" / "data")


DIGITS = DatasetInfo(
    name="digits",
    title="Optical recognition of handwritten digits (8x8, as shipped by scikit-learn)",
    task="classification",
    classes=tuple(str(i) for i in range(10)),
    splits={"train": 1_500, "test": 297, "all": 1_797},
    image_size=(8, 8),
    channels=1,
    license="CC BY 4.0 (UCI Machine Learning Repository)",
    homepage="https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
    citation=(
        "E. Alpaydin and C. Kaynak. Optical Recognition of Handwritten Digits. UCI Machine Learning Repository, 1998."
    ),
    files=(
        DataFile(
            "digits.csv.gz",
            urls=(
                "https://raw.githubusercontent.com/scikit-learn/scikit-learn/main/sklearn/datasets/data/digits.csv.gz",
            ),
            size=57_523,
            md5="9b335364a7bfd63947c7480a5bd51f2d",
        ),
    ),
    description=(
        "1,797 grey 8x8 digits (the UCI optdigits test set) read from the digits.csv.gz that "
        "scikit-learn installs, so it is there without any download. Each row holds 64 pixel "
        "counts 0..16 and the label; vistakit scales them to uint8 0..255 (round(v * 255 / 16)). "
        "Splits: 'train' is the first 1,500 rows, 'test' the remaining 297, 'all' every row."
    ),
    system_dirs=tuple(d for d in (_sklearn_data_dir(),) if d),
)


@register_dataset(DIGITS)
def load_digits(
    info: DatasetInfo, split: str, *, root: str | os.PathLike | None, download: bool, transform: Transform | None
) -> VisionDataset:
    """The 8x8 digits from scikit-learn's installed file (or ``root``, or a download)."""
    found = fetch_files(info, split=split, root=root, download=download)
    data, targets = digits_split(*read_digits(found["digits.csv.gz"].path), split)
    return TensorImageDataset(data, targets, info=info, split=split, transform=transform)
