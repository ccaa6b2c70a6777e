"""Data-loading speed: IDX parsing and image-folder decoding.

1. Parse all 60,000 Fashion-MNIST training images into one uint8 tensor
   (the real files from /usr/share/datasets/fashion-mnist when present, else
   synthetic files of the same shape), against a per-image Python loop over the
   same decompressed buffer measured in the same run.
2. Decode throughput of a generated JPEG image folder through a DataLoader with
   0 and 2 workers (ratio against 0 workers).
3. Hashing the 70,000 Fashion-MNIST images for duplicate and leak detection.

Run: PYTHONPATH=src python benchmarks/datasets.py
"""

from __future__ import annotations

import gzip
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from vistakit.data import check_splits, load_dataset
from vistakit.data._idx import read_bytes

SYSTEM = Path("/usr/share/datasets/fashion-mnist")


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def idx_files(tmp: Path) -> tuple[Path, str]:
    if (SYSTEM / "train-images-idx3-ubyte.gz").exists():
        return SYSTEM, "real files"
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60_000), ("t10k", 10_000)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        head = lambda a: bytes([0, 0, 8, a.ndim]) + b"".join(d.to_bytes(4, "big") for d in a.shape)  # noqa: E731
        (tmp / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(head(images) + images.tobytes(), 6))
        (tmp / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(head(labels) + labels.tobytes(), 6))
    return tmp, "synthetic files (real ones absent)"


def per_image_loop(buf: bytes) -> torch.Tensor:
    """The baseline: one numpy view and one tensor per image, then a stack."""
    n = int.from_bytes(buf[4:8], "big")
    images = []
    for i in range(n):
        img = np.frombuffer(buf, np.uint8, 784, offset=16 + 784 * i).reshape(1, 28, 28)
        images.append(torch.from_numpy(img.copy()))
    return torch.stack(images)


def bench_idx(tmp: Path) -> None:
    folder, what = idx_files(tmp)
    print(f"[1] Fashion-MNIST train parse ({what}, {folder})")
    t_load, ds = best_of(lambda: load_dataset("fashion-mnist", "train", root=folder, download=False))
    t_gunzip, buf = best_of(lambda: read_bytes(folder / "train-images-idx3-ubyte.gz"))
    t_loop, ref = best_of(lambda: per_image_loop(buf))
    t_vec, _ = best_of(lambda: torch.from_numpy(np.frombuffer(buf, np.uint8, offset=16).reshape(-1, 1, 28, 28).copy()))
    assert torch.equal(ref, ds.data)
    print(
        f"    load_dataset('fashion-mnist', 'train'): {t_load * 1000:7.1f} ms for {len(ds):,} images "
        f"(gunzip {t_gunzip * 1000:.1f} ms of it)"
    )
    print(
        f"    parse of the decompressed buffer: vectorised {t_vec * 1000:7.1f} ms, per-image loop {t_loop * 1000:7.1f} ms "
        f"-> {t_loop / t_vec:.0f}x faster"
    )


def bench_folder(tmp: Path, n: int = 800, size: int = 160) -> None:
    root = tmp / "folder"
    rng = np.random.default_rng(1)
    for i in range(n):
        d = root / f"class_{i % 10}"
        d.mkdir(parents=True, exist_ok=True)
        # smooth random content so JPEG sizes are realistic
        small = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
        Image.fromarray(small).resize((size, size), Image.BILINEAR).save(d / f"{i:05d}.jpg", quality=90)
    ds = load_dataset("imagefolder", root=root)
    print(f"[2] image-folder decode: {n} JPEGs {size}x{size}, batch 32, {os.cpu_count()} CPU(s)")
    results = {}
    for workers in (0, 2):
        loader = torch.utils.data.DataLoader(ds, batch_size=32, num_workers=workers)
        for _ in loader:  # warm-up: file cache, worker start
            break
        t = time.perf_counter()
        count = sum(b[0].shape[0] for b in loader)
        results[workers] = count / (time.perf_counter() - t)
        print(f"    num_workers={workers}: {results[workers]:8.0f} images/s")
    print(f"    2 workers vs 0: {results[2] / results[0]:.2f}x")


def bench_check(tmp: Path) -> None:
    folder, what = idx_files(tmp)
    train = load_dataset("fashion-mnist", "train", root=folder, download=False)
    test = load_dataset("fashion-mnist", "test", root=folder, download=False)
    t, report = best_of(lambda: check_splits({"train": train, "test": test}), repeat=2)
    print(
        f"[3] check (hash 70,000 images, duplicates, leaks, balance): {t * 1000:.0f} ms; "
        f"{report.splits['train'].num_duplicates} duplicates in train, {report.leaks[0].count} train->test leaks"
    )


def main() -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_idx(tmp)
        bench_folder(tmp)
        bench_check(tmp)


if __name__ == "__main__":
    main()
