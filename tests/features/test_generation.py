"""Feeding the generation scores: folders (mixed sizes, cached), tensors, datasets, .npz statistics."""

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from vistakit.features import (
    FeatureExtractor,
    compute_features,
    fid,
    generation_report,
    inception_score,
    kid,
    save_statistics,
)
from vistakit.metrics import FeatureStatisticsWarning
from vistakit.models import ImageClassifier


class _Net(ImageClassifier):
    classifier_name = "fc"

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2)
        self.fc = nn.Linear(6, 4)
        self.num_classes, self.num_features, self.calls = 4, 6, 0

    def forward_features(self, x):
        self.calls += 1
        return torch.relu(self.conv(x))

    def forward_head(self, x, pre_logits=False):
        x = x.mean((2, 3))
        return x if pre_logits else self.fc(x)


def _extractor():
    torch.manual_seed(0)
    return FeatureExtractor(_Net(), name="toy", input_size=32, normalize=lambda x: x * 2 - 1)


def _folder(tmp_path, name, n, seed, sizes=((40, 40),)):
    d = tmp_path / name
    d.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(n):
        h, w = sizes[i % len(sizes)]
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(d / f"{i:03d}.png")
    return d


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path / "home"))


def test_folder_with_mixed_sizes_and_cache(tmp_path):
    d = _folder(tmp_path, "real", 12, 0, sizes=((40, 40), (30, 50), (64, 20)))
    ext = _extractor()
    a = compute_features(d, extractor=ext, batch_size=5, progress=False)
    assert a.features.shape == (12, 6) and a.probs.shape == (12, 4)
    calls = ext.net.calls
    b = compute_features(d, extractor=ext, batch_size=5, progress=False)
    assert ext.net.calls == calls, "the second pass should come from the cache"
    np.testing.assert_array_equal(a.features, b.features)


def test_fid_of_a_folder_against_itself_and_its_statistics(tmp_path):
    d = _folder(tmp_path, "real", 20, 1)
    ext = _extractor()
    assert abs(fid(d, d, extractor=ext, progress=False)) < 1e-6
    feats = compute_features(d, extractor=ext, progress=False)
    save_statistics(feats, tmp_path / "stats.npz")
    assert abs(fid(tmp_path / "stats.npz", d, extractor=ext, progress=False)) < 1e-6


def test_tensor_and_dataset_sources_agree(tmp_path):
    ext = _extractor()
    imgs = torch.randint(0, 256, (9, 3, 32, 32), dtype=torch.uint8)
    a = compute_features(imgs, extractor=ext, batch_size=4, progress=False)
    b = compute_features([(im, 0) for im in imgs], extractor=ext, batch_size=4, progress=False)
    np.testing.assert_allclose(a.features, b.features)
    mean, std = kid(imgs, imgs.flip(0), extractor=ext, subsets=3, subset_size=5, progress=False)
    assert np.isfinite(mean) and std >= 0
    is_mean, _ = inception_score(imgs, extractor=ext, splits=3, progress=False)
    assert 1.0 <= is_mean <= 4.0


def test_bad_sources(tmp_path):
    ext = _extractor()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images found"):
        compute_features(tmp_path / "empty", extractor=ext, progress=False)
    np.savez(tmp_path / "x.npz", foo=np.zeros(3))
    with pytest.raises(ValueError, match="'mu' and 'sigma'"):
        compute_features(tmp_path / "x.npz", extractor=ext, progress=False)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="a.png"):
        compute_features(tmp_path / "bad", extractor=ext, progress=False)
    with pytest.raises(ValueError, match="empty"):
        compute_features(torch.zeros(0, 3, 8, 8), extractor=ext, progress=False)


def test_dataset_items_of_mixed_sizes_and_types_are_resized(tmp_path):
    ext = _extractor()
    rng = np.random.default_rng(0)
    items = [
        (torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8), 0),
        (torch.rand(1, 40, 40), 1),  # gray float, repeated to RGB
        (Image.fromarray(rng.integers(0, 256, (25, 25, 3), dtype=np.uint8)), 2),
        (rng.integers(0, 256, (50, 16, 3), dtype=np.uint8), 3),
    ]
    with pytest.warns(FeatureStatisticsWarning, match="4 samples for 6-dimensional"):
        f = compute_features(items, extractor=ext, batch_size=3, progress=False)
    assert f.features.shape == (4, 6) and f.count == 4
    # each item equals its own image resized to the input, alone
    first = torch.nn.functional.interpolate(
        items[0][0][None].float() / 255, size=(32, 32), mode="bilinear", align_corners=False
    )
    np.testing.assert_allclose(f.features[0], ext(first)[0][0].numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="dataset item 0"):
        compute_features([(torch.zeros(4, 8, 8), 0)], extractor=ext, progress=False)


def test_float_images_outside_unit_range_are_an_error():
    with pytest.raises(ValueError, match=r"in \[0, 1\], got values in \[-1"):
        compute_features(
            torch.linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8), extractor=_extractor(), progress=False
        )


def test_cache_is_keyed_by_the_weights_not_only_the_name(tmp_path):
    d = _folder(tmp_path, "real", 8, 2)
    a = compute_features(d, extractor=_extractor(), progress=False)
    other = _extractor()
    with torch.no_grad():
        other.net.conv.weight.mul_(2)  # same name, other weights
    b = compute_features(d, extractor=other, progress=False)
    assert other.net.calls == 1 and not np.allclose(a.features, b.features)


def test_statistics_only_sources(tmp_path):
    d = _folder(tmp_path, "real", 8, 3)
    ext = _extractor()
    feats = compute_features(d, extractor=ext, progress=False)
    save_statistics(feats, tmp_path / "stats.npz")
    np.savez(tmp_path / "pytorch_fid.npz", mu=feats.mu, sigma=feats.sigma)  # no extractor name, no count
    with pytest.raises(ValueError, match="KID needs per-image features"):
        kid(tmp_path / "stats.npz", d, extractor=ext, progress=False)
    with pytest.raises(ValueError, match="not comparable"):
        fid(
            tmp_path / "stats.npz",
            compute_features(
                d,
                extractor=FeatureExtractor(ext.net, name="other", input_size=32, normalize=lambda x: x),
                progress=False,
            ),
        )
    report = generation_report(tmp_path / "pytorch_fid.npz", d, extractor=ext, progress=False, is_splits=4)
    assert report.fid == pytest.approx(0.0, abs=1e-6) and report.kid is None and report.n_real is None
    assert any("does not say which network" in n for n in report.notes)
    text = report.format()
    assert "statistics only" in text and "KID:       n/a" in text and "IS:        " in text
    # two statistics files need no network at all
    assert fid(tmp_path / "stats.npz", tmp_path / "pytorch_fid.npz", extractor="no-such-extractor") == pytest.approx(
        0.0, abs=1e-6
    )
