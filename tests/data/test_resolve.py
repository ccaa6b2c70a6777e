"""Where files come from: root, cache, system folder, then a verified download."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from vistakit._download import ChecksumError
from vistakit.data import DatasetNotFoundError, _registry, dataset_info, fetch_dataset, load_dataset, locate

from ._formats import write_mnist_like


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """The mnist card with file:// URLs to files written here and a system folder of its own."""
    served = tmp_path / "served"
    written = write_mnist_like(served, n_train=5, n_test=4, seed=1)
    system = tmp_path / "system"
    info = dataset_info("mnist")
    files = tuple(
        dataclasses.replace(
            f,
            urls=(f"file://{tmp_path}/no-such-mirror/{f.name}", f"file://{served / f.name}"),
            md5=hashlib.md5((served / f.name).read_bytes()).hexdigest(),
            size=(served / f.name).stat().st_size,
        )
        for f in info.files
    )
    fake = dataclasses.replace(info, files=files, system_dirs=(str(system),))
    replace_card(monkeypatch, fake)
    return fake, written, system


def replace_card(monkeypatch, card):
    """Register ``card`` in place of the card of the same name, keeping its reader."""
    entry = _registry._DATASETS[card.name]
    monkeypatch.setitem(_registry._DATASETS, card.name, dataclasses.replace(entry, info=card))


def test_download_into_cache_with_mirror_fallback(fake_mnist, data_cache):
    fake, written, _ = fake_mnist
    ds = load_dataset("mnist", "test")
    assert np.array_equal(ds.data[:, 0].numpy(), written["test"][0])
    assert sorted(p.name for p in (data_cache / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    # Second time the cache answers.
    assert {loc.source for loc in locate(fake, split="test").values()} == {"cache"}


def test_order_root_cache_system(fake_mnist, data_cache, tmp_path):
    fake, _, system = fake_mnist
    root = tmp_path / "root"
    write_mnist_like(system, seed=2)
    assert {loc.source for loc in locate(fake).values()} == {"system"}
    write_mnist_like(data_cache / "mnist", seed=3)
    assert {loc.source for loc in locate(fake).values()} == {"cache"}
    write_mnist_like(root / "mnist", seed=4)  # root/<name> counts as root
    found = locate(fake, root=root)
    assert {loc.source for loc in found.values()} == {"root"}
    ds = load_dataset("mnist", "train", root=root)
    assert np.array_equal(ds.data[:, 0].numpy(), write_mnist_like(tmp_path / "again", seed=4)["train"][0])


def test_checksum_mismatch_leaves_no_file(fake_mnist, data_cache, monkeypatch):
    fake, _, _ = fake_mnist
    bad = tuple(dataclasses.replace(f, md5="0" * 32) for f in fake.files)
    replace_card(monkeypatch, dataclasses.replace(fake, files=bad))
    with pytest.raises(ChecksumError, match="md5 is"):
        load_dataset("mnist", "test")
    leftovers = list((data_cache / "mnist").iterdir()) if (data_cache / "mnist").exists() else []
    assert leftovers == []


def test_offline_error_names_files_urls_and_folder(fake_mnist, data_cache, tmp_path):
    fake, _, _ = fake_mnist
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("mnist", "test", download=False)
    msg = str(e.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "t10k-labels-idx1-ubyte.gz" in msg
    assert "train-images" not in msg  # only the files of the split
    assert f"file://{tmp_path}/served/t10k-images-idx3-ubyte.gz" in msg
    assert f"Put the files in {data_cache / 'mnist'}" in msg
    assert "download=False" in msg


def test_failed_download_lists_the_errors(monkeypatch, data_cache):
    info = dataset_info("mnist")  # real https URLs; the test fixture refuses the network
    with pytest.raises(DatasetNotFoundError) as e:
        fetch_dataset("mnist", split="test", progress=False)
    msg = str(e.value)
    assert "could not be downloaded" in msg and "tests are offline" in msg
    assert info.files[2].urls[0] in msg
    assert not (data_cache / "mnist").exists() or not any((data_cache / "mnist").iterdir())


def test_archive_in_unwritable_folder_is_extracted_into_the_cache(tmp_path, data_cache, monkeypatch):
    import io
    import tarfile

    from vistakit.data import _resolve

    info = dataset_info("cifar10")
    system = tmp_path / "system"
    system.mkdir()
    with tarfile.open(system / "cifar-10-python.tar.gz", "w:gz") as tf:
        member = tarfile.TarInfo("cifar-10-batches-py/readme")
        member.size = 2
        tf.addfile(member, io.BytesIO(b"hi"))
    # The test runs as root, who may write anywhere: say the folder is read-only.
    monkeypatch.setattr(_resolve.os, "access", lambda path, mode: str(path) != str(system))
    loc = _resolve.Located(info.files[0], system / "cifar-10-python.tar.gz", "system")
    out = _resolve.archive_member(loc, root=None, info=info)
    assert out == data_cache / "cifar10" / "cifar-10-batches-py"
    assert (out / "readme").read_bytes() == b"hi"
    assert sorted(p.name for p in system.iterdir()) == ["cifar-10-python.tar.gz"]
