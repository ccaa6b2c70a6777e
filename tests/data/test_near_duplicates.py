"""Near duplicates between splits: edited copies are reported, unrelated images are not."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from vistakit.data import (
    TensorImageDataset,
    check_dataset,
    check_splits,
    dataset_info,
    find_near_leaks,
    thumbnail_embeddings,
)

from ._formats import write_image

RGB = dataset_info("cifar10")
GREY = dataset_info("digits")


def smooth(rng, n, size=32, channels=3) -> np.ndarray:
    """(n, C, size, size) uint8 images with structure (bilinear-upsampled 4x4 noise), values 40..200."""
    low = torch.from_numpy(rng.uniform(40, 200, (n, channels, 4, 4)))
    up = torch.nn.functional.interpolate(low, size=(size, size), mode="bilinear", align_corners=False)
    return up.round().to(torch.uint8).numpy()


def edited(img: np.ndarray, rng, *, shift=25.0, noise=4.0) -> np.ndarray:
    """Brighter and noisy: a different file, the same picture."""
    return np.clip(img.astype(np.float64) + shift + rng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)


def ds(images: np.ndarray, split: str, info=RGB) -> TensorImageDataset:
    labels = torch.arange(len(images)) % len(info.classes)
    return TensorImageDataset(torch.from_numpy(images), labels, info=info, split=split)


def reference_similarity(x: np.ndarray, y: np.ndarray) -> float:
    """Cosine of mean-centred 16x16 thumbnails of two 32x32 images, by 2x2 block means in numpy."""

    def thumb(im):
        t = im.astype(np.float64).reshape(im.shape[0], 16, 2, 16, 2).mean(axis=(2, 4)).ravel()
        return t - t.mean()

    a, b = thumb(x), thumb(y)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_edited_copies_are_near_duplicates_unrelated_images_are_not():
    rng = np.random.default_rng(0)
    train = smooth(rng, 20)
    test = smooth(rng, 6)  # unrelated images at 1, 2, 4, 5
    test[0] = edited(train[3], rng)  # brighter + noise
    test[3] = np.clip(train[11].astype(np.float64) * 0.7 + 30, 0, 255).astype(np.uint8)  # lower contrast
    test[4] = train[7]  # exact copy: a leak, not a near duplicate
    report = check_splits({"train": ds(train, "train"), "test": ds(test, "test")}, near_duplicates=True)
    (leak,) = report.leaks
    assert leak.count == 1 and leak.examples == [(7, 4)]  # exact duplicates: unchanged
    (near,) = report.near_leaks
    assert (near.split_a, near.split_b, near.count, near.threshold) == ("train", "test", 2, 0.995)
    assert sorted((a, b) for a, b, _ in near.examples) == [(3, 0), (11, 3)]
    for a, b, s in near.examples:
        assert s == pytest.approx(reference_similarity(train[a], test[b]), abs=1e-5)
    assert [s for *_, s in near.examples] == sorted((s for *_, s in near.examples), reverse=True)
    # the unrelated images are far below the threshold
    for j in (1, 2, 5):
        assert max(reference_similarity(t, test[j]) for t in train) < 0.9
    assert not report.ok
    assert "test: 2 near duplicate(s) of train images (cosine >= 0.995)" in report.problems
    text = report.format()
    assert "near duplicates train -> test (cosine >= 0.995, thumbnail 16x16, mean-centred): 2 image(s)" in text
    assert "train[3]~test[0]" in text


def test_off_by_default_and_threshold_checked():
    rng = np.random.default_rng(1)
    train = smooth(rng, 5)
    test = edited(train, rng)
    report = check_splits({"train": ds(train, "train"), "test": ds(test, "test")})
    assert report.near_leaks == [] and report.near_embedding is None and report.ok
    assert "near duplicates" not in report.format()
    strict = check_splits(
        {"train": ds(train, "train"), "test": ds(test, "test")}, near_duplicates=True, near_threshold=1.0
    )
    assert strict.near_leaks[0].count == 0 and strict.ok
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\]"):
        check_splits({"train": ds(train, "train")}, near_duplicates=True, near_threshold=0)


def test_small_grey_images():
    """8x8 one-channel images (digits) are repeated up to 16x16; the copy is still found."""
    rng = np.random.default_rng(2)
    train = rng.integers(0, 17, (30, 1, 8, 8)).astype(np.uint8) * 15
    test = rng.integers(0, 17, (10, 1, 8, 8)).astype(np.uint8) * 15
    test[6] = edited(train[21], rng, shift=10, noise=2)
    report = check_splits({"train": ds(train, "train", GREY), "test": ds(test, "test", GREY)}, near_duplicates=True)
    near = report.near_leaks[0]
    assert near.count == 1 and near.examples[0][:2] == (21, 6)
    assert thumbnail_embeddings(torch.from_numpy(train[:2])).shape == (2, 256)


def test_constant_images_are_similar_to_nothing():
    x = torch.full((2, 3, 8, 8), 77, dtype=torch.uint8)
    assert not thumbnail_embeddings(x).any()
    count, _ = find_near_leaks(thumbnail_embeddings(x), thumbnail_embeddings(x + 3), threshold=0.5)
    assert count == 0


def test_find_near_leaks_matches_brute_force_across_chunks():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(300, 12))
    b = rng.normal(size=(50, 12))
    planted = [4, 17, 33, 49]
    for j, i in zip(planted, (250, 3, 120, 3)):
        b[j] = a[i] + rng.normal(0, 0.05, 12)
    exclude = np.zeros(50, bool)
    exclude[33] = True
    count, examples = find_near_leaks(a, b, threshold=0.95, exclude_b=exclude, chunk=7)
    an, bn = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    cos = bn @ an.T
    best = cos.max(axis=1)
    expect = [j for j in np.flatnonzero(best >= 0.95) if not exclude[j]]
    assert count == len(expect) == 3
    assert sorted(e[1] for e in examples) == [4, 17, 49]
    for i, j, s in examples:
        assert i == cos[j].argmax() and s == pytest.approx(best[j], abs=1e-5)


def test_custom_embedding_sees_only_readable_images(tmp_path):
    imgs = smooth(np.random.default_rng(5), 10).transpose(0, 2, 3, 1)
    k = 0
    for split, n in (("train", 3), ("test", 2)):
        for c in ("a", "b"):
            for i in range(n):
                write_image(tmp_path / split / c / f"{i}.png", imgs[k])
                k += 1
    (tmp_path / "train" / "b" / "broken.png").write_bytes(b"not a png")
    calls = {}

    def by_label(dataset, indices):  # one-hot labels: same class = cosine 1
        calls[dataset.split] = list(indices)
        return np.eye(2, dtype=np.float32)[dataset.targets[list(indices)].numpy()]

    report = check_dataset(
        "imagefolder", root=tmp_path, near_duplicates=True, near_threshold=0.99, embed=by_label, embedding_name="labels"
    )
    assert calls["train"] == [0, 1, 2, 3, 4, 5] and calls["test"] == [0, 1, 2, 3]  # train[6] is b/broken.png
    assert report.near_leaks[0].count == 4 and report.near_embedding == "labels"


def test_image_folder_with_a_reencoded_copy(tmp_path):
    rng = np.random.default_rng(4)
    imgs = smooth(rng, 8, size=40).transpose(0, 2, 3, 1)
    for i in range(6):
        write_image(tmp_path / "train" / ("a" if i < 3 else "b") / f"{i}.png", imgs[i])
    write_image(tmp_path / "test" / "a" / "other.png", imgs[6])
    (tmp_path / "test" / "b").mkdir()
    Image.fromarray(edited(imgs[4], rng, shift=15, noise=3)).save(tmp_path / "test" / "b" / "copy.jpg", quality=85)
    (tmp_path / "train" / "b" / "broken.png").write_bytes(b"not a png")
    report = check_dataset("imagefolder", root=tmp_path, near_duplicates=True, workers=2)
    near = report.near_leaks[0]
    assert near.count == 1
    a, b, s = near.examples[0]
    from vistakit.data import load_dataset

    assert load_dataset("imagefolder", "train", root=tmp_path).paths[a].endswith("b/4.png")
    assert load_dataset("imagefolder", "test", root=tmp_path).paths[b].endswith("b/copy.jpg") and s > 0.98
    assert len(report.splits["train"].unreadable) == 1  # and the broken file did not stop the search
