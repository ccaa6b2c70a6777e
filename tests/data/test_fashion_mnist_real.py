"""Fashion-MNIST against the real files (Debian's dataset-fashion-mnist) when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from vistakit.data import dataset_stats, load_dataset

SYSTEM = Path("/usr/share/datasets/fashion-mnist")
pytestmark = [
    pytest.mark.needs_data,
    pytest.mark.skipif(
        not (SYSTEM / "t10k-images-idx3-ubyte.gz").exists(),
        reason=f"real Fashion-MNIST files absent from {SYSTEM} (apt-get install dataset-fashion-mnist)",
    ),
]


def test_test_split():
    ds = load_dataset("fashion-mnist", "test", download=False)
    assert len(ds) == 10_000
    assert ds.classes[0] == "T-shirt/top" and ds.classes[-1] == "Ankle boot" and len(ds.classes) == 10
    image, label = ds[0]
    assert label == 9 and image.shape == (1, 28, 28)
    assert ds.targets.bincount().tolist() == [1000] * 10


def test_train_split_and_published_stats():
    train = load_dataset("fashion-mnist", "train", download=False)
    assert train.data.shape == (60_000, 1, 28, 28)
    stats = dataset_stats(train)
    # The published normalisation constants of Fashion-MNIST's training set.
    assert stats.mean[0] == pytest.approx(0.2860, abs=1e-4) and stats.std[0] == pytest.approx(0.3530, abs=1e-4)
    assert stats.class_counts == {c: 6000 for c in train.classes}
