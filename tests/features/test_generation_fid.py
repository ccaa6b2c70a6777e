"""End to end with the FID Inception: tiny folders (3 images) -> FID / KID / IS, the report, the CLI, bad input.

The network has random weights (no download here): He-initialized so that features still
depend on the image (PyTorch's default init shrinks them to ~1e-8 over 94 layers), saved to
a file and loaded the way a user loads a local copy of the published checkpoint.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_sample_image
from torch import nn

from vistakit.cli import main
from vistakit.features import (
    compute_features,
    fid,
    generation_report,
    get_extractor,
    inception_score,
    kid,
)
from vistakit.metrics import FeatureStatisticsWarning
from vistakit.models import create_model


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("fid")
    mp = pytest.MonkeyPatch()
    mp.setenv("VISTAKIT_HOME", str(root / "home"))
    torch.manual_seed(0)
    model = create_model("fid_inception_v3", num_classes=1008)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.normal_(model.fc.weight, std=0.05)
        nn.init.normal_(model.fc.bias, std=1.0)  # a bias the Inception Score must leave out
    weights = root / "fid_random.pth"
    torch.save(model.state_dict(), weights)

    china = load_sample_image("china.jpg")  # (427, 640, 3)
    real, fake = root / "real", root / "fake"
    real.mkdir()
    fake.mkdir()
    rng = np.random.default_rng(0)
    for i, (top, left, h, w) in enumerate([(0, 0, 200, 200), (100, 300, 150, 220), (200, 50, 220, 180)]):
        crop = Image.fromarray(np.ascontiguousarray(china[top : top + h, left : left + w]))
        crop.resize((48 + 8 * i, 40 + 4 * i), Image.BILINEAR).save(real / f"{i}.png")  # mixed sizes
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(fake / f"{i}.jpg")
    yield {"root": root, "weights": weights, "real": real, "fake": fake}
    mp.undo()


def test_fid_kid_is_on_folders_and_the_cli_reuses_the_cache(setup, capsys):
    ext = get_extractor("fid_inception", weights=setup["weights"])
    assert ext.name == "fid_inception (fid_random.pth)"
    with pytest.warns(FeatureStatisticsWarning, match="3 samples for 2048-dimensional"):
        real = compute_features(setup["real"], extractor=ext, progress=False, name="real")
    with pytest.warns(FeatureStatisticsWarning):
        fake = compute_features(setup["fake"], extractor=ext, progress=False, name="fake")
    assert real.features.shape == (3, 2048) and real.probs.shape == (3, 1008)
    assert real.features.std(0).mean() > 1e-3  # the features see the images

    # the Inception Score's probabilities leave the classifier's bias out (the reference IS code)
    w = ext.net.fc.weight.double().numpy()
    logits = real.features @ w.T
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(real.probs, expected / expected.sum(1, keepdims=True), rtol=1e-4, atol=1e-9)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureStatisticsWarning)
        assert fid(real, real) == pytest.approx(0.0, abs=1e-9)
        d = fid(real, fake)
        assert d > 0 and np.isfinite(d)
        assert fid(setup["real"], setup["fake"], extractor=ext, progress=False) == d  # from the cache
        k_mean, k_std = kid(real, fake, subsets=5, subset_size=2)
        assert np.isfinite(k_mean) and k_std >= 0
        is_mean, is_std = inception_score(fake, splits=2)
        assert 1.0 <= is_mean <= 1008 and is_std >= 0
        report = generation_report(real, fake, kid_subsets=5, kid_subset_size=3, is_splits=10)
    assert report.fid == d and report.extractor == ext.name and report.is_splits == 3
    assert any("rank <= 2 < 2048" in n for n in report.notes)
    assert any("3 fake images for 10 splits" in n for n in report.notes)

    cached = sorted((setup["root"] / "home" / "features").iterdir())
    assert (
        main(
            [
                "evaluate",
                "--task",
                "generation",
                "--real",
                str(setup["real"]),
                "--fake",
                str(setup["fake"]),
                "--weights",
                str(setup["weights"]),
                "--kid-subsets",
                "5",
                "--is-splits",
                "2",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert sorted((setup["root"] / "home" / "features").iterdir()) == cached  # nothing recomputed
    assert "extractor: fid_inception (fid_random.pth)" in out
    assert f"FID:       {d:.4f}" in out
    assert "KID:" in out and "±" in out and "IS:" in out and "(2 splits of the fake images)" in out
    assert "note: real: 3 samples for 2048-dimensional features; the covariance has rank <= 2" in out
    assert "nan" not in out.lower() and "j)" not in out


def test_bad_input_gives_clear_messages(setup, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    args = ["evaluate", "--task", "generation", "--weights", str(setup["weights"])]
    assert main(args + ["--real", str(tmp_path / "empty"), "--fake", str(setup["fake"])]) == 2
    err = capsys.readouterr().err
    assert "vistakit evaluate: error:" in err and "empty: no images found" in err
    assert main(args + ["--real", str(setup["real"])]) == 2
    assert "needs --real DIR|FILE.npz and --fake" in capsys.readouterr().err
    assert main(["evaluate", "--task", "classification"]) == 2
    assert "needs --predictions" in capsys.readouterr().err

    ext = get_extractor("fid_inception", weights=setup["weights"])
    with pytest.raises(ValueError, match=r"float images must be in \[0, 1\].*\(x \+ 1\) / 2"):
        compute_features(torch.rand(2, 3, 32, 32) * 2 - 1, extractor=ext, progress=False)
