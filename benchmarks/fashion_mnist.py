"""Fashion-MNIST training benchmark (also `vistakit benchmark fashion-mnist`).

Trains vistakit's fast recipe and a plain PyTorch baseline (small CNN, Adam, a
standard loop: see vistakit/engine/_benchmark.py) in one run on this machine's
CPU and prints JSON: each one's test accuracy after every epoch, the training
seconds, the time each needed to first reach 91% test accuracy, and which of the
recipe's targets were met ("targets": fast 93% within 300 s and 3x shorter time
to 91%; best 95% within an hour).

    python benchmarks/fashion_mnist.py [--recipe best] [--threads 2] [--seed 0]
"""

from __future__ import annotations

import argparse
import json

from vistakit.engine._benchmark import benchmark_fashion_mnist


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="fast")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline-epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    result = benchmark_fashion_mnist(recipe=args.recipe, threads=args.threads, baseline_epochs=args.baseline_epochs,
                                     seed=args.seed, progress=not args.quiet)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
