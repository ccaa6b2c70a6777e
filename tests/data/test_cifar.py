"""CIFAR-10/100 python-pickle reader against batches written in the real format."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from vistakit.data import DatasetError, dataset_info, load_dataset

from ._formats import cifar_batch, write_cifar

C10 = dataset_info("cifar10").classes
C100 = dataset_info("cifar100").classes
COARSE = dataset_info("cifar100").other_labels["coarse"]


@pytest.mark.parametrize("archive", [False, True])
def test_cifar10(tmp_path, archive):
    written = write_cifar(tmp_path, variant="cifar10", classes=C10, archive=archive)
    for split in ("train", "test"):
        ds = load_dataset("cifar10", split, root=tmp_path, download=False)
        data, labels = written[split]
        assert ds.data.shape == (len(data), 3, 32, 32)
        # The planes are R, G, B of a row-major 32x32 image.
        assert np.array_equal(ds.data.numpy().reshape(len(data), -1), data)
        assert ds.data[1, 2, 0, 5].item() == data[1, 2 * 1024 + 5]
        assert ds.targets.tolist() == labels["labels"]
        assert ds.classes == list(C10)
    assert len(load_dataset("cifar10", "train", root=tmp_path, download=False)) == 5 * 4
    if archive:  # extracted beside the archive, atomically
        assert (tmp_path / "cifar-10-batches-py" / "data_batch_1").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".extract")]


def test_cifar100_fine_and_coarse(tmp_path):
    written = write_cifar(tmp_path, variant="cifar100", classes=C100, coarse=COARSE, per_batch=9)
    data, labels = written["test"]
    fine = load_dataset("cifar100", "test", root=tmp_path, download=False)
    coarse = load_dataset("cifar100", "test", root=tmp_path, download=False, label="coarse")
    assert fine.targets.tolist() == labels["fine_labels"] and fine.classes == list(C100)
    assert coarse.targets.tolist() == labels["coarse_labels"] and coarse.classes == list(COARSE)
    assert fine.coarse_targets.tolist() == labels["coarse_labels"]
    assert fine[2][1] == labels["fine_labels"][2] and coarse[2][1] == labels["coarse_labels"][2]
    with pytest.raises(ValueError, match="'fine' or 'coarse'"):
        load_dataset("cifar100", "test", root=tmp_path, download=False, label="medium")


def _rewrite(tmp_path, name, batch):
    (tmp_path / "cifar-10-batches-py" / name).write_bytes(pickle.dumps(batch, protocol=2))


def test_label_out_of_range(tmp_path):
    write_cifar(tmp_path, variant="cifar10", classes=C10)
    data = np.zeros((4, 3072), np.uint8)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(cifar_batch(data, {"labels": [0, 1, 10, 2]}, "t"))
    with pytest.raises(DatasetError, match=r"test_batch: record 2 field 'labels' has label 10, outside 0..9"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)


def test_wrong_data_shape_and_label_count(tmp_path):
    write_cifar(tmp_path, variant="cifar10", classes=C10)
    bad = cifar_batch(np.zeros((4, 3000), np.uint8), {"labels": [0, 1, 2, 3]}, "t")
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(bad)
    with pytest.raises(DatasetError, match=r"test_batch: field 'data' must be uint8 \(N, 3072\)"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)
    bad = cifar_batch(np.zeros((4, 3072), np.uint8), {"labels": [0, 1, 2]}, "t")
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(bad)
    with pytest.raises(DatasetError, match=r"field 'labels' must hold 4 integer labels"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)
    _rewrite(tmp_path, "test_batch", {b"data": np.zeros((4, 3072), np.uint8)})
    with pytest.raises(DatasetError, match=r"field 'labels' is missing"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)


def test_truncated_pickle(tmp_path):
    write_cifar(tmp_path, variant="cifar10", classes=C10)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DatasetError, match=r"data_batch_3: not a readable CIFAR pickle"):
        load_dataset("cifar10", "train", root=tmp_path, download=False)


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /dev/null",))


def test_pickle_that_runs_code_is_refused(tmp_path):
    write_cifar(tmp_path, variant="cifar10", classes=C10)
    _rewrite(tmp_path, "test_batch", {b"data": _Exploit()})
    with pytest.raises(DatasetError, match=r"test_batch: .*global .*system is not allowed"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)


def test_meta_with_other_class_names(tmp_path):
    write_cifar(tmp_path, variant="cifar10", classes=tuple(reversed(C10)))
    with pytest.raises(DatasetError, match=r"batches.meta: field 'label_names' lists \['truck'"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)


def test_corrupt_archive(tmp_path):
    write_cifar(tmp_path, variant="cifar10", classes=C10, archive=True)
    path = tmp_path / "cifar-10-python.tar.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetError, match=r"cifar-10-python.tar.gz: cannot be extracted"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)
    assert not (tmp_path / "cifar-10-batches-py").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".extract")]
