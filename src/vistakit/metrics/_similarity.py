"""Exact nearest neighbours by cosine similarity with a blocked matrix product."""

from __future__ import annotations

import numpy as np
import torch


def _unit(x, name: str) -> torch.Tensor:
    """Rows scaled to unit L2 norm (zero rows stay zero), in two passes over the data.

    A NaN or infinity makes its row's norm non-finite, so the finiteness check runs on
    the (N,) norms rather than on the whole (N, D) matrix (at a million rows that
    separate pass cost more than the search); only when a norm is not finite is the
    matrix itself looked at, telling bad values from a norm that merely overflowed.
    """
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x).float()
    if t.ndim != 2:
        raise ValueError(f"{name}: embeddings must have shape (N, D), got {tuple(t.shape)}")
    norms = torch.linalg.vector_norm(t, dim=1)
    if not torch.isfinite(norms).all():
        if not torch.isfinite(t).all():
            raise ValueError(f"{name}: embeddings contain NaN or infinity")
        norms = torch.linalg.vector_norm(t.double(), dim=1).float()  # huge finite values: norms in float64
    return t / norms.clamp_min(1e-12)[:, None]


@torch.no_grad()
def cosine_knn(
    queries, database, *, k: int = 10, block_size: int = 65536, exclude_self: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours of each query by cosine similarity.

    The database is scanned in blocks of ``block_size`` rows (one matrix product per
    block and a running top-k merge), so memory stays at (Q, block_size) however large
    the database is, with no per-item Python loop.

    Args:
        queries: (Q, D) embeddings.
        database: (N, D) embeddings.
        k: neighbours per query (at most N).
        block_size: database rows per matrix product.
        exclude_self: when queries *are* the database, skip each row's own index.

    Returns:
        ``(similarities (Q, k) float32, indices (Q, k) int64)``, most similar first.
    """
    q, db = _unit(queries, "queries"), _unit(database, "database")
    if q.shape[1] != db.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} dimensions, the database {db.shape[1]}")
    n = db.shape[0]
    k = min(k, n - (1 if exclude_self else 0))
    if k < 1:
        raise ValueError("the database is empty")
    best_s = torch.full((q.shape[0], k), -float("inf"))
    best_i = torch.zeros((q.shape[0], k), dtype=torch.long)
    rows = torch.arange(q.shape[0])
    for start in range(0, n, block_size):
        sims = q @ db[start : start + block_size].T
        if exclude_self:
            cols = rows - start
            ok = (cols >= 0) & (cols < sims.shape[1])
            sims[rows[ok], cols[ok]] = -float("inf")
        kb = min(k, sims.shape[1])
        s, i = sims.topk(kb, dim=1)
        cat_s = torch.cat([best_s, s], dim=1)
        cat_i = torch.cat([best_i, i + start], dim=1)
        best_s, order = cat_s.topk(k, dim=1)
        best_i = cat_i.gather(1, order)
    return best_s.numpy(), best_i.numpy()


def near_duplicates(a, b=None, *, threshold: float = 0.95, block_size: int = 65536) -> np.ndarray:
    """Pairs whose cosine similarity is at least ``threshold``.

    Args:
        a: (N, D) embeddings.
        b: (M, D) embeddings; None to search within ``a`` (each pair once, i < j).
        threshold: minimal cosine similarity.

    Returns:
        (P, 3) array of ``[index_in_a, index_in_b, similarity]`` rows, most similar first.
    """
    x = _unit(a, "a")
    y = x if b is None else _unit(b, "b")
    out = []
    for start in range(0, x.shape[0], block_size):
        sims = x[start : start + block_size] @ y.T
        if b is None:  # each unordered pair once: keep j > i only
            r = torch.arange(sims.shape[0])[:, None] + start
            sims = sims.masked_fill(torch.arange(y.shape[0])[None, :] <= r, -float("inf"))
        ii, jj = torch.nonzero(sims >= threshold, as_tuple=True)
        out.append(torch.stack([ii.double() + start, jj.double(), sims[ii, jj].double()], dim=1))
    res = torch.cat(out).numpy() if out else np.zeros((0, 3))
    return res[np.argsort(-res[:, 2], kind="stable")]
