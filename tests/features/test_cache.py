"""The one feature cache: rows by index under one key, one .npz format, used by embeddings and FID folders alike."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from torch.utils.data import Subset, TensorDataset

from vistakit.data import TensorImageDataset, dataset_info
from vistakit.features import (
    FeatureCache,
    FeatureExtractor,
    compute_features,
    dataset_fingerprint,
    embed_dataset,
    embed_folder,
    feature_key,
    files_fingerprint,
    key_digest,
    module_fingerprint,
)

from ..engine._tiny import TinyNet, register_tiny
from .test_embed import write_folder


def _key(**extra):
    return feature_key(model="m", weights="w", preprocessing={"size": 8, "mean": (0.5,)}, data="d", **extra)


class _Rows:
    """compute(missing) for FeatureCache.rows: row i is (i, i^2, ...); records what it was asked for."""

    def __init__(self, width: int = 3):
        self.asked: list[list[int]] = []
        self.width = width

    def __call__(self, missing):
        self.asked.append(missing.tolist())
        x = np.asarray(missing, np.float32)[:, None] ** np.arange(1, self.width + 1)
        return {"features": x, "labels": np.asarray(missing, np.int64) % 3}

    @staticmethod
    def expected(indices):
        i = np.asarray(indices, np.float32)[:, None]
        return i ** np.arange(1, 4)


def test_key_is_json_normalized_and_digest_is_stable():
    k = _key(split="train")
    assert k["preprocessing"]["mean"] == [0.5] and k["split"] == "train"  # tuples read back as lists
    assert key_digest(k) == key_digest(_key(split="train")) != key_digest(_key(split="test"))
    assert len(key_digest(k)) == 32


def test_rows_are_reused_and_only_missing_ones_computed(tmp_path):
    cache = FeatureCache(tmp_path / "c.npz", _key(), arrays=("features", "labels"))
    rows = _Rows()
    a, n1 = cache.rows([7, 2, 5], rows)
    b, n2 = cache.rows([5, 2, 9, 2, 11], rows)  # repeats allowed, in the order asked
    c, n3 = FeatureCache(tmp_path / "c.npz", _key(), arrays=("features", "labels")).rows([11, 7], rows)
    assert (n1, n2, n3) == (3, 2, 0)
    assert rows.asked == [[2, 5, 7], [9, 11]]
    np.testing.assert_array_equal(a["features"], _Rows.expected([7, 2, 5]))
    np.testing.assert_array_equal(b["features"], _Rows.expected([5, 2, 9, 2, 11]))
    np.testing.assert_array_equal(c["labels"], [11 % 3, 7 % 3])
    stored = FeatureCache.load(tmp_path / "c.npz")
    assert stored.index.tolist() == [2, 5, 7, 9, 11] and stored.key == _key()
    assert sorted(stored.arrays) == ["features", "labels"]
    with np.load(tmp_path / "c.npz", allow_pickle=False) as z:  # the documented format, no pickle
        assert sorted(z.files) == ["features", "index", "key", "labels"]
    assert os.listdir(tmp_path) == ["c.npz"]  # atomic: no temporary file left behind


def test_another_key_or_a_missing_array_starts_afresh(tmp_path):
    path = tmp_path / "c.npz"
    rows = _Rows()
    FeatureCache(path, _key(), arrays=("features", "labels")).rows([1, 2], rows)
    _, n = FeatureCache(path, _key(split="test"), arrays=("features", "labels")).rows([1], rows)
    assert n == 1 and FeatureCache.load(path).index.tolist() == [1]  # replaced, not merged
    assert FeatureCache(path, _key(split="test"), arrays=("features", "labels", "probs")).read() is None  # no probs
    path.write_bytes(b"garbage")
    assert FeatureCache(path, _key(split="test")).read() is None
    with pytest.raises(ValueError, match="c.npz"):
        FeatureCache.load(path)


def test_no_file_computes_every_row_once(tmp_path):
    rows = _Rows()
    out, n = FeatureCache(None, _key(), arrays=("features", "labels")).rows([4, 1, 4], rows)
    assert n == 2 and rows.asked == [[1, 4]]
    np.testing.assert_array_equal(out["features"], _Rows.expected([4, 1, 4]))
    with pytest.raises(ValueError, match="gave 1 rows"):
        FeatureCache(None, _key()).rows([1, 2], lambda m: {"features": np.zeros((1, 3))})


def test_fingerprints_change_with_what_they_identify(tmp_path):
    images = torch.randint(0, 256, (130, 1, 8, 8), dtype=torch.uint8)
    targets = torch.arange(130) % 10
    fp = dataset_fingerprint(TensorDataset(images, targets))
    assert fp == dataset_fingerprint(TensorDataset(images.clone(), targets.clone()))
    other = targets.clone()
    other[77] = (other[77] + 1) % 10
    assert dataset_fingerprint(TensorDataset(images, other)) != fp
    changed = images.clone()
    changed[0, 0, 0, 0] ^= 1  # image 0 is among the sampled ones
    assert dataset_fingerprint(TensorDataset(changed, targets)) != fp
    assert dataset_fingerprint(Subset(TensorDataset(images, targets), [1, 2])) != dataset_fingerprint(
        Subset(TensorDataset(images, targets), [2, 1])
    )
    files = write_folder(tmp_path / "imgs", 3)
    before = files_fingerprint(files)
    assert files_fingerprint(files[::-1]) != before
    os.utime(files[0], ns=(1, 1))
    assert files_fingerprint(files) != before
    net = TinyNet()
    fp_net = module_fingerprint(net)
    with torch.no_grad():
        net.fc.bias[0] += 1
    assert module_fingerprint(net) != fp_net and module_fingerprint(net, name="x") != module_fingerprint(net)


class _CountingNet(TinyNet):
    def __init__(self):
        super().__init__()
        self.images = 0

    def forward_features(self, x):
        self.images += len(x)
        return super().forward_features(x)


def test_embeddings_through_the_cache_equal_the_uncached_ones(tmp_path):
    write_folder(tmp_path / "imgs", 7)
    torch.manual_seed(0)
    net = _CountingNet()
    plain = embed_folder(net, tmp_path / "imgs", image_size=32, batch_size=3)
    first = embed_folder(net, tmp_path / "imgs", image_size=32, batch_size=3, cache=tmp_path / "cache")
    seen = net.images
    again = embed_folder(net, tmp_path / "imgs", image_size=32, batch_size=3, cache=tmp_path / "cache")
    assert seen == 14 and net.images == seen  # the third pass came from the cache
    np.testing.assert_array_equal(first.features, plain.features)
    np.testing.assert_array_equal(again.features, plain.features)
    (entry,) = (tmp_path / "cache").iterdir()
    stored = FeatureCache.load(entry)
    assert stored.key["model"] == "_CountingNet" and stored.key["preprocessing"]["crop"] == 32
    assert stored.index.tolist() == list(range(7))


def test_dataset_embeddings_add_only_new_items(monkeypatch, tmp_path):
    name = register_tiny(monkeypatch, tmp_path)
    images = torch.randint(0, 256, (10, 3, 20, 20), dtype=torch.uint8)
    ds = TensorImageDataset(images, torch.arange(10) % 2, info=dataset_info("mnist"), split="train")
    full = embed_dataset(name, ds, weights="toy")
    a = embed_dataset(name, ds, weights="toy", indices=[8, 3], cache=tmp_path / "c")
    b = embed_dataset(name, ds, weights="toy", indices=[3, 5, 8], cache=tmp_path / "c")
    (entry,) = (tmp_path / "c").iterdir()
    assert FeatureCache.load(entry).index.tolist() == [3, 5, 8]
    np.testing.assert_allclose(a.features, full.features[[8, 3]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.features, full.features[[3, 5, 8]], rtol=1e-5, atol=1e-6)
    assert b.labels.tolist() == [1, 1, 0]


def test_generation_folders_use_the_same_cache_format(tmp_path, monkeypatch):
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path / "home"))
    write_folder(tmp_path / "imgs", 4)
    torch.manual_seed(0)
    ext = FeatureExtractor(TinyNet(num_classes=5), name="tiny", input_size=32, normalize=lambda x: x)
    with pytest.warns(UserWarning):  # 4 images for 16-d features
        f = compute_features(tmp_path / "imgs", extractor=ext, progress=False)
    (entry,) = (tmp_path / "home" / "features").iterdir()
    stored = FeatureCache.load(entry)
    assert stored.key["model"] == "tiny" and stored.key["weights"] == ext.fingerprint
    np.testing.assert_array_equal(stored.arrays["features"], f.features)
    np.testing.assert_array_equal(stored.arrays["probs"], f.probs)
