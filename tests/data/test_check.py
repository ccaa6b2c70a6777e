"""Statistics, duplicates, leaks and unreadable files."""

from __future__ import annotations

import math

import numpy as np
import torch

from vistakit.data import (
    TensorImageDataset,
    check_dataset,
    check_splits,
    dataset_info,
    dataset_stats,
    duplicate_groups,
    find_leaks,
    load_dataset,
)

from ._formats import solid, write_image

INFO = dataset_info("cifar10")


def tensor_ds(images: np.ndarray, labels, split="train") -> TensorImageDataset:
    return TensorImageDataset(torch.from_numpy(images), torch.tensor(labels), info=INFO, split=split)


def random_images(n, seed):
    return np.random.default_rng(seed).integers(0, 256, (n, 3, 4, 4), dtype=np.uint8)


def test_duplicates_and_leaks_with_example_indices():
    train = random_images(10, 0)
    test = random_images(6, 1)
    train[7] = train[2]  # duplicate inside train, same label
    train[9] = train[2]
    train[5] = train[4]  # duplicate with a different label
    test[3] = train[8]  # leaks
    test[5] = train[2]
    report = check_splits(
        {
            "train": tensor_ds(train, [0, 1, 2, 3, 4, 6, 6, 2, 8, 2]),
            "test": tensor_ds(test, [0, 1, 2, 3, 4, 5], "test"),
        },
        name="toy",
    )
    tr = report.splits["train"]
    assert tr.duplicate_groups == [[2, 7, 9], [4, 5]]
    assert tr.num_duplicates == 3
    assert tr.conflicting_groups == [[4, 5]]
    (leak,) = report.leaks
    assert (leak.split_a, leak.split_b, leak.count) == ("train", "test", 2)
    assert leak.examples == [(8, 3), (2, 5)]
    assert not report.ok and len(report.problems) == 3
    text = report.format()
    assert "exact duplicates: 3 image(s) in 2 group(s)" in text and "train[8]=test[3]" in text


def test_clean_splits_are_ok():
    report = check_splits(
        {
            "train": tensor_ds(random_images(20, 2), list(range(10)) * 2),
            "test": tensor_ds(random_images(10, 3), list(range(10)), "test"),
        }
    )
    assert report.ok and report.leaks[0].count == 0 and report.warnings == []
    assert report.splits["train"].imbalance == 1.0


def test_imbalance_is_a_warning_not_a_problem():
    labels = [0] * 8 + [1] * 2
    report = check_splits({"train": tensor_ds(random_images(10, 4), labels)}, imbalance_threshold=1.5)
    assert report.ok and report.splits["train"].imbalance == math.inf  # classes 2..9 are empty
    assert "class imbalance inf" in report.warnings[0]


def test_duplicate_helpers_on_digests():
    d = np.array([b"a", b"b", b"a", b"", b"", b"c", b"b"], dtype="S16")
    assert duplicate_groups(d) == [[0, 2], [1, 6]]  # empty digests (unreadable) never match
    count, ex = find_leaks(np.array([b"x", b"c"], "S16"), d)
    assert count == 1 and ex == [(1, 5)]


def test_stats_match_numpy():
    images = random_images(50, 5)
    stats = dataset_stats(tensor_ds(images, [i % 10 for i in range(50)]))
    x = images.astype(np.float64) / 255
    assert np.allclose(stats.mean, x.mean(axis=(0, 2, 3)))
    assert np.allclose(stats.std, x.std(axis=(0, 2, 3)))
    assert stats.class_counts == {c: 5 for c in INFO.classes}
    assert stats.min_size == stats.max_size == (4, 4)


def test_image_folder_check_and_stats(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        for c in ("a", "b"):
            for i in range(n):
                write_image(
                    tmp_path / split / c / f"{i}.png",
                    solid(ord(c) + 10 * i + (100 if split == "test" else 0), size=(5, 7)),
                )
    write_image(tmp_path / "test" / "b" / "leak.png", solid(ord("a") + 10, size=(5, 7)))  # = train/a/1.png
    (tmp_path / "train" / "b" / "broken.png").write_bytes(b"not a png")
    report = check_dataset("imagefolder", root=tmp_path)
    assert list(report.splits) == ["train", "test"]
    train = report.splits["train"]
    assert len(train.unreadable) == 1 and "broken.png" in train.unreadable[0][1]
    assert report.leaks[0].count == 1
    ds_train = load_dataset("imagefolder", "train", root=tmp_path)
    ds_test = load_dataset("imagefolder", "test", root=tmp_path)
    a, b = report.leaks[0].examples[0]
    assert ds_train.paths[a].endswith("a/1.png") and ds_test.paths[b].endswith("b/leak.png")
    stats = dataset_stats(ds_test)
    ref = np.stack([ds_test[i][0].numpy() for i in range(len(ds_test))]).astype(np.float64) / 255
    assert np.allclose(stats.mean, ref.mean(axis=(0, 2, 3))) and np.allclose(stats.std, ref.std(axis=(0, 2, 3)))
    assert stats.class_counts == {"a": 2, "b": 3}


def test_check_reports_a_split_that_cannot_be_read(tmp_path):
    from ._formats import write_mnist_like

    write_mnist_like(tmp_path)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    report = check_dataset("mnist", root=tmp_path, download=False)
    assert "train" in report.splits and "test" in report.load_errors
    assert "truncated gzip" in report.load_errors["test"] and not report.ok
