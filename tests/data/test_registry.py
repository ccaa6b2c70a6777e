"""Every dataset card is complete and consistent (loops over the registry)."""

from __future__ import annotations

import dataclasses
import pickle
import re

import pytest

from vistakit.data import DatasetInfo, dataset_info, list_datasets

NAMES = list_datasets()


def test_registry_holds_the_issue_datasets():
    assert set(NAMES) >= {
        "mnist",
        "fashion-mnist",
        "cifar10",
        "cifar100",
        "imagefolder",
        "imagenet",
        "flowers102",
        "celeba",
        "digits",
    }


@pytest.mark.parametrize("name", NAMES)
def test_card_is_complete(name):
    info = dataset_info(name)
    assert isinstance(info, DatasetInfo) and info.name == name
    assert info.title and info.task and info.description
    if name == "imagefolder":
        assert not info.files and not info.classes
        return
    assert info.license and info.homepage.startswith("http") and info.citation
    assert info.splits and all(n > 0 for n in info.splits.values())
    if info.classes_in_files:  # read from the data's own files (ADE20K's full release)
        assert not info.classes
    else:
        assert len(info.classes) == len(set(info.classes)) >= 1  # text detection has the one class "text"
    assert info.channels in (1, 3)
    for f in info.files:
        assert f.urls or info.manual_download, f"{name}/{f.name}: no URL and no manual instructions"
        # A checksum verifies a download; a file only ever fetched by hand (no URL) is never hashed.
        assert f.md5 or f.sha256 or not f.urls, f"{name}/{f.name}: a URL and no checksum"
        if f.md5:
            assert re.fullmatch(r"[0-9a-f]{32}", f.md5)
        if f.sha256:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256)
        assert all(u.startswith(("http://", "https://")) for u in f.urls)
        assert all(s in info.splits for s in f.splits)
    for split in info.splits:
        assert info.files_for(split), f"{name}: split {split} needs no file"


def test_card_is_frozen_and_picklable():
    info = dataset_info("fashion-mnist")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.name = "x"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(info)) == info


def test_known_facts():
    fm = dataset_info("fashion-mnist")
    assert fm.classes[0] == "T-shirt/top" and fm.classes[-1] == "Ankle boot"
    assert dict(fm.splits) == {"train": 60_000, "test": 10_000} and fm.image_size == (28, 28) and fm.channels == 1
    assert dataset_info("cifar100").num_classes == 100 and len(dataset_info("cifar100").other_labels["coarse"]) == 20
    assert dataset_info("imagenet").num_classes == 1000 and dataset_info("flowers102").num_classes == 102
    assert dataset_info("celeba").num_classes == 40
    assert dataset_info("celeba").splits["all"] == sum(
        dataset_info("celeba").splits[s] for s in ("train", "val", "test")
    )


def test_names_are_forgiving_and_unknown_names_helpful():
    assert dataset_info("Fashion_MNIST").name == "fashion-mnist"
    assert dataset_info("fashionmnist").name == "fashion-mnist"
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar1000'; did you mean cifar100"):
        dataset_info("cifar1000")


def test_one_registry_cards_and_readers_together():
    """Every card comes with its reader; the old second table is gone."""
    from vistakit.data import _registry

    assert list(_registry._DATASETS) == NAMES
    for name in NAMES:
        entry = _registry._DATASETS[name]
        assert entry.info is dataset_info(name) and callable(entry.reader)
    assert not hasattr(_registry, "_CARDS")
    with pytest.raises(ModuleNotFoundError):
        __import__("vistakit.data._load")


def test_options_come_from_the_reader_signature():
    from vistakit.data import dataset_options, load_dataset

    assert dataset_options("cifar100") == ("label",)
    assert dataset_options("celeba") == ("target_type",)
    assert set(dataset_options("imagefolder")) == {"on_error", "mode"}
    assert dataset_options("Fashion_MNIST") == ()
    with pytest.raises(TypeError, match=r"load_dataset\('digits'\) takes no option\(s\) \['label'\]$"):
        load_dataset("digits", label="coarse")
    with pytest.raises(
        TypeError, match=r"load_dataset\('cifar100'\) takes no option\(s\) \['colour'\]; it takes label"
    ):
        load_dataset("cifar100", colour=True)
    with pytest.raises(ValueError, match=r"digits has splits \['train', 'test', 'all'\], not 'val'"):
        load_dataset("digits", "val")


def test_register_dataset_decorator(monkeypatch):
    """A data set registered by a user is listed, described and loaded like the built-in ones."""
    import torch

    from vistakit.data import TensorImageDataset, _registry, load_dataset, register_dataset

    monkeypatch.setattr(_registry, "_DATASETS", dict(_registry._DATASETS))
    card = DatasetInfo(name="toy-set", title="Toy", task="classification", classes=("a", "b"), splits={"train": 3})

    @register_dataset(card)
    def load_toy(info, split, *, root, download, transform, scale: int = 1):
        data = torch.arange(3 * 4, dtype=torch.uint8).reshape(3, 1, 2, 2) * scale
        return TensorImageDataset(data, torch.tensor([0, 1, 0]), info=info, split=split, transform=transform)

    assert list_datasets()[-1] == "toy-set" and dataset_info("Toy_Set") is card
    ds = load_dataset("toy-set", scale=2)
    assert ds.info is card and ds[1][0].flatten().tolist() == [8, 10, 12, 14] and ds[1][1] == 1
    with pytest.raises(ValueError, match="'toy-set' is registered twice"):
        register_dataset(card)(load_toy)
    with pytest.raises(ValueError, match="must be lower case with '-', e.g. 'my-set'"):
        register_dataset(dataclasses.replace(card, name="My_Set"))(load_toy)
    with pytest.raises(TypeError, match=r"must take keyword-only \['download', 'transform'\]"):
        register_dataset(dataclasses.replace(card, name="other"))(lambda info, split, *, root: None)
    assert "other" not in list_datasets()
