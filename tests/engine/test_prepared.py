"""PreparedData: a data set read once (one dataset_tensors call), its labelled subset and facts, the same batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, Subset, TensorDataset

from vistakit.engine import Loader, PreparedData, _prepared, channel_stats, labelled_subset

from ._toy import stripes


class Items(Dataset):
    """Not in memory: items one by one, with class names."""

    classes = ["a", "b", "c"]

    def __init__(self, n: int) -> None:
        self.images = (torch.rand(n, 2, 6, 6) * 255).to(torch.uint8)
        self.labels = torch.arange(n) % 3

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.images[i], int(self.labels[i])


def _batches(dataset):
    return [(x.clone(), y.clone()) for x, y in Loader(dataset, batch_size=8, shuffle=True, drop_last=True, seed=3)]


def test_the_tensors_are_read_once(monkeypatch):
    data = Subset(stripes(60, classes=3, size=8), list(range(5, 60)))
    calls = []
    real = _prepared.dataset_tensors
    monkeypatch.setattr(_prepared, "dataset_tensors", lambda d: calls.append(d) or real(d))
    prepared = PreparedData.from_dataset(data, labels_per_class=4, seed=1)
    assert len(calls) == 1
    assert prepared.num_classes == 3 and prepared.in_chans == 1 and len(prepared) == 12
    # the loaders, the statistics and the features read the prepared tensors as they are
    assert isinstance(prepared.dataset, TensorDataset) and prepared.dataset.tensors[0] is prepared.images
    assert prepared.channel_stats() == channel_stats(Subset(data, prepared.indices.tolist()))


def test_the_labelled_subset_and_its_positions():
    data = stripes(90, classes=3, size=8)
    prepared = PreparedData.from_dataset(data, labels_per_class=5, seed=2)
    idx = labelled_subset(data.tensors[1], per_class=5, seed=2)
    assert prepared.source is data and np.array_equal(prepared.indices, idx)
    assert torch.equal(prepared.images, data.tensors[0][idx]) and torch.equal(prepared.targets, data.tensors[1][idx])
    # the loaders get exactly the batches the Subset would have given
    for (a, ya), (b, yb) in zip(_batches(prepared.dataset), _batches(Subset(data, idx.tolist())), strict=True):
        assert torch.equal(a, b) and torch.equal(ya, yb)
    # a Subset given without a labelled subset is unwrapped one level: cached features keep their rows
    sub = Subset(data, [7, 3, 11])
    whole = PreparedData.from_dataset(sub)
    assert whole.source is data and whole.indices.tolist() == [7, 3, 11]
    assert torch.equal(whole.images, data.tensors[0][[7, 3, 11]])
    with pytest.raises(ValueError, match="fewer than --labels-per-class 31"):
        PreparedData.from_dataset(data, labels_per_class=31)


def test_a_data_set_not_in_memory():
    data = Items(30)
    prepared = PreparedData.from_dataset(data)
    assert not prepared.in_memory and prepared.dataset is data and prepared.targets is None
    assert prepared.num_classes == 3 and prepared.in_chans == 2 and prepared.class_names == ["a", "b", "c"]
    few = PreparedData.from_dataset(data, labels_per_class=2, seed=0)
    assert isinstance(few.dataset, Subset) and few.dataset.indices == few.indices.tolist()
    assert sorted(few.targets.tolist()) == [0, 0, 1, 1, 2, 2] and few.images is None
    # a class count from the targets when the data set declares none
    plain = PreparedData.from_dataset(TensorDataset(torch.zeros(4, 1, 2, 2), torch.tensor([0, 4, 1, 1])))
    assert plain.num_classes == 5 and plain.class_names is None
