"""Closed-form checks of FID, KID and IS, and exact cosine search."""

import warnings

import numpy as np
import pytest
from scipy import linalg

from vistakit.metrics._generation import (
    FeatureStatisticsWarning,
    feature_statistics,
    fid_from_features,
    frechet_distance,
    inception_score_from_probs,
    kid_from_features,
)
from vistakit.metrics._similarity import cosine_knn, near_duplicates


def test_fid_of_a_set_against_itself_is_zero():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(500, 16))
    assert abs(fid_from_features(f, f)) < 1e-6


def test_frechet_distance_equals_the_formula_for_known_gaussians():
    # diagonal covariances: sqrt(s1 s2) is elementwise, so the formula is closed-form
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    d1, d2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(d1 + d2 - 2 * np.sqrt(d1 * d2))
    assert frechet_distance(mu1, np.diag(d1), mu2, np.diag(d2)) == pytest.approx(expected, abs=1e-10)
    # a full covariance: compare with an independent eigen-decomposition route
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    s1, s2 = a @ a.T + np.eye(5), b @ b.T + np.eye(5)
    r1 = linalg.sqrtm(s1).real
    tr_sqrt = np.trace(linalg.sqrtm(r1 @ s2 @ r1).real)  # tr sqrt(s1 s2) = tr sqrt(s1^1/2 s2 s1^1/2)
    expected = np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert frechet_distance(np.zeros(5), s1, np.zeros(5), s2) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("dim", [3, 40])
def test_eigh_route_agrees_with_sqrtm(dim):
    rng = np.random.default_rng(dim)
    a, b = rng.normal(size=(200, dim)), rng.normal(size=(200, dim)) * 1.3 + 0.2
    mu1, s1 = feature_statistics(a)
    mu2, s2 = feature_statistics(b)
    ref = frechet_distance(mu1, s1, mu2, s2)
    assert frechet_distance(mu1, s1, mu2, s2, method="eigh") == pytest.approx(ref, rel=1e-9)
    with pytest.raises(ValueError, match="method"):
        frechet_distance(mu1, s1, mu2, s2, method="svd")


def test_singular_covariances_use_the_epsilon_fallback():
    s = np.zeros((3, 3))
    s[0, 0] = 1.0
    assert np.isfinite(frechet_distance(np.zeros(3), s, np.ones(3), s))
    assert frechet_distance(np.zeros(3), s, np.ones(3), s, method="eigh") == pytest.approx(3.0, abs=1e-4)


def test_too_few_samples_warns_and_says_what_it_means():
    with pytest.warns(FeatureStatisticsWarning, match="rank"):
        feature_statistics(np.random.default_rng(0).normal(size=(10, 32)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feature_statistics(np.random.default_rng(0).normal(size=(100, 8)))


def test_bad_inputs_are_errors():
    with pytest.raises(ValueError, match="NaN"):
        fid_from_features(np.full((5, 2), np.nan), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="no samples"):
        fid_from_features(np.zeros((0, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="differ in width"):
        kid_from_features(np.zeros((5, 2)), np.zeros((5, 3)))


def test_kid_is_unbiased_near_zero_for_same_distribution_and_positive_otherwise():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(400, 8)), rng.normal(size=(400, 8))
    mean, std = kid_from_features(a, b, subsets=20, subset_size=200)
    assert abs(mean) < 3 * std + 1e-3
    mean2, _ = kid_from_features(a, b + 1.0, subsets=20, subset_size=200)
    assert mean2 > 10 * max(abs(mean), 1e-4)


def test_kid_matches_hand_computation_on_one_subset():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    k = lambda a, b: (a @ b / 4 + 1) ** 3  # noqa: E731
    m = 6
    sxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    syy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    sxy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    mean, std = kid_from_features(x, y, subsets=1, subset_size=6)
    assert mean == pytest.approx(sxx + syy - 2 * sxy, rel=1e-12) and std == 0


@pytest.mark.parametrize("n_classes", [1, 4, 10])
def test_inception_score_closed_forms(n_classes):
    one_hot = np.eye(n_classes)[np.tile(np.arange(n_classes), 30)]
    mean, std = inception_score_from_probs(one_hot, splits=3)
    assert mean == pytest.approx(n_classes, rel=1e-12) and std == pytest.approx(0, abs=1e-12)
    uniform = np.full((60, n_classes), 1.0 / n_classes)
    assert inception_score_from_probs(uniform, splits=3)[0] == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError, match="summing to 1"):
        inception_score_from_probs(uniform * 2, splits=3)


def test_cosine_knn_is_exact_across_blocks():
    rng = np.random.default_rng(0)
    db = rng.normal(size=(1000, 16)).astype(np.float32)
    q = rng.normal(size=(7, 16)).astype(np.float32)
    sims, idx = cosine_knn(q, db, k=5, block_size=97)
    full = (q / np.linalg.norm(q, axis=1, keepdims=True)) @ (db / np.linalg.norm(db, axis=1, keepdims=True)).T
    ref = np.argsort(-full, axis=1)[:, :5]
    assert (idx == ref).all()
    np.testing.assert_allclose(sims, np.take_along_axis(full, ref, 1), rtol=1e-5)
    _, idx_self = cosine_knn(db[:50], db, k=3, exclude_self=True, block_size=16)
    assert not (idx_self == np.arange(50)[:, None]).any()


def test_near_duplicates_within_and_between():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 8))
    a[30] = a[3] * 2.0  # same direction: cosine 1
    pairs = near_duplicates(a, threshold=0.999, block_size=7)
    assert pairs.shape == (1, 3) and tuple(pairs[0, :2]) == (3, 30)
    b = np.vstack([rng.normal(size=(5, 8)), a[10:11]])
    between = near_duplicates(a, b, threshold=0.999)
    assert [tuple(r[:2]) for r in between] == [(10, 5)]


@pytest.mark.parametrize("n", [(3, 5), (6, 4)])
def test_low_rank_route_equals_the_full_computation_for_few_samples(n):
    # fewer samples than dimensions: both covariances are singular
    from vistakit.metrics._generation import _fid_low_rank

    rng = np.random.default_rng(sum(n))
    x, y = rng.normal(size=(n[0], 40)), rng.normal(size=(n[1], 40)) * 1.5 + 0.3
    with pytest.warns(FeatureStatisticsWarning):
        mu1, s1 = feature_statistics(x)
        mu2, s2 = feature_statistics(y)
    full = frechet_distance(mu1, s1, mu2, s2, method="eigh")
    assert _fid_low_rank(x, y) == pytest.approx(full, rel=1e-7)  # sqrt of rounding-size eigenvalues
    with pytest.warns(FeatureStatisticsWarning):
        assert fid_from_features(x, y) == pytest.approx(full, rel=1e-7)
    # the exact value of the singular case, by an independent route: tr sqrt(s1 s2) from the
    # (real, non-negative) eigenvalues of the non-symmetric product
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)).sum()
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt
    assert full == pytest.approx(expected, rel=1e-7)


def test_singular_cases_cannot_go_negative():
    # identical rank-deficient sets: the distance is 0 (pytorch-fid's eps fallback gives -2 * D * eps)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 300))
    with pytest.warns(FeatureStatisticsWarning):
        mu, s = feature_statistics(x)
        assert fid_from_features(x, x) == 0.0
    assert frechet_distance(mu, s, mu, s, method="eigh") == 0.0
    s0 = np.zeros((300, 300))  # a zero covariance: the sqrtm route's eps fallback, offset in the traces too
    assert frechet_distance(mu, s0, mu, s0, method="sqrtm", eps=1e-2) == pytest.approx(0.0, abs=1e-9)
