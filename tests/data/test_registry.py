"""Every dataset card is complete and consistent (loops over the registry)."""

from __future__ import annotations

import dataclasses
import pickle
import re

import pytest

from vistakit.data import DatasetInfo, dataset_info, list_datasets

NAMES = list_datasets()


def test_registry_holds_the_issue_datasets():
    assert set(NAMES) >= {"mnist", "fashion-mnist", "cifar10", "cifar100", "imagefolder", "imagenet", "flowers102", "celeba", "digits"}


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
    assert len(info.classes) == len(set(info.classes)) > 1
    assert info.channels in (1, 3)
    for f in info.files:
        assert f.urls or info.manual_download, f"{name}/{f.name}: no URL and no manual instructions"
        assert f.md5 or f.sha256, f"{name}/{f.name}: no checksum"
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
    assert dataset_info("celeba").splits["all"] == sum(dataset_info("celeba").splits[s] for s in ("train", "val", "test"))


def test_names_are_forgiving_and_unknown_names_helpful():
    assert dataset_info("Fashion_MNIST").name == "fashion-mnist"
    assert dataset_info("fashionmnist").name == "fashion-mnist"
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar1000'; did you mean cifar100"):
        dataset_info("cifar1000")
