"""Few-label comparisons: test accuracy against labelled images per class, for several ways to train.

:func:`compare_label_budgets` runs :func:`finetune` once per (method, labels per class, repeat)
on nested labelled subsets (:func:`labelled_subset`: for a seed the 10-label set lies inside
the 30-label set) and collects test accuracy and seconds into a :class:`Comparison`, which
writes a plot, a Markdown table, JSON and an HTML page.

Two experiments are built on it:

* :func:`transfer_to_digits` / :func:`transfer_comparison`: a backbone trained on
  Fashion-MNIST, transferred to scikit-learn's 8x8 digits (upsampled to the backbone's
  input side), against the same model trained from scratch on the same labels;
* :func:`pretrained_comparison`: ImageNet-pretrained backbones (EfficientNet-Lite0,
  MobileNetV2) on Fashion-MNIST as frozen feature extractors with a linear probe and
  fine-tuned, against their architecture and the fast recipe's FastNet from scratch
  (``benchmarks/transfer.py`` runs it in full; ``vistakit demo`` runs a small one).
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from torch.utils.data import Subset

from .._files import atomic_write
from ._config import TrainConfig
from ._finetune import FinetuneConfig, finetune, resolve_weights
from ._prepared import dataset_targets, labelled_subset


def _comparison_config() -> TrainConfig:
    """The training settings every method of both comparisons starts from (a fresh copy each call:
    each method sets its own epochs, learning rates and freezing on top)."""
    return TrainConfig(amp="auto", label_smoothing=0.1, warmup_epochs=0.0, weight_decay=0.05)


@dataclass(frozen=True)
class Method:
    """One way to train, as :func:`finetune` arguments.

    Attributes:
        name: shown in tables and the plot.
        model: registry name (None: the RUN_DIR's model given as ``weights``).
        weights: None (from scratch), a published tag, a checkpoint file or a RUN_DIR.
        options: :class:`FinetuneConfig` fields (freeze, epochs, lr, image_size, train...);
            the seed is the comparison's.
    """

    name: str
    model: str | None
    weights: str | os.PathLike | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    """Results of :func:`compare_label_budgets`.

    Attributes:
        rows: one dict per run: method, labels_per_class, repeat, train_images,
            accuracy, macro_f1, seconds (wall time of the run, evaluation included).
        title: heading of the report and the plot.
        notes: lines for the report (settings, what was cached...).
        test_images: images the accuracy is measured on.
    """

    rows: list[dict[str, Any]]
    title: str
    notes: list[str] = field(default_factory=list)
    test_images: int = 0

    def methods(self) -> list[str]:
        return list(dict.fromkeys(r["method"] for r in self.rows))

    def budgets(self) -> list[int]:
        return sorted({r["labels_per_class"] for r in self.rows})

    def table(self) -> list[dict[str, Any]]:
        """Mean and standard deviation over repeats, per (method, labels per class)."""
        out = []
        for m in self.methods():
            for k in self.budgets():
                runs = [r for r in self.rows if r["method"] == m and r["labels_per_class"] == k]
                if not runs:
                    continue
                acc = np.array([r["accuracy"] for r in runs])
                out.append({"method": m, "labels_per_class": k, "repeats": len(runs),
                            "accuracy": float(acc.mean()), "accuracy_std": float(acc.std()),
                            "seconds": float(np.mean([r["seconds"] for r in runs]))})
        return out

    def accuracy(self, method: str, labels_per_class: int) -> float:
        """Mean test accuracy of ``method`` at ``labels_per_class``."""
        for r in self.table():
            if r["method"] == method and r["labels_per_class"] == labels_per_class:
                return r["accuracy"]
        raise KeyError(f"no runs of {method!r} with {labels_per_class} labels per class")

    def markdown(self) -> str:
        """Test accuracy (and seconds per run) as a Markdown table: methods down, labels per class across."""
        table = {(r["method"], r["labels_per_class"]): r for r in self.table()}
        ks = self.budgets()
        lines = ["| method | " + " | ".join(f"{k}/class" for k in ks) + " |",
                 "|---|" + "---:|" * len(ks)]
        for m in self.methods():
            cells = []
            for k in ks:
                r = table.get((m, k))
                if r is None:
                    cells.append("-")
                    continue
                std = f" ± {100 * r['accuracy_std']:.1f}" if r["repeats"] > 1 else ""
                cells.append(f"{100 * r['accuracy']:.1f}%{std} ({r['seconds']:.0f} s)")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"

    def plot_png(self) -> bytes:
        """Accuracy against labels per class (log scale), one line per method, as a PNG."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.2))
        rows = self.table()
        for m in self.methods():
            pts = [r for r in rows if r["method"] == m]
            ks = [r["labels_per_class"] for r in pts]
            acc = np.array([100 * r["accuracy"] for r in pts])
            std = np.array([100 * r["accuracy_std"] for r in pts])
            line, = ax.plot(ks, acc, "o-", label=m)
            if any(r["repeats"] > 1 for r in pts):
                ax.fill_between(ks, acc - std, acc + std, alpha=0.15, color=line.get_color())
        ax.set_xscale("log")
        ks = self.budgets()
        ax.set_xticks(ks)
        ax.set_xticklabels([str(k) for k in ks])
        ax.set_xlabel("labelled training images per class")
        ax.set_ylabel(f"test accuracy (%, {self.test_images:,} images)")
        ax.set_title(self.title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        return buf.getvalue()

    def save(self, out_dir: str | os.PathLike, *, stem: str = "comparison") -> dict[str, Path]:
        """Write ``{stem}.png``, ``{stem}.md``, ``{stem}.json`` and ``{stem}.html`` into ``out_dir``."""
        from ..metrics import HtmlReport

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        png = self.plot_png()
        paths = {"png": out / f"{stem}.png", "md": out / f"{stem}.md", "json": out / f"{stem}.json",
                 "html": out / f"{stem}.html"}
        atomic_write(paths["png"], png)
        atomic_write(paths["md"], f"# {self.title}\n\n" + self.markdown()
                          + "".join(f"\n- {n}" for n in self.notes) + "\n")
        atomic_write(paths["json"], json.dumps({"title": self.title, "notes": self.notes,
                                                     "test_images": self.test_images, "table": self.table(),
                                                     "rows": self.rows}, indent=2) + "\n")
        report = HtmlReport(self.title)
        report.add_png(png, caption="Test accuracy against labelled training images per class "
                                    "(mean over repeats; the band is one standard deviation).",
                       alt="accuracy against labels per class")
        report.add_heading("Accuracy (seconds per run)")
        ks = self.budgets()
        table = {(r["method"], r["labels_per_class"]): r for r in self.table()}
        report.add_table([[m] + [_cell(table.get((m, k))) for k in ks] for m in self.methods()],
                         header=["method"] + [f"{k} / class" for k in ks])
        if self.notes:
            report.add_heading("Settings")
            for n in self.notes:
                report.add_paragraph(n)
        report.save(paths["html"])
        return paths


def _cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    std = f" ± {100 * r['accuracy_std']:.1f}" if r["repeats"] > 1 else ""
    return f"{100 * r['accuracy']:.1f}%{std} ({r['seconds']:.1f} s)"


def compare_label_budgets(
    methods: Sequence[Method],
    train: Any,
    test: Any,
    *,
    labels_per_class: Sequence[int],
    repeats: int = 1,
    seed: int = 0,
    title: str = "Accuracy against labelled images per class",
    feature_cache: str | os.PathLike | None = None,
    progress: bool = False,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> Comparison:
    """Train every method on ``labels_per_class[i]`` labelled images per class and test it.

    Args:
        methods: the ways to train.
        train: training split (the labelled subsets are drawn from it).
        test: the test split every run is scored on.
        labels_per_class: labelled images per class.
        repeats: subsets per budget (seeds ``seed``, ``seed + 1``, ...); all methods see
            the same subsets.
        seed: first seed.
        title: of the plot and the report.
        feature_cache: folder for cached features (one subfolder per method), so linear
            probes and probe-initialised heads compute each image's features once.
        progress: progress bars of the runs.
        on_run: called with each row as it is measured (e.g. to print it).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    targets = dataset_targets(train)
    smallest = int(np.bincount(targets.numpy()).min())
    too_many = [k for k in labels_per_class if k > smallest]
    if too_many:
        raise ValueError(f"labels per class {too_many} exceed the {smallest} images of the smallest class")
    rows = []
    for k in labels_per_class:
        for rep in range(repeats):
            s = seed + rep
            idx = labelled_subset(targets, per_class=k, seed=s)
            sub = Subset(train, idx.tolist())
            for m in methods:
                cache = None if feature_cache is None else Path(feature_cache) / _slug(m.name)
                t0 = time.perf_counter()
                res = finetune(m.model, sub, None, FinetuneConfig(**{**m.options, "seed": s}), test=test,
                               weights=m.weights, feature_cache=cache, progress=progress)
                row = {"method": m.name, "labels_per_class": k, "repeat": rep, "train_images": len(sub),
                       "accuracy": res.summary["test_accuracy"], "macro_f1": res.summary["macro_f1"],
                       "seconds": time.perf_counter() - t0, "phase_seconds": res.summary["seconds"]}
                rows.append(row)
                if on_run is not None:
                    on_run(row)
    return Comparison(rows, title, test_images=len(test))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


# ----------------------------------------------------------------------------- digits


def _source_side(weights: str | os.PathLike) -> int:
    """The input side a RUN_DIR's model was trained at (its image_size, else its data set's)."""
    from ..data import dataset_info
    from ..models import model_info
    from ._checkpoint import load_training_checkpoint

    source = resolve_weights(None, weights)
    if source.image_size:
        return source.image_size
    meta = load_training_checkpoint(source.load).get("meta") or {}
    try:
        size = dataset_info(meta["dataset"]).image_size
        if size:
            return int(size[0])
    except (KeyError, ValueError, TypeError):
        pass
    return model_info(source.model).input_size


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
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> Comparison:
    """Transfer a backbone trained on Fashion-MNIST to scikit-learn's digits, against training from scratch.

    The digits (8x8 grey, 1,500 training and 297 test images) are upsampled on the batch to the
    backbone's input side. Four methods on the same labelled images:

    * head, then unfrozen: the backbone's weights with a new 10-class head, ``steps``
      optimizer steps with the backbone frozen, then ``steps`` with everything unfrozen
      (discriminative learning rates, the backbone's normalization);
    * all layers fine-tuned: ``2 * steps`` steps from the backbone's weights;
    * frozen + linear probe: logistic regression on the frozen backbone's features;
    * from scratch: the same architecture, random init, ``2 * steps`` steps (the same total).

    Args:
        backbone: RUN_DIR of ``vistakit train`` / ``vistakit finetune`` on Fashion-MNIST
            (or any RUN_DIR of a vistakit classifier).
        labels_per_class: labelled digits per class (at most 150).
        repeats: labelled subsets per budget (mean and spread in the table).
        steps: optimizer steps per phase (batch 32).
        image_size: side the digits are upsampled to (default: the backbone's).
        out_dir: where the plot, table and report go (None: not written).
        seed: first seed.
        progress: progress bars.
        on_run: called with each measured row.

    Returns:
        The :class:`Comparison` (written to ``out_dir/transfer-digits.*`` when given).
    """
    from ..data import load_dataset

    source = resolve_weights(None, backbone)
    size = image_size or _source_side(backbone)
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    base = _comparison_config()
    common = dict(image_size=size, batch_size=32, min_steps=steps, train=base)
    methods = [
        Method("transferred: head, then unfrozen", None, backbone,
               dict(freeze="backbone", head_epochs=1, unfreeze_epochs=1, lr=1e-2, unfreeze_lr=3e-3, lr_mult=0.7,
                    **common)),
        Method("transferred: all layers fine-tuned", None, backbone,
               dict(freeze="none", head_epochs=1, lr=3e-3, **{**common, "min_steps": 2 * steps})),
        Method("transferred: frozen + linear probe", None, backbone, dict(linear_probe=True, image_size=size,
                                                                          train=base)),
        Method("from scratch", source.model, None,
               dict(freeze="none", head_epochs=1, lr=3e-3, **{**common, "min_steps": 2 * steps})),
    ]
    cmp = compare_label_budgets(methods, train, test, labels_per_class=labels_per_class, repeats=repeats,
                                seed=seed, title=f"{source.model} from Fashion-MNIST to digits "
                                                 f"(8x8 upsampled to {size}x{size})", progress=progress, on_run=on_run)
    cmp.notes += [f"Backbone: {source.description}, trained on Fashion-MNIST.",
                  f"Digits: scikit-learn's 8x8 grey digits, {len(train):,} training and {len(test):,} test images; "
                  f"labelled subsets nested per seed, {repeats} seed(s) per budget.",
                  f"Head, then unfrozen: {steps} steps training the new head with the backbone frozen (BatchNorm "
                  f"statistics too; lr 1e-2), then {steps} steps with every layer trained, discriminative learning "
                  "rates (3e-3 for the head, x0.7 per stage towards the input). All layers fine-tuned: "
                  f"{2 * steps} steps at lr 3e-3 from the backbone's weights. Batch 32, AdamW, label smoothing 0.1, "
                  "the backbone's normalization.",
                  f"From scratch: the same architecture, random init, {2 * steps} steps, lr 3e-3, batch 32, AdamW, "
                  "normalized with the labelled images' statistics."]
    if out_dir is not None:
        cmp.save(out_dir, stem="transfer-digits")
    return cmp


def transfer_comparison(
    source: str | os.PathLike | None = None,
    *,
    out_dir: str | os.PathLike,
    source_epochs: int = 4,
    labels_per_class: Sequence[int] = (1, 3, 5, 10, 30),
    repeats: int = 3,
    steps: int = 60,
    progress: bool = False,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> Comparison:
    """The digits experiment in full: train a source backbone on Fashion-MNIST if none is given.

    Args:
        source: RUN_DIR of a model trained on Fashion-MNIST; None trains the fast recipe's
            FastNet for ``source_epochs`` epochs into ``out_dir/source`` (reused when there).
        out_dir: where the source run, the plot, the table and the report go.
        source_epochs: epochs of that source run.
        labels_per_class: labelled digits per class.
        repeats: labelled subsets per budget.
        steps: optimizer steps per phase (see :func:`transfer_to_digits`).
        progress: progress bars.
        on_run: called with each measured row.
    """
    out = Path(out_dir)
    if source is None:
        from ._rundir import BEST
        from ._run import train_run

        source = out / "source"
        if not (source / BEST).is_file():
            train_run(out=source, dataset="fashion-mnist", recipe="fast", overrides={"epochs": source_epochs},
                      overwrite=True, progress=progress)
    return transfer_to_digits(source, labels_per_class=labels_per_class, repeats=repeats, steps=steps,
                              out_dir=out, progress=progress, on_run=on_run)


# ----------------------------------------------------------------------------- ImageNet-pretrained


def available_pretrained(names: Sequence[str], weights: str = "imagenet") -> tuple[list[str], list[str]]:
    """``(usable, reasons)``: the models whose ``weights`` are registered and on this machine."""
    from ..models import model_info, resolve_weights_file

    usable, reasons = [], []
    for name in names:
        try:
            spec = model_info(name)
            resolve_weights_file(spec, spec.get_weights(weights), download=False)
            usable.append(name)
        except (ValueError, FileNotFoundError, OSError) as e:
            reasons.append(f"{name} skipped: {str(e).splitlines()[0]}")
    return usable, reasons


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
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> Comparison:
    """ImageNet-pretrained backbones against training from scratch, with few labels per class.

    Methods (``methods`` picks among them):

    * "probe": each pretrained backbone frozen, a logistic-regression probe on its features;
    * "finetune": each pretrained backbone with the probe as its head, then its last
      ``unfreeze_stages`` stages and head trained ``finetune_steps`` steps with
      discriminative learning rates (the rest frozen, BatchNorm statistics included);
    * "scratch": the first backbone's architecture from random init, ``scratch_steps`` steps;
    * "fast": the fast recipe (FastNet, Nesterov SGD one-cycle, flip+shift) from scratch at
      the native 28x28, ``fast_steps`` steps.

    Pretrained and scratch backbones see the images upsampled to ``image_size`` on the batch,
    with the weights' normalization (ImageNet mean/std averaged over RGB: grey input goes
    through the summed first-convolution filters).

    Args:
        backbones: registry names; those whose weights are not on this machine are skipped
            (named in the notes).
        weights: the published tag.
        dataset: a registered grey or colour classification data set with train and test splits.
        labels_per_class: labelled training images per class.
        image_size: side of the backbones' input.
        methods: which of "probe", "finetune", "scratch", "fast".
        finetune_steps: optimizer steps of the fine-tuning (batch 32).
        unfreeze_stages: stages fine-tuned, counted from the output.
        unfreeze_lr: peak learning rate of the head when fine-tuning (x0.5 per earlier stage).
        freeze_bn_stats: keep every BatchNorm's ImageNet statistics while fine-tuning
            (see :func:`finetune`).
        scratch_steps: steps of the backbone architecture from scratch (batch 32).
        fast_steps: steps of the fast recipe from scratch (batch up to 512).
        test_limit: score on a class-balanced subset of this many test images (None: all).
        repeats: labelled subsets per budget.
        seed: first seed.
        out_dir: where the plot, table, report and feature cache go.
        data_root: folder holding the data set's files.
        progress: progress bars.
        on_run: called with each measured row.
    """
    from ._recipes import get_recipe
    from ._run import load_split

    unknown = sorted(set(methods) - {"probe", "finetune", "scratch", "fast"})
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; expected probe, finetune, scratch, fast")
    usable, notes = available_pretrained(backbones, weights)
    train = load_split(dataset, "train", root=data_root)
    test = load_split(dataset, "test", root=data_root)
    if test_limit is not None:
        k = test_limit // int(dataset_targets(test).max() + 1)
        test = Subset(test, labelled_subset(dataset_targets(test), per_class=k, seed=10_000 + seed).tolist())
    base = _comparison_config()
    common = dict(image_size=image_size, batch_size=32, train=base)
    plan: list[Method] = []
    if "probe" in methods:
        plan += [Method(f"{b} {weights}, frozen + linear probe", b, weights, dict(linear_probe=True, **common))
                 for b in usable]
    if "finetune" in methods:
        plan += [Method(f"{b} {weights}, fine-tuned", b, weights,
                        dict(head_init="probe", head_epochs=0, unfreeze_epochs=1, unfreeze_stages=unfreeze_stages,
                             unfreeze_lr=unfreeze_lr, lr_mult=0.5, min_steps=finetune_steps,
                             freeze_bn_stats=freeze_bn_stats, **common))
                 for b in usable]
    if "scratch" in methods and backbones:
        arch = backbones[0]
        plan.append(Method(f"{arch} from scratch", arch, None,
                           dict(freeze="none", head_epochs=1, lr=3e-3, min_steps=scratch_steps, **common)))
    if "fast" in methods:
        fast = get_recipe("fast")
        cfg = fast.config()
        plan.append(Method("fastnet (fast recipe) from scratch, 28x28", fast.model, None,
                           dict(freeze="none", head_epochs=1, lr=cfg.lr, batch_size=cfg.batch_size,
                                min_steps=fast_steps, train=cfg)))
    cache = None if out_dir is None else Path(out_dir) / "features"
    cmp = compare_label_budgets(plan, train, test, labels_per_class=labels_per_class, repeats=repeats, seed=seed,
                                title=f"{dataset}: {weights}-pretrained vs from scratch ({image_size}x{image_size})",
                                feature_cache=cache, progress=progress, on_run=on_run)
    cmp.notes += notes + [
        f"Test: {len(test):,} {dataset} test images; labelled subsets nested per seed, {repeats} seed(s) per budget.",
        f"Pretrained and scratch backbones: images upsampled to {image_size}x{image_size} on the batch, grey input "
        "through the summed first-convolution filters, the weights' normalization (scratch: the data's).",
        "Linear probe: scikit-learn logistic regression (C=1) on standardized pre-logits of the frozen network; "
        "features are cached, so each image is embedded once per backbone (the first run pays for the test set).",
        f"Fine-tuned: head initialised from the probe, then the last {unfreeze_stages} stages and the head trained "
        f"{finetune_steps}+ steps (an epoch at least) at lr {unfreeze_lr:g} for the head, x0.5 per earlier stage, "
        "AdamW, batch 32, label smoothing 0.1; the other layers frozen; "
        + ("every BatchNorm keeps its ImageNet statistics." if freeze_bn_stats else
           "the trained BatchNorm layers' statistics recomputed on the training images at the end."),
        f"From scratch: {scratch_steps}+ steps, AdamW lr 3e-3, batch 32, label smoothing 0.1, BatchNorm statistics "
        "recomputed on the training images at the end (precise BN: Lite0's momentum 0.01 lags a short run). "
        f"Fast recipe: {fast_steps}+ steps with its own options (batch up to 512, SGD one-cycle, its "
        "augmentation, flip TTA).",
    ]
    if out_dir is not None:
        cmp.save(out_dir, stem="transfer")
    return cmp


__all__ = ["Comparison", "Method", "available_pretrained", "compare_label_budgets", "pretrained_comparison",
           "transfer_comparison", "transfer_to_digits"]
