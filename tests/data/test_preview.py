"""The labelled grid of a dataset (dataset_grid, save_preview)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from vistakit.data import TensorImageDataset, dataset_grid, dataset_info, load_dataset, save_preview


def test_grid_shape_and_content(tmp_path):
    ds = load_dataset("digits", "test")
    out = save_preview(ds, tmp_path / "sub" / "grid.png", per_class=3, max_classes=4, cell=40)
    img = Image.open(out)
    assert img.format == "PNG" and img.mode == "RGB"
    rows, cols = 4, 3
    assert img.height == rows * 42 + 2
    label_w = img.width - (cols * 42 + 2)
    assert 12 < label_w <= 220
    arr = np.asarray(img)
    assert (arr[:, :label_w] < 128).any()  # the labels are drawn
    # The first tile of row 0 is the first "0" of the split, enlarged 5x with nearest neighbours.
    first = int((ds.targets == 0).nonzero()[0])
    tile = arr[2:42, label_w + 2 : label_w + 42, 0]
    assert np.array_equal(tile[::5, ::5], ds.data[first, 0].numpy())


def test_long_labels_and_multilabel_targets():
    info = dataset_info("celeba")
    data = torch.randint(0, 256, (6, 3, 9, 7), dtype=torch.uint8)
    targets = torch.zeros(6, 40, dtype=torch.int64)
    targets[:3, 0] = 1
    targets[3:, 5] = 1
    ds = TensorImageDataset(data, targets, info=info, split="test")
    grid = dataset_grid(ds, per_class=2, max_classes=6)
    assert grid.height == 6 * (56 + 2) + 2


def test_distinct_names_and_atomic_save(tmp_path, monkeypatch):
    import vistakit.data as data
    import vistakit.transforms as T

    assert not hasattr(data, "preview_grid") and data.dataset_grid is not T.preview_grid
    ds = load_dataset("digits", "test")
    jpg = save_preview(ds, tmp_path / "grid.JPG", per_class=2, max_classes=2, cell=20)
    assert Image.open(jpg).format == "JPEG"
    old = tmp_path / "keep.png"
    old.write_bytes(b"old")
    with pytest.raises(ValueError, match=r"keep\.xyz: unknown image suffix"):
        save_preview(ds, tmp_path / "keep.xyz")

    # A failing write leaves the previous file as it was and no temporary file behind.
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        save_preview(ds, old, per_class=1, max_classes=1)
    monkeypatch.undo()
    assert old.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["grid.JPG", "keep.png"]
