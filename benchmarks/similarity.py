"""Search by embedding: exact cosine search at a million vectors, and near duplicates in Fashion-MNIST.

1. ``cosine_knn`` (blocked matrix products, running top-k) over N database vectors
   against a per-item Python loop measured on a slice of the same database in the
   same run (its time scaled to N), and checked exact against a full argsort.
2. Near duplicates between Fashion-MNIST train and test with the default 16x16
   mean-centred thumbnails (the real files from /usr/share/datasets/fashion-mnist or
   the cache; skipped when absent): time, and how many test images pass each threshold.

Run: PYTHONPATH=src python benchmarks/similarity.py [--n 1000000] [--dim 128]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from vistakit.metrics import cosine_knn


def search(n: int, dim: int, queries: int, k: int) -> None:
    rng = np.random.default_rng(0)
    db = rng.standard_normal((n, dim), dtype=np.float32)
    q = rng.standard_normal((queries, dim), dtype=np.float32)
    t = time.perf_counter()
    sims, idx = cosine_knn(q, db, k=k)
    blocked = time.perf_counter() - t

    m = min(n, 20_000)  # the loop, timed on a slice and scaled
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    t = time.perf_counter()
    for row in db[:m]:
        _ = qn @ (row / np.linalg.norm(row))
    loop = (time.perf_counter() - t) * n / m

    check = min(n, 200_000)
    ref = qn @ (db[:check] / np.linalg.norm(db[:check], axis=1, keepdims=True)).T
    s_sub, i_sub = cosine_knn(q, db[:check], k=k, block_size=7_919)
    exact = bool((i_sub == np.argsort(-ref, axis=1)[:, :k]).all())
    print(f"exact search: {n:,} x {dim} database, {queries} queries, k={k}, {torch.get_num_threads()} threads")
    print(f"  blocked cosine_knn   {blocked:8.2f} s")
    print(f"  per-item loop        {loop:8.2f} s (timed on {m:,} rows, scaled)   ratio {loop / blocked:.0f}x")
    print(f"  same top-{k} as a full argsort on {check:,} rows (odd block size): {exact}")


def fashion_mnist() -> None:
    from vistakit.data import DatasetNotFoundError, load_dataset, thumbnail_embeddings

    try:
        train = load_dataset("fashion-mnist", "train", download=False)
        test = load_dataset("fashion-mnist", "test", download=False)
    except DatasetNotFoundError:
        print("fashion-mnist not on this machine: near-duplicate part skipped")
        return
    t = time.perf_counter()
    a, b = thumbnail_embeddings(train.data), thumbnail_embeddings(test.data)
    s, i = cosine_knn(b, a, k=1, block_size=4096)
    took = time.perf_counter() - t
    s, i = s[:, 0], i[:, 0]
    print(f"Fashion-MNIST near duplicates (16x16 mean-centred thumbnails), 10,000 test vs 60,000 train: {took:.1f} s")
    for th in (0.95, 0.98, 0.99, 0.995, 0.999):
        hit = s >= th
        same = (train.targets[i[hit]] == test.targets[hit]).float().mean().item() if hit.any() else float("nan")
        print(f"  cosine >= {th:<5}  {int(hit.sum()):6,} test images  (same label as their train match: {same:.0%})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--queries", type=int, default=10)
    p.add_argument("-k", type=int, default=10)
    args = p.parse_args()
    search(args.n, args.dim, args.queries, args.k)
    fashion_mnist()


if __name__ == "__main__":
    main()
