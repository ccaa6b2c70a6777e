"""Generation-quality benchmark: FID on precomputed features, and FID-Inception feature throughput.

Prints JSON. The FID part times, for 10,000 vs 10,000 precomputed 2048-d features: the
statistics (mean, covariance) and the distance itself by scipy's sqrtm (the reference,
pytorch-fid's route) and by the Cholesky + symmetric-eigenvalue route that
``vistakit.features.fid`` uses; the ratio is measured in the same run. The extraction
part times ``fid_inception_v3`` through the ``"fid_inception"`` feature extractor
(uint8 299x299 images in, 2048-d features and 1008-way probabilities out; random
weights: throughput does not depend on them) with ``--threads`` torch threads.

Every timing is given as wall seconds and as this process's CPU seconds: on a shared
machine the wall time grows with the load (printed before and after), the CPU time much
less. Unloaded, wall ~= CPU / threads for the parallel parts.

    python benchmarks/generation.py [--n 10000] [--dim 2048] [--extract-batches 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from vistakit.metrics import feature_statistics, frechet_distance


def _time(fn, repeat=1):
    """(best wall s, CPU s of that run, result)."""
    best, cpu, out = float("inf"), 0.0, None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall = time.perf_counter() - w0
        if wall < best:
            best, cpu = wall, time.process_time() - c0
    return best, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--extract-batches", type=int, default=3, help="batches of 16 at 299x299 (0: skip)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for the extraction")
    ap.add_argument("--skip-sqrtm", action="store_true", help="time only the eigh route")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    result: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average_1_5_15_before": [round(v, 2) for v in os.getloadavg()],
    }

    rng = np.random.default_rng(0)
    # features shaped like Inception pool features: non-negative, correlated
    mix = rng.normal(size=(args.dim, args.dim)) / np.sqrt(args.dim)
    real = np.abs(rng.normal(size=(args.n, args.dim)) @ mix)
    fake = np.abs(rng.normal(size=(args.n, args.dim)) @ mix * 1.05 + 0.01)

    t_stats, c_stats, ((mu1, s1), (mu2, s2)) = _time(lambda: (feature_statistics(real), feature_statistics(fake)))
    t_eigh, c_eigh, d_eigh = _time(lambda: frechet_distance(mu1, s1, mu2, s2, method="eigh"), repeat=2)
    fid = {
        "n": args.n,
        "dim": args.dim,
        "statistics_s": round(t_stats, 3),
        "statistics_cpu_s": round(c_stats, 3),
        "distance_eigh_s": round(t_eigh, 3),
        "distance_eigh_cpu_s": round(c_eigh, 3),
        "fid_eigh": d_eigh,
    }
    if not args.skip_sqrtm:
        t_sqrtm, c_sqrtm, d_sqrtm = _time(lambda: frechet_distance(mu1, s1, mu2, s2, method="sqrtm"))
        fid.update(
            {
                "distance_sqrtm_s": round(t_sqrtm, 3),
                "distance_sqrtm_cpu_s": round(c_sqrtm, 3),
                "eigh_speedup_vs_sqrtm_wall": round(t_sqrtm / t_eigh, 2),
                "eigh_speedup_vs_sqrtm_cpu": round(c_sqrtm / c_eigh, 2),
                "fid_sqrtm": d_sqrtm,
                "relative_difference": abs(d_sqrtm - d_eigh) / abs(d_sqrtm),
            }
        )
    result["fid"] = fid

    if args.extract_batches:
        from vistakit.features import get_extractor

        torch.manual_seed(0)
        ext = get_extractor("fid_inception", weights=None)
        x = torch.randint(0, 256, (16, 3, 299, 299), dtype=torch.uint8)
        ext(x[:2])  # warm-up
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.extract_batches):
            feats, probs = ext(x)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        assert feats.shape == (16, 2048) and probs.shape == (16, 1008)
        n = 16 * args.extract_batches
        result["extraction"] = {
            "model": "fid_inception_v3 via the fid_inception extractor",
            "threads": torch.get_num_threads(),
            "images": n,
            "images_per_s_299px": round(n / wall, 2),
            "cpu_s_per_image": round(cpu / n, 3),
        }
    result["load_average_1_5_15_after"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
