"""IDX reader (MNIST, Fashion-MNIST) against files written in the real format."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from vistakit.data import DatasetError, TensorImageDataset, load_dataset
from vistakit.data._idx import load_idx_pair, read_idx

from ._formats import idx_bytes, write_idx, write_mnist_like


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
@pytest.mark.parametrize("compress", [True, False])
def test_load_dataset_reads_idx_files(tmp_path, name, compress):
    written = write_mnist_like(tmp_path, compress=compress)
    for split in ("train", "test"):
        ds = load_dataset(name, split, root=tmp_path, download=False)
        images, labels = written[split]
        assert isinstance(ds, TensorImageDataset)
        assert ds.data.dtype == torch.uint8 and ds.data.shape == (len(images), 1, 28, 28)
        assert np.array_equal(ds.data[:, 0].numpy(), images)
        assert ds.targets.tolist() == labels.tolist()
        image, target = ds[3]
        assert image.shape == (1, 28, 28) and np.array_equal(image[0].numpy(), images[3])
        assert target == int(labels[3]) and isinstance(target, int)
        assert len(ds) == len(images) and ds.info.name == name and len(ds.classes) == 10


def test_transform_is_applied_to_the_image(tmp_path):
    write_mnist_like(tmp_path)
    ds = load_dataset("mnist", "test", root=tmp_path, download=False, transform=lambda x: x.float() / 255)
    image, _ = ds[0]
    assert image.dtype == torch.float32 and float(image.max()) <= 1.0


@pytest.mark.parametrize(
    "type_code,dtype",
    [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16), (0x0C, np.int32), (0x0D, np.float32), (0x0E, np.float64)],
)
def test_read_idx_every_type(tmp_path, type_code, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) * (1 if type_code == 0x08 else -3)).astype(dtype)
    if type_code == 0x08:
        arr = arr.astype(np.uint8)
    path = write_idx(tmp_path / "x.idx", arr, compress=False, type_code=type_code)
    out = read_idx(path)
    assert out.shape == (2, 3, 4) and np.array_equal(out, arr)


def test_wrong_magic_number(tmp_path):
    bad = tmp_path / "bad-images-idx3-ubyte"
    bad.write_bytes(b"\x12\x34\x08\x03" + b"\x00" * 40)
    with pytest.raises(DatasetError, match=r"bad-images-idx3-ubyte: magic number 0x12340803"):
        read_idx(bad)
    unknown_type = tmp_path / "t"
    unknown_type.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x05")
    with pytest.raises(DatasetError, match="magic number 0x00000701"):
        read_idx(unknown_type)


def test_labels_file_where_images_expected(tmp_path):
    write_mnist_like(tmp_path, compress=False)
    with pytest.raises(DatasetError, match=r"expected an IDX image file \(magic 0x00000803"):
        load_idx_pair(tmp_path / "t10k-labels-idx1-ubyte", tmp_path / "t10k-labels-idx1-ubyte", num_classes=10)


def test_truncated_gzip(tmp_path):
    write_mnist_like(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte.gz: truncated gzip"):
        load_dataset("mnist", "test", root=tmp_path, download=False)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "x.gz"
    raw = bytearray(gzip.compress(idx_bytes(np.zeros((5, 2, 2), np.uint8))))
    raw[-6] ^= 0xFF  # flip a bit of the CRC
    path.write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match=r"x.gz: corrupt gzip"):
        read_idx(path)


def test_count_disagrees_with_header(tmp_path):
    arr = np.zeros((10, 28, 28), np.uint8)
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(arr)[: -28 * 28])  # one image short
    with pytest.raises(DatasetError, match=r"header declares shape \(10, 28, 28\).*truncated"):
        read_idx(path)
    path.write_bytes(idx_bytes(arr) + b"\x00")
    with pytest.raises(DatasetError, match="trailing bytes"):
        read_idx(path)


def test_label_outside_class_range(tmp_path):
    write_mnist_like(tmp_path, n_test=8)
    labels = np.array([1, 2, 3, 12, 4, 5, 6, 7], np.uint8)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(
        DatasetError, match=r"t10k-labels-idx1-ubyte.gz: record 3 has label 12, outside the class range 0..9"
    ):
        load_dataset("fashion-mnist", "test", root=tmp_path, download=False)


def test_image_and_label_counts_disagree(tmp_path):
    write_mnist_like(tmp_path, n_test=8)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(7, np.uint8))
    with pytest.raises(DatasetError, match=r"holds 8 images but .*t10k-labels-idx1-ubyte.gz holds 7 labels"):
        load_dataset("mnist", "test", root=tmp_path, download=False)


def test_decompressed_file_is_preferred_name_fallback(tmp_path):
    # Only the decompressed train files and gzip test files: each found under its own name.
    w = write_mnist_like(tmp_path, compress=False)
    ds = load_dataset("mnist", "train", root=tmp_path, download=False)
    assert np.array_equal(ds.data[:, 0].numpy(), w["train"][0])


def test_multi_member_gzip(tmp_path):
    arr = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    raw = idx_bytes(arr)
    path = tmp_path / "two-members.gz"
    path.write_bytes(gzip.compress(raw[:30]) + gzip.compress(raw[30:]))  # as `cat a.gz b.gz` makes
    assert np.array_equal(read_idx(path), arr)
