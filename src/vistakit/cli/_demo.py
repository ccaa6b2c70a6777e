"""`vistakit demo`: the main job on an embedded default, end to end."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ._main import HelpFormatter


def _step(title: str) -> None:
    print(f"\n== {title}")


def _demo(args) -> int:
    from ..data import load_dataset, save_preview
    from ._main import main as cli_main

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    _step("Fashion-MNIST: the dataset card")
    cli_main(["datasets", "info", "fashion-mnist"])
    test = load_dataset("fashion-mnist", "test")
    print(f"\nloaded the test split: {len(test):,} images {tuple(test.data.shape[1:])}, "
          f"first label {int(test.targets[0])} ({test.classes[int(test.targets[0])]})")
    grid = save_preview(test, out / "fashion-mnist-grid.png")
    print(f"sample grid: {grid}")

    print(f"\ndemo finished in {time.perf_counter() - t0:.1f} s; outputs in {out.resolve()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job on the embedded default (Fashion-MNIST)",
                       description="Load Fashion-MNIST, show its card and write a labelled sample grid.",
                       formatter_class=HelpFormatter, epilog="example:\n  vistakit demo --out demo-out")
    p.add_argument("--out", default="demo-out", help="folder for the demo's pictures and reports")
    p.set_defaults(func=_demo)
