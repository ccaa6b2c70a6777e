"""Scores of generated images from network features: FID, KID and Inception Score (the math).

All statistics are computed in float64. The feature extraction that feeds these
functions (images -> Inception features) lives in :mod:`vistakit.features`.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg
from scipy.linalg import blas


class FeatureStatisticsWarning(UserWarning):
    """Too few samples for a full-rank covariance: the score is biased and not comparable."""


def _as_features(x, name: str) -> np.ndarray:
    arr = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name}: features must have shape (N, D), got {arr.shape}")
    if len(arr) == 0:
        raise ValueError(f"{name}: no samples")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: features contain NaN or infinity")
    return arr


def feature_statistics(features, *, name: str = "features") -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (unbiased, N-1) of (N, D) features, in float64.

    Warns with :class:`FeatureStatisticsWarning` when N <= D: the covariance then has
    rank at most N-1 < D, so the Fréchet distance is biased upwards and cannot be
    compared with scores computed on enough samples (the usual protocol uses 10,000+
    images for 2048-d features).
    """
    f = _as_features(features, name)
    n, d = f.shape
    if n < 2:
        raise ValueError(f"{name}: need at least 2 samples for a covariance, got {n}")
    if n <= d:
        warnings.warn(rank_deficiency_message(name, n, d), FeatureStatisticsWarning, stacklevel=2)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def rank_deficiency_message(name: str, n: int, d: int) -> str:
    """What N <= D samples mean for a Fréchet distance, in words."""
    return (
        f"{name}: {n} samples for {d}-dimensional features; the covariance has rank <= {n - 1} < {d}, "
        "so the score is biased and not comparable with scores on more images (use >= 10,000 for FID)"
    )


