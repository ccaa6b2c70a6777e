"""The labelled preview grid."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from vistakit.data import TensorImageDataset, dataset_info, load_dataset, preview_grid, save_preview


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
    tile = arr[2:42, label_w + 2:label_w + 42, 0]
    assert np.array_equal(tile[::5, ::5], ds.data[first, 0].numpy())


def test_long_labels_and_multilabel_targets():
    info = dataset_info("celeba")
    data = torch.randint(0, 256, (6, 3, 9, 7), dtype=torch.uint8)
    targets = torch.zeros(6, 40, dtype=torch.int64)
    targets[:3, 0] = 1
    targets[3:, 5] = 1
    ds = TensorImageDataset(data, targets, info=info, split="test")
    grid = preview_grid(ds, per_class=2, max_classes=6)
    assert grid.height == 6 * (56 + 2) + 2
