"""Generation-quality benchmark: FID on precomputed features, and Inception feature throughput.

Prints JSON. The FID part times, for 10,000 vs 10,000 precomputed 2048-d features:
the statistics (mean, covariance) and the distance itself by scipy's sqrtm (the
reference) and by the Cholesky + symmetric-eigenvalue route; the ratio is measured
in the same run. The extraction part times the FID Inception v3 at 299x299 on this
machine's CPU threads (random weights: throughput does not depend on them).

    python benchmarks/generation.py [--n 10000] [--dim 2048] [--extract-batches 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from vistakit.metrics._generation import feature_statistics, frechet_distance


def _time(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--extract-batches", type=int, default=3, help="batches of 16 at 299x299 (0: skip)")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    # features shaped like Inception pool features: non-negative, correlated
    mix = rng.normal(size=(args.dim, args.dim)) / np.sqrt(args.dim)
    real = np.abs(rng.normal(size=(args.n, args.dim)) @ mix)
    fake = np.abs(rng.normal(size=(args.n, args.dim)) @ mix * 1.05 + 0.01)

    t_stats, ((mu1, s1), (mu2, s2)) = _time(lambda: (feature_statistics(real), feature_statistics(fake)))
    t_sqrtm, d_sqrtm = _time(lambda: frechet_distance(mu1, s1, mu2, s2, method="sqrtm"))
    t_eigh, d_eigh = _time(lambda: frechet_distance(mu1, s1, mu2, s2, method="eigh"), repeat=2)
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}",
        "load_average": os.getloadavg()[0],
        "fid": {
            "n": args.n, "dim": args.dim,
            "statistics_s": round(t_stats, 3),
            "distance_sqrtm_s": round(t_sqrtm, 3),
            "distance_eigh_s": round(t_eigh, 3),
            "eigh_speedup_vs_sqrtm": round(t_sqrtm / t_eigh, 2),
            "fid_sqrtm": d_sqrtm, "fid_eigh": d_eigh,
            "relative_difference": abs(d_sqrtm - d_eigh) / abs(d_sqrtm),
        },
    }
    if args.extract_batches:
        from vistakit.models import create_model, list_models

        name = "fid_inception_v3" if "fid_inception_v3" in list_models() else "inception_v3"
        model = create_model(name).eval()
        x = torch.randn(16, 3, 299, 299)
        with torch.inference_mode():
            model(x[:2])
            t0 = time.perf_counter()
            for _ in range(args.extract_batches):
                model.forward_head(model.forward_features(x), pre_logits=True)
            dt = time.perf_counter() - t0
        result["extraction"] = {"model": name, "images_per_s_299px": round(16 * args.extract_batches / dt, 2)}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