def frechet_distance(mu1, sigma1, mu2, sigma2, *, eps: float = 1e-6, method: str = "sqrtm") -> float:
    """Fréchet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    ``|mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``, the square root by
    scipy's ``sqrtm``. When that root is not finite (singular covariances: fewer samples
    than dimensions), ``eps`` is added to both diagonals, as in the reference FID code,
    and the result is the distance between these regularized Gaussians: unlike
    pytorch-fid, the traces get the offset too, so the score cannot turn negative. A root
    with an imaginary part larger than 1e-3 is an error, never a silently complex score;
    so is a clearly negative result.

    ``method="eigh"`` computes the same trace without forming the root: with
    ``sigma1 = L L^T`` (Cholesky), ``tr (sigma1 sigma2)^(1/2) = sum sqrt(eig(L^T sigma2 L))``,
    a symmetric eigenvalue problem that is several times faster for 2048-d features
    (see ``benchmarks/generation.py``); both agree to rounding. A singular ``sigma1`` is
    factored exactly instead (``L = V sqrt(w)`` from its eigendecomposition), so this
    route needs no ``eps`` and gives the exact distance of the singular Gaussians, the
    value ``sqrtm`` approximates there.

    Args:
        mu1, mu2: (D,) means.
        sigma1, sigma2: (D, D) covariances.
        eps: diagonal offset for the singular case of the "sqrtm" route.
        method: "sqrtm" (scipy's matrix square root, the reference) or "eigh".

    Returns:
        The distance (float, >= 0 up to rounding).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape:
        raise ValueError(f"means have different lengths: {mu1.shape} vs {mu2.shape}")
    if s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"covariances must be ({mu1.size}, {mu1.size}), got {s1.shape} and {s2.shape}")
    for arr, what in ((mu1, "mu1"), (mu2, "mu2"), (s1, "sigma1"), (s2, "sigma2")):
        if not np.isfinite(arr).all():
            raise ValueError(f"{what} contains NaN or infinity")
    diff = mu1 - mu2
    if method == "eigh":
        tr_sqrt, offset = _trace_sqrt_product(s1, s2), 0.0
    elif method == "sqrtm":
        offset = 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", linalg.LinAlgWarning)  # the singular case is handled below
            covmean = linalg.sqrtm(s1.dot(s2))
            if not np.isfinite(covmean).all():
                offset = eps
                eye = np.eye(s1.shape[0]) * eps
                covmean = linalg.sqrtm((s1 + eye).dot(s2 + eye))
        if np.iscomplexobj(covmean):
            if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
                raise ValueError(
                    f"the matrix square root has an imaginary component of {np.abs(covmean.imag).max():.3g}; "
                    "the covariances are numerically unstable (too few samples?)"
                )
            covmean = covmean.real
        tr_sqrt = float(np.trace(covmean))
    else:
        raise ValueError(f"method must be 'sqrtm' or 'eigh', got {method!r}")
    traces = float(np.trace(s1) + np.trace(s2)) + 2 * offset * s1.shape[0]
    return _checked(float(diff.dot(diff)) + traces - 2.0 * tr_sqrt, traces)


def _checked(value: float, scale: float) -> float:
    """A distance >= 0: rounding below zero becomes 0; clearly negative is a numerical failure."""
    if value >= 0:
        return value
    if value > -1e-6 * max(scale, 1.0):
        return 0.0
    raise ValueError(f"the Fréchet distance came out negative ({value:.6g}); the covariances are numerically unstable")


def _trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """tr((s1 s2)^(1/2)) for symmetric PSD s1, s2: ``sum sqrt(eig(A^T s2 A))`` for any ``s1 = A A^T``.

    A is the Cholesky factor, or for a singular s1 ``V sqrt(max(w, 0))`` from its
    eigendecomposition (exact, no regularization).
    """
    # (the inputs were checked finite by the caller: skip scipy's copies that check it again)
    try:
        chol = linalg.cholesky(s1, lower=True, check_finite=False)
    except linalg.LinAlgError:  # singular
        w, v = linalg.eigh(s1, check_finite=False)
        a = v * np.sqrt(np.clip(w, 0, None))
        m = a.T @ s2 @ a
    else:
        # L^T s2 L by two triangular products (half the work of two general ones)
        s2_l = blas.dtrmm(1.0, chol, s2, side=1, lower=1)
        m = blas.dtrmm(1.0, chol, s2_l, side=0, lower=1, trans_a=1)
    eig = linalg.eigvalsh(m, check_finite=False)
    return float(np.sqrt(np.clip(eig, 0, None)).sum())


def _fid_low_rank(x: np.ndarray, y: np.ndarray) -> float:
    """Exact FID of (n1, D) and (n2, D) features from n1 x n2 products, for few samples (n1 + n2 < D).

    With centered features X, Y, ``s1 = X^T X / (n1 - 1)`` and ``s2 = Y^T Y / (n2 - 1)``,
    the nonzero eigenvalues of ``s1 s2`` are those of ``B B^T`` with
    ``B = X Y^T / sqrt((n1 - 1)(n2 - 1))``, so ``tr (s1 s2)^(1/2)`` is the sum of B's
    singular values: an n1 x n2 problem instead of D x D, the same number as
    :func:`frechet_distance`'s "eigh" route to rounding.
    """
    xc, yc = x - x.mean(0), y - y.mean(0)
    b = (xc @ yc.T) / np.sqrt((len(x) - 1) * (len(y) - 1))
    tr_sqrt = float(linalg.svdvals(b).sum())
    diff = x.mean(0) - y.mean(0)
    traces = float((xc * xc).sum() / (len(x) - 1) + (yc * yc).sum() / (len(y) - 1))
    return _checked(float(diff.dot(diff)) + traces - 2.0 * tr_sqrt, traces)


def fid_from_features(real, fake, *, eps: float = 1e-6, method: str = "eigh") -> float:
    """FID between two (N, D) feature sets.

    With fewer samples than dimensions in all (``N1 + N2 < D``) and ``method="eigh"``
    the distance comes from N1 x N2 products (exact, and fast however large D is);
    otherwise from the statistics by :func:`frechet_distance` with ``method``. Warns like
    :func:`feature_statistics` when a set has no more samples than dimensions.
    """
    x, y = _as_features(real, "real"), _as_features(fake, "fake")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"real and fake features differ in width: {x.shape[1]} vs {y.shape[1]}")
    if len(x) + len(y) < x.shape[1] and method == "eigh":
        for f, name in ((x, "real"), (y, "fake")):  # feature_statistics' checks, without its D x D covariance
            if len(f) < 2:
                raise ValueError(f"{name}: need at least 2 samples for a covariance, got {len(f)}")
            warnings.warn(rank_deficiency_message(name, len(f), f.shape[1]), FeatureStatisticsWarning, stacklevel=2)
        return _fid_low_rank(x, y)
    mu1, s1 = feature_statistics(x, name="real")
    mu2, s2 = feature_statistics(y, name="fake")
    return frechet_distance(mu1, s1, mu2, s2, eps=eps, method=method)


def _poly_mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    kxx = (x @ x.T / d + 1.0) ** 3
    kyy = (y @ y.T / d + 1.0) ** 3
    kxy = (x @ y.T / d + 1.0) ** 3
    m = x.shape[0]
    n = y.shape[0]
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2.0 * kxy.mean())


def kid_from_features(real, fake, *, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance: unbiased MMD^2 with the kernel ``(x.y / d + 1)^3``.

    Averaged over ``subsets`` random subsets of ``subset_size`` samples from each set
    (drawn without replacement within a subset).

    Returns:
        ``(mean, std)`` over the subsets.
    """
    x = _as_features(real, "real")
    y = _as_features(fake, "fake")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"real and fake features differ in width: {x.shape[1]} vs {y.shape[1]}")
    size = min(subset_size, len(x), len(y))
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(x)} real and {len(y)} fake")
    rng = np.random.default_rng(seed)
    vals = np.array(
        [
            _poly_mmd2_unbiased(x[rng.choice(len(x), size, replace=False)], y[rng.choice(len(y), size, replace=False)])
            for _ in range(subsets)
        ]
    )
    return float(vals.mean()), float(vals.std())


def inception_score_from_probs(probs, *, splits: int = 10) -> tuple[float, float]:
    """Inception Score ``exp(E_x KL(p(y|x) || p(y)))`` over ``splits`` consecutive splits.

    Args:
        probs: (N, C) class probabilities (rows sum to 1).
        splits: number of splits; the score is computed per split.

    Returns:
        ``(mean, std)`` over the splits.
    """
    p = _as_features(probs, "probabilities")
    if (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-4):
        worst = np.abs(p.sum(axis=1) - 1).max()
        raise ValueError(f"probabilities must be non-negative rows summing to 1 (off by up to {worst:.3g})")
    if splits < 1 or splits > len(p):
        raise ValueError(f"splits must be between 1 and the number of images ({len(p)}), got {splits}")
    scores = []
    for part in np.array_split(p, splits):
        py = part.mean(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(part > 0, part * (np.log(part) - np.log(py)), 0.0).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    scores = np.array(scores)
    return float(scores.mean()), float(scores.std())
