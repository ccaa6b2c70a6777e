"""digits: scikit-learn's 8x8 digits file, no network."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from vistakit.data import DatasetError, TensorImageDataset, load_dataset
from vistakit.data._digits import read_digits


def test_matches_scikit_learn_without_network():
    reference = load_digits()  # independent reader of the same file
    expected = np.round(reference.images * 255 / 16).astype(np.uint8)
    train = load_dataset("digits", "train")
    test = load_dataset("digits", "test")
    every = load_dataset("digits", "all")
    assert isinstance(train, TensorImageDataset)
    assert (len(train), len(test), len(every)) == (1500, 297, 1797)
    assert train.data.shape == (1500, 1, 8, 8) and train.data.dtype == torch.uint8
    assert np.array_equal(every.data[:, 0].numpy(), expected)
    assert every.targets.tolist() == reference.target.tolist()
    assert torch.equal(torch.cat([train.data, test.data]), every.data)
    image, label = test[0]
    assert label == int(reference.target[1500]) and int(image.max()) <= 255
    assert train.classes == [str(i) for i in range(10)]


def test_corrupt_rows(tmp_path):
    good = ",".join(["0"] * 64 + ["3"])
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(gzip.compress(f"{good}\n{','.join(['0'] * 63 + ['17', '3'])}\n".encode()))
    with pytest.raises(DatasetError, match=r"digits.csv.gz: row 2 has a pixel outside the integers 0..16"):
        read_digits(path)
    path.write_bytes(gzip.compress(f"{good}\n{','.join(['0'] * 64 + ['10'])}\n".encode()))
    with pytest.raises(DatasetError, match=r"row 2 has label 10.0, outside the class range 0..9"):
        read_digits(path)
    path.write_bytes(gzip.compress(f"{good}\n{','.join(['0'] * 60)}\n".encode()))
    with pytest.raises(DatasetError, match=r"row 2 has 60 fields, expected 65"):
        read_digits(path)
    path.write_bytes(gzip.compress(f"{good}\n".encode())[:-5])
    with pytest.raises(DatasetError, match=r"digits.csv.gz: truncated gzip"):
        read_digits(path)
