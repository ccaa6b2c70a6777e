"""finetune(): transfer a classifier to a new data set: a :class:`FinetuneConfig`, a plan of phases, :func:`fit`.

The options are one :class:`FinetuneConfig`; :func:`plan_phases` turns them into a list of
:class:`Phase` and each phase is a :func:`freeze` followed by a :func:`fit`:

1. **head** (``head_epochs``): the classifier is replaced for the new class count (and
   the first convolution adapted to the input channels, by :func:`create_model`); the
   layers named by ``freeze`` are frozen (:func:`freeze`: no gradient, no optimizer state,
   their BatchNorm kept in eval mode so its statistics do not move) and the rest trains.
2. **unfreeze** (``unfreeze_epochs``, optional): the last ``unfreeze_stages`` stages (all by
   default) are unfrozen and trained with discriminative learning rates: the head at
   ``unfreeze_lr``, each stage closer to the input ``lr_mult`` times the one after it
   (:func:`discriminative_param_groups`, by the model's group matcher).

BatchNorm: ``freeze_bn_stats`` keeps the loaded statistics of the layers that train too (by
default for published weights: ImageNet statistics beat those of small batches from another
domain), and ``precise_bn`` recomputes, after the last phase, the statistics of the BatchNorm
layers that trained on the training images (a slow running average lags a short run).

Or, the cheapest transfer of all, ``linear_probe=True`` (a plan with no phases): pre-logits
features of the frozen network (cached as ``features_{split}.npz``, :mod:`vistakit.features`'
cache) and a logistic regression on them. ``head_init="probe"`` starts the first phase from
that probe instead of a random head ("linear probe, then fine-tune": the random head's first
large gradients do not reach the pretrained features).

The training data is read once (:class:`PreparedData`: its tensors, class and channel counts,
class names, the labelled subset) and that is what every phase, the statistics and the probe get.

Images are resized on the batch (``image_size``: bilinear, a forward pre-hook on the model,
so checkpoints stay plain state dicts) and normalized with the statistics the weights were
trained with (a published entry's mean/std averaged over RGB for grey input, a run's own
mean/std), or with the training data's for a network trained from scratch.

The run folder (written by :class:`RunDir`):

RUN_DIR/config.yaml        what was asked: model, weights, the FinetuneConfig, each phase's frozen groups
                           and TrainConfig
RUN_DIR/head/, unfreeze/   each phase's :func:`fit` run folder (metrics, checkpoint.pt, best.pt)
RUN_DIR/metrics.jsonl      both phases, one line per epoch with its "phase"
RUN_DIR/best.pt            the final weights (the engine's checkpoint format: ``--weights RUN_DIR``
                           and ``create_model(weights=RUN_DIR/best.pt)`` load it)
RUN_DIR/features_*.npz     cached features (linear probe, probe head): vistakit.features' FeatureCache
RUN_DIR/probe.npz          the linear probe (standardization, coefficients, intercept)
RUN_DIR/summary.json       test accuracy, macro F1, cross-entropy and its reading, seconds per phase
RUN_DIR/report.html        learning curves and the test-set sections of :mod:`vistakit.metrics`
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import math
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Subset

from ..features import FeatureCache, dataset_fingerprint, extract_features, feature_key
from ._checkpoint import FORMAT, load_training_checkpoint
from ._config import TrainConfig
from ._data import BatchPrep, Loader
from ._loop import autocast, evaluate_as_trained, fit, resolve_amp
from ._prepared import PreparedData, dataset_targets, labelled_subset
from ._report import as_probabilities, learning_curves_png, score_predictions
from ._rundir import BEST, PROBE, RunDir
from ._transfer import _BN_TYPES, _keep_eval, _replace_pre_hook, discriminative_param_groups, linear_probe
from ._transfer import freeze as freeze_groups

PHASES = ("head", "unfreeze")
HEAD_INITS = ("random", "probe")
_FREEZE_RE = re.compile(r"^(backbone|none|stages:\d+)$")


@dataclass
class FinetuneResult:
    """What :func:`finetune` returns.

    Attributes:
        model: the fine-tuned network in eval mode (resizing its input to ``image_size``);
            for a linear probe, the frozen feature extractor.
        history: one dict per epoch of both phases, each with its ``"phase"``.
        summary: test metrics (when test data was given), seconds, images, settings
            (also ``RUN_DIR/summary.json``).
        mean: normalization mean used (apply it at inference).
        std: normalization std used.
        image_size: side the images were resized to (None: as they come).
        probe: the fitted scikit-learn probe (``linear_probe`` / ``head_init="probe"``).
        run_dir: the run folder, when one was written.
        phases: the plan that was run (:func:`plan_phases`; empty for a linear probe).
    """

    model: nn.Module
    history: list[dict[str, Any]]
    summary: dict[str, Any]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    image_size: int | None
    probe: Any = None
    run_dir: Path | None = None
    phases: list[Phase] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def _default_train_config() -> TrainConfig:
    return TrainConfig(amp="auto", label_smoothing=0.1, warmup_epochs=0.0)


@dataclass
class FinetuneConfig:
    """Options of :func:`finetune` (validated on construction; to and from a dict like :class:`TrainConfig`).

    Attributes:
        freeze: what stays frozen in the head phase: "backbone" (all but the model's head
            group), "stages:N" (the stem and the first N stages) or "none".
        head_epochs: epochs of the head phase (0: skip it).
        unfreeze_epochs: epochs of the unfreeze phase (0: skip it).
        unfreeze_stages: stages unfrozen in that phase, counted from the output (None: all,
            the stem included).
        lr: peak learning rate of the head phase.
        unfreeze_lr: peak learning rate of the head in the unfreeze phase (None: ``lr / 10``);
            each earlier group gets ``lr_mult`` times the next one.
        lr_mult: ratio of the learning rates of consecutive groups in the unfreeze phase.
        image_size: resize every batch to this side (None: as the images come; a RUN_DIR of
            :func:`finetune` gives its own).
        labels_per_class: train on this many labelled images per class
            (:func:`labelled_subset` with ``seed``); None: all.
        batch_size: images per step (lowered to the training-set size when that is smaller).
        min_steps: each phase runs at least this many optimizer steps (its epochs are
            raised to reach it): with one label per class an epoch is a single step.
        freeze_bn_stats: keep the statistics of every BatchNorm layer as loaded, the trained
            ones too (their scale and shift still learn). None: yes for published weights,
            no otherwise. Measured: ImageNet EfficientNet-Lite0 fine-tuned on 50 grey garments
            fell to 14% test accuracy with BatchNorm in training mode and reached 46% with the
            statistics kept (batch statistics of a small batch from another domain change the
            features under the head, and Lite0's momentum of 0.01 leaves the running statistics
            far from those it trained with); a FastNet moved from Fashion-MNIST to digits did
            3-6 points better with its BatchNorm training.
        precise_bn: after training, recompute the statistics of the BatchNorm layers that
            trained on the training images (:func:`recompute_bn_statistics`).
        linear_probe: fit a logistic regression on the frozen network's features instead of
            training (``freeze`` and the epochs are then unused).
        head_init: "random" (a fresh classifier) or "probe" (the classifier starts as the
            linear probe fitted on the training features).
        probe_C: inverse L2 strength of the probe.
        seed: seed of the labelled subset, the new head and the training order.
        train: base :class:`TrainConfig` of every phase (optimizer, schedule, augmentation,
            amp, device...); each phase sets its epochs, lr, batch size, normalization and seed.
    """

    freeze: str = "backbone"
    head_epochs: int = 5
    unfreeze_epochs: int = 0
    unfreeze_stages: int | None = None
    lr: float = 3e-3
    unfreeze_lr: float | None = None
    lr_mult: float = 0.5
    image_size: int | None = None
    labels_per_class: int | None = None
    batch_size: int = 64
    min_steps: int = 0
    freeze_bn_stats: bool | None = None
    precise_bn: bool = True
    linear_probe: bool = False
    head_init: str = "random"
    probe_C: float = 1.0
    seed: int = 0
    train: TrainConfig = field(default_factory=_default_train_config)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raises ValueError naming the field and what is expected."""

        def need(cond: bool, name: str, expected: str) -> None:
            if not cond:
                raise ValueError(f"FinetuneConfig.{name} = {getattr(self, name)!r}: expected {expected}")

        def count(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        check_freeze_mode(self.freeze)
        need(self.head_init in HEAD_INITS, "head_init", "'random' or 'probe'")
        need(count(self.head_epochs) and self.head_epochs >= 0, "head_epochs", "an integer >= 0")
        need(count(self.unfreeze_epochs) and self.unfreeze_epochs >= 0, "unfreeze_epochs", "an integer >= 0")
        if self.linear_probe and self.unfreeze_epochs:
            raise ValueError("a linear probe trains no network: drop unfreeze_epochs (or linear_probe)")
        if not self.linear_probe and self.head_epochs <= 0 and self.unfreeze_epochs <= 0:
            raise ValueError("nothing to train: give head_epochs or unfreeze_epochs > 0 (or use linear_probe)")
        need(
            self.unfreeze_stages is None or (count(self.unfreeze_stages) and self.unfreeze_stages >= 0),
            "unfreeze_stages",
            "None (all) or an integer >= 0",
        )
        need(self.lr > 0, "lr", "a learning rate > 0")
        need(self.unfreeze_lr is None or self.unfreeze_lr > 0, "unfreeze_lr", "None (lr / 10) or a value > 0")
        need(self.lr_mult > 0, "lr_mult", "a value > 0")
        need(
            self.image_size is None or (count(self.image_size) and self.image_size >= 8),
            "image_size",
            "None or a side of at least 8 pixels",
        )
        need(
            self.labels_per_class is None or (count(self.labels_per_class) and self.labels_per_class >= 1),
            "labels_per_class",
            "None (all) or an integer >= 1",
        )
        need(count(self.batch_size) and self.batch_size >= 1, "batch_size", "an integer >= 1")
        need(count(self.min_steps) and self.min_steps >= 0, "min_steps", "an integer >= 0")
        need(self.freeze_bn_stats in (None, True, False), "freeze_bn_stats", "None (auto), True or False")
        need(isinstance(self.precise_bn, bool), "precise_bn", "True or False")
        need(isinstance(self.linear_probe, bool), "linear_probe", "True or False")
        need(self.probe_C > 0, "probe_C", "a value > 0")
        need(count(self.seed), "seed", "an integer")
        need(isinstance(self.train, TrainConfig), "train", "a TrainConfig")

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping of every field (``train`` as :meth:`TrainConfig.to_dict`)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["train"] = self.train.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> FinetuneConfig:
        """Build from a mapping (``train`` a mapping of TrainConfig fields); unknown keys suggest the closest."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a mapping of FinetuneConfig fields, got {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        for key in data:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"{source}: unknown fine-tuning option {key!r}{hint}")
        kwargs = dict(data)
        if isinstance(kwargs.get("train"), Mapping):
            kwargs["train"] = TrainConfig.from_dict(kwargs["train"], source=f"{source}, train")
        try:
            return cls(**kwargs)
        except ValueError as e:
            raise ValueError(f"{source}: {e}") from None

    def replace(self, **changes: Any) -> FinetuneConfig:
        """A copy with some fields changed (validated; unknown names suggest close ones)."""
        return type(self).from_dict({**self.to_dict(), **changes}, source="FinetuneConfig.replace")

    def holds_bn_stats(self, weights_kind: str) -> bool:
        """``freeze_bn_stats`` resolved: None means yes for published weights (``weights_kind`` "published")."""
        return self.freeze_bn_stats if self.freeze_bn_stats is not None else weights_kind == "published"


# ----------------------------------------------------------------------------- small pieces


def check_freeze_mode(mode: str) -> str:
    """Raise ValueError unless ``mode`` is "backbone", "none" or "stages:N"."""
    if not isinstance(mode, str) or not _FREEZE_RE.match(mode):
        raise ValueError(f"freeze mode {mode!r} not understood; expected 'backbone', 'stages:N' or 'none'")
    return mode


def resize_batch(x: torch.Tensor, size: int | None) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, size, size), bilinear (antialiased when shrinking); None: unchanged."""
    if size is None or tuple(x.shape[-2:]) == (size, size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=min(x.shape[-2:]) > size)


def attach_resize(model: nn.Module, size: int | None) -> torch.utils.hooks.RemovableHandle | None:
    """Make ``model`` resize its input batch to ``size`` x ``size`` (a forward pre-hook).

    The hook keeps the state dict unchanged (checkpoints load into a plain model); any
    earlier resize hook of :func:`attach_resize` is replaced. None removes it.
    """
    if size is not None and size < 8:
        _replace_pre_hook(model, "_vistakit_resize_hook", None)  # a refused size leaves no resize behind
        raise ValueError(f"image_size must be at least 8 pixels, got {size}")
    hook = None if size is None else (lambda _m, args: (resize_batch(args[0], size), *args[1:]))
    handle = _replace_pre_hook(model, "_vistakit_resize_hook", hook)
    if size is not None:
        model.image_size = size
    return handle


def hold_bn_statistics(model: nn.Module, on: bool = True) -> int:
    """Keep every BatchNorm layer of ``model`` in eval mode during forward passes (``on``), or stop.

    Their running statistics then stay as loaded while their scale and shift, when trainable,
    still learn. Independent of :func:`freeze` (which holds the frozen layers' BatchNorm).

    Returns:
        The number of BatchNorm layers affected.
    """
    count = 0
    for mod in model.modules():
        if isinstance(mod, _BN_TYPES):
            _replace_pre_hook(mod, "_vistakit_hold_bn_hook", _keep_eval if on else None)
            count += 1
    return count


@torch.no_grad()
def recompute_bn_statistics(
    model: nn.Module,
    data: Any,
    *,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    max_images: int = 2048,
    batch_size: int = 128,
) -> int:
    """Replace the running statistics of the BatchNorm layers that trained by exact ones ("precise BN").

    A running average with a slow momentum (EfficientNet-Lite's 0.01) lags behind weights that
    change quickly in a short run; one pass over up to ``max_images`` training images (no
    augmentation, the cumulative average of their batch statistics) gives the statistics of
    the final weights. The images go through ``model`` as in training (its resize hook
    included), normalized with ``mean`` / ``std``. Layers held in eval mode (frozen by :func:`freeze` or by
    :func:`hold_bn_statistics`) are left exactly as they are.

    Returns:
        The number of BatchNorm layers recomputed.
    """
    layers = [
        m
        for m in model.modules()
        if isinstance(m, _BN_TYPES)
        and m.track_running_stats
        and getattr(m, "_vistakit_freeze_hook", None) is None
        and getattr(m, "_vistakit_hold_bn_hook", None) is None
    ]
    if not layers:
        return 0
    device = next(model.parameters()).device
    n = len(data)
    idx = np.linspace(0, n - 1, min(n, max_images)).round().astype(np.int64)
    was_training = model.training
    model.eval()
    momenta = [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
        m.train()
    prep = BatchPrep(mean, std, device=device, channels_last=True)
    for images, targets in Loader(Subset(data, idx.tolist()), batch_size=batch_size, shuffle=False, drop_last=False):
        x, _ = prep(images, targets)
        model(x)  # the resize hook, if any, applies
    for m, momentum in zip(layers, momenta):
        m.momentum = momentum
        m.eval()
    model.train(was_training)
    return len(layers)


def _gray(values: Sequence[float], in_chans: int) -> tuple[float, ...]:
    """Per-channel statistics for ``in_chans`` channels: averaged for grey, repeated otherwise."""
    values = tuple(float(v) for v in values)
    if len(values) == in_chans:
        return values
    if in_chans == 1:
        return (sum(values) / len(values),)
    return tuple(values[i % len(values)] for i in range(in_chans))


# ----------------------------------------------------------------------------- weights


@dataclass
class WeightsSource:
    """Where the starting weights come from.

    Attributes:
        kind: "none" (random init), "published" (a registry tag), "file" or "run".
        model: the registry name to build (from the run for "run").
        load: what :func:`create_model` loads (a tag or a file), None for random init.
        mean: the normalization the weights were trained with (None: measure the data).
        std: as ``mean``.
        image_size: the input side the run was trained at (runs of :func:`finetune`).
        description: for config.yaml and the report.
    """

    kind: str
    model: str | None
    load: str | None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    image_size: int | None = None
    description: str = "random init"


def resolve_weights(model: str | None, weights: str | os.PathLike | None) -> WeightsSource:
    """Decide what ``weights`` means for ``model``: None, a RUN_DIR, a checkpoint file or a published tag.

    A RUN_DIR (a folder written by ``vistakit train`` or ``vistakit finetune``) gives its
    ``best.pt``, its model name (``model`` may be None; a different one is an error) and its
    normalization.

    Raises:
        ValueError: unknown model (with the closest names) or weights tag, or a model name
            that is not the run's.
        FileNotFoundError: a path that does not exist, or a folder that is not a RUN_DIR (no
            config.yaml and best.pt; see :func:`vistakit.models.parse_weights`).
    """
    from ..models import model_info, parse_weights

    if weights is None:
        if model is None:
            raise ValueError("name a model (--model), e.g. fastnet_fmnist, or pass --weights RUN_DIR")
        model_info(model)
        return WeightsSource("none", model, None)
    arg = parse_weights(weights, model=model)  # a published tag, a checkpoint file or a run folder
    if arg.kind == "run":
        ck = load_training_checkpoint(arg.path)
        facts = ck.get("meta") or {}
        run_model = facts.get("model")
        if run_model is None:
            raise ValueError(f"{arg.path}: the checkpoint does not say which model it holds (no meta.model)")
        if model is not None and model != run_model:
            raise ValueError(
                f"--weights {arg.run_dir} holds a {run_model} checkpoint, not {model}; "
                f"drop --model or pass --model {run_model}"
            )
        model_info(run_model)
        size = facts.get("image_size")
        stats = ck if "mean" in ck else ck.get("result") or {}  # best.pt: at the top; a member's final.pt: result
        return WeightsSource(
            "run",
            run_model,
            str(arg.path),
            tuple(stats["mean"]),
            tuple(stats["std"]),
            int(size) if size else None,
            f"run {arg.run_dir} ({run_model}, epoch {ck.get('epoch')})",
        )
    if model is None:
        raise ValueError(f"name the model the weights {weights} are for (--model)")
    if arg.kind == "file":
        return WeightsSource("file", model, str(arg.path), description=f"file {arg.path}")
    w = arg.weights
    return WeightsSource(
        "published", model, w.tag, w.transform.mean, w.transform.std, description=f"published {model} {w.tag!r}"
    )


def build_model(source: WeightsSource, *, num_classes: int, in_chans: int, seed: int = 0) -> nn.Module:
    """The registered model with the new classifier and input channels, weights loaded (seeded init)."""
    from ..models import create_model

    torch.manual_seed(seed)  # the new head (and a random init) follow the seed
    return create_model(source.model, num_classes=num_classes, in_chans=in_chans, weights=source.load)


# ----------------------------------------------------------------------------- features


def _feature_batches(
    dataset: Any, indices: np.ndarray, *, prep: BatchPrep, image_size: int | None, batch_size: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    sub = Subset(dataset, indices.tolist())
    for images, targets in Loader(sub, batch_size=batch_size, shuffle=False, drop_last=False):
        x, y = prep(images, targets)
        yield resize_batch(x, image_size), y


def cached_features(
    net: nn.Module,
    dataset: Any,
    indices: Sequence[int] | np.ndarray,
    *,
    split: str,
    key: dict[str, Any],
    cache: str | os.PathLike | None,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    image_size: int | None,
    batch_size: int = 256,
    amp: str = "auto",
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Pre-logits features of ``dataset[indices]``, read from / added to ``cache/features_{split}.npz``.

    The file is :mod:`vistakit.features`' one feature cache (:class:`~vistakit.features.FeatureCache`):
    rows by image index under a key (``key``'s model and weights, the image size and
    normalization, :func:`~vistakit.features.dataset_fingerprint`); rows already there are
    reused, missing ones computed and added, and a different key starts afresh.

    Returns:
        ``(features (len(indices), D) float32, labels (len(indices),), rows computed now)``.
    """
    rest = {k: v for k, v in key.items() if k not in ("model", "weights")}
    fkey = feature_key(
        model=key.get("model"),
        weights=key.get("weights"),
        data=dataset_fingerprint(dataset),
        preprocessing={"image_size": image_size, "mean": [float(v) for v in mean], "std": [float(v) for v in std]},
        split=split,
        **rest,
    )

    def compute(missing: np.ndarray) -> dict[str, np.ndarray]:
        device = next(net.parameters()).device
        prep = BatchPrep(mean, std, device=device, channels_last=True)
        batches = _feature_batches(dataset, missing, prep=prep, image_size=image_size, batch_size=batch_size)
        with autocast(device, resolve_amp(amp, device)):
            x, y = extract_features(net, batches, device=device, progress=progress, desc=f"{split} features")
        return {"features": x.astype(np.float32, copy=False), "labels": y.astype(np.int64)}

    path = None if cache is None else Path(cache) / f"features_{split}.npz"
    rows, computed = FeatureCache(path, fkey, arrays=("features", "labels")).rows(indices, compute)
    return rows["features"], rows["labels"], computed


def probe_to_linear(probe: Any, linear: nn.Linear) -> None:
    """Write a fitted :func:`linear_probe` (scaler + logistic regression) into ``linear``'s weights.

    Standardization folds in: ``W' = W / scale``, ``b' = b - W' @ mean``. Classes the probe
    never saw keep a very low bias (never predicted until trained).
    """
    lr = probe[-1]
    coef, intercept = lr.coef_, lr.intercept_
    if coef.shape[0] == 1:  # binary: scikit-learn keeps one row for class 1
        coef, intercept = np.concatenate([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    mean = np.zeros(coef.shape[1])
    scale = np.ones(coef.shape[1])
    if len(probe) > 1:
        mean, scale = probe[0].mean_, probe[0].scale_
    w = coef / scale
    b = intercept - w @ mean
    with torch.no_grad():
        linear.weight.zero_()
        linear.bias.fill_(-30.0)
        for row, c in enumerate(lr.classes_):
            linear.weight[int(c)] = torch.as_tensor(w[row], dtype=linear.weight.dtype)
            linear.bias[int(c)] = float(b[row])


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Phase:
    """One step of a fine-tuning plan: :func:`freeze` by ``freeze``, then :func:`fit` for ``epochs``.

    Attributes:
        name: "head" or "unfreeze" (also the name of its run folder in RUN_DIR).
        freeze: the :func:`freeze` mode of the phase ("backbone", "stages:N", "none").
        epochs: epochs of :func:`fit` (raised to reach the config's ``min_steps``).
        lr: peak learning rate (of the head, with ``lr_mult``).
        batch_size: images per step.
        lr_mult: None: one learning rate; else each parameter group closer to the input
            trains at ``lr_mult`` times the next one's (:func:`discriminative_param_groups`).
        hold_bn_stats: BatchNorm statistics of the layers that train stay as loaded
            (:func:`hold_bn_statistics`).
        whiten_stem: the base config's ``whiten_stem`` may apply: the first phase of a
            network that starts from no weights (loaded or earlier-trained filters are kept).
    """

    name: str
    freeze: str
    epochs: int
    lr: float
    batch_size: int
    lr_mult: float | None = None
    hold_bn_stats: bool = False
    whiten_stem: bool = False

    def train_config(self, base: TrainConfig, *, mean: Sequence[float], std: Sequence[float], seed: int) -> TrainConfig:
        """The phase's :class:`TrainConfig`: ``base`` with the phase's epochs, lr, batch, normalization and seed.

        The warm-up keeps its share of the schedule (the fast recipe's 2 of 8 epochs: a quarter).
        """
        return base.replace(
            epochs=self.epochs,
            lr=self.lr,
            batch_size=self.batch_size,
            mean=list(mean),
            std=list(std),
            seed=seed,
            warmup_epochs=self.epochs * min(1.0, base.warmup_epochs / base.epochs),
            whiten_stem=base.whiten_stem and self.whiten_stem,
        )

    def param_groups(self, model: nn.Module, *, weight_decay: float) -> list[dict[str, Any]] | None:
        """Optimizer groups of the trainable parameters, each with its ``lr_scale`` (None: one group).

        Call it after :func:`freeze` (frozen parameters are left out).
        """
        if self.lr_mult is None:
            return None
        # discriminative learning rates, as scales of the phase's peak lr
        return [
            {**g, "lr_scale": g.pop("lr") / self.lr}
            for g in discriminative_param_groups(model, lr=self.lr, lr_mult=self.lr_mult, weight_decay=weight_decay)
        ]


def plan_phases(cfg: FinetuneConfig, model: nn.Module, *, train_images: int, weights_kind: str = "none") -> list[Phase]:
    """The phases :func:`finetune` runs for ``cfg`` on ``model``: head, then unfreeze (each when asked).

    Args:
        cfg: the options.
        model: the network (its group matcher tells the stages).
        train_images: size of the (labelled) training set (batch size and ``min_steps``).
        weights_kind: where the weights come from: "none" (random init: the first phase may
            whiten the stem), "published" (BatchNorm statistics held by default), or anything
            else (a file, a run, a given module).

    Returns:
        The phases in order; empty for a linear probe.

    Raises:
        ValueError: ``unfreeze_stages`` beyond the model's stages.
    """
    if cfg.linear_probe:
        return []
    hold = cfg.holds_bn_stats(weights_kind)
    bs = min(cfg.batch_size, train_images)
    phases: list[Phase] = []
    if cfg.head_epochs > 0:
        phases.append(
            Phase(
                "head",
                cfg.freeze,
                _epochs(cfg.head_epochs, train_images, bs, cfg.min_steps),
                cfg.lr,
                bs,
                hold_bn_stats=hold,
                whiten_stem=weights_kind == "none",
            )
        )
    if cfg.unfreeze_epochs > 0:
        stages = _stage_count(model)
        if cfg.unfreeze_stages is None:
            mode = "none"
        elif cfg.unfreeze_stages > stages:
            raise ValueError(f"unfreeze_stages {cfg.unfreeze_stages}: {type(model).__name__} has only {stages} stages")
        else:
            mode = "backbone" if cfg.unfreeze_stages == 0 else f"stages:{stages - cfg.unfreeze_stages}"
        lr = cfg.unfreeze_lr if cfg.unfreeze_lr is not None else cfg.lr / 10
        phases.append(
            Phase(
                "unfreeze",
                mode,
                _epochs(cfg.unfreeze_epochs, train_images, bs, cfg.min_steps),
                lr,
                bs,
                lr_mult=cfg.lr_mult,
                hold_bn_stats=hold,
                whiten_stem=not phases and weights_kind == "none",
            )
        )
    return phases


def _stage_count(model: nn.Module) -> int:
    from ..models import parameter_groups

    return sum(1 for name, _ in parameter_groups(model) if name.startswith("stage"))


def _epochs(epochs: int, n: int, batch_size: int, min_steps: int) -> int:
    if epochs <= 0:
        return 0
    return max(epochs, math.ceil(min_steps / max(1, n // batch_size)))


def _trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ----------------------------------------------------------------------------- the transfer


def _normalization(
    source: WeightsSource, base: TrainConfig, data: PreparedData
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean and std: those the weights were trained with, else the config's, else the training data's."""
    if source.mean is not None:
        return _gray(source.mean, data.in_chans), _gray(source.std, data.in_chans)
    if base.mean is not None:
        return tuple(base.mean), tuple(base.std)
    return data.channel_stats()


def _network(
    model: str | nn.Module | None, source: WeightsSource, *, num_classes: int, in_chans: int, seed: int
) -> nn.Module:
    """The registered model built with its weights, or the given module, with a classifier for ``num_classes``."""
    if not isinstance(model, nn.Module):
        return build_model(source, num_classes=num_classes, in_chans=in_chans, seed=seed)
    if getattr(model, "num_classes", num_classes) != num_classes:
        torch.manual_seed(seed)  # the new head follows the seed
        model.reset_classifier(num_classes)
    return model


def finetune(
    model: str | nn.Module | None,
    train: Any,
    val: Any = None,
    cfg: FinetuneConfig | None = None,
    *,
    test: Any = None,
    weights: str | os.PathLike | None = None,
    run_dir: str | os.PathLike | None = None,
    overwrite: bool = False,
    feature_cache: str | os.PathLike | None = None,
    class_names: Sequence[str] | None = None,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
) -> FinetuneResult:
    """Transfer a classifier to ``train``'s classes: run the plan of ``cfg`` (see the module notes).

    Args:
        model: registry name, a vistakit classifier already holding its weights, or None
            with ``weights`` a RUN_DIR (its model).
        train: Dataset of (image (C, H, W) uint8 or float in [0, 1], class index).
        val: evaluated after every epoch of each phase (optional).
        cfg: the options (default :class:`FinetuneConfig`).
        test: evaluated at the end (accuracy, macro F1, cross-entropy in the summary).
        weights: None (random init: training from scratch), a published tag ("imagenet"),
            a checkpoint file, or a RUN_DIR of ``vistakit train`` / ``vistakit finetune``.
        run_dir: where the run's files go (None: nothing is written).
        overwrite: replace another run found in ``run_dir``.
        feature_cache: folder of the cached features (default ``run_dir``).
        class_names: for the report (default: the data set's ``classes``).
        meta: facts for config.yaml and best.pt (dataset name...).
        progress: progress bars and per-epoch lines.

    Returns:
        A :class:`FinetuneResult`.

    Raises:
        ValueError: an unknown model or weights tag, a checkpoint that does not fit the model,
            too few labelled images, more ``unfreeze_stages`` than the model has.
        RunDirError: ``run_dir`` holds another run and ``overwrite`` is not set.
    """
    cfg = cfg or FinetuneConfig()
    base = cfg.train
    run = RunDir(run_dir) if run_dir is not None else None
    # --- names and the run folder first: a wrong name must not touch RUN_DIR
    if isinstance(model, nn.Module):
        if weights is not None:
            raise ValueError("weights= applies to a registered model name; load them into the module yourself")
        source = WeightsSource("module", type(model).__name__, None, description="the given module")
    else:
        source = resolve_weights(model, weights)
    if run is not None:
        run.check(overwrite=overwrite)
    image_size = cfg.image_size if cfg.image_size is not None else source.image_size

    # --- data, read once: the labelled subset; normalization of the weights, else of the data
    data = PreparedData.from_dataset(train, labels_per_class=cfg.labels_per_class, seed=cfg.seed)
    num_classes = data.num_classes
    if num_classes is None:
        raise ValueError("cannot tell the class count of the training data (no classes / targets)")
    val_data = PreparedData.from_dataset(val) if val is not None else None
    test_data = PreparedData.from_dataset(test) if test is not None else None
    mean, std = _normalization(source, base, data)
    bs = min(cfg.batch_size, len(data))
    names = list(class_names) if class_names is not None else data.class_names

    # --- the network: new classifier and input channels, weights loaded, input resized; the plan
    net = _network(model, source, num_classes=num_classes, in_chans=data.in_chans, seed=cfg.seed)
    attach_resize(net, image_size)
    from ._distributed import init_distributed, resolve_device

    device = resolve_device(base.device, init_distributed(base.device))
    net.to(device)
    phases = plan_phases(cfg, net, train_images=len(data), weights_kind=source.kind)

    facts = {
        "model": source.model,
        "weights": source.description,
        "freeze": cfg.freeze,
        "head_epochs": cfg.head_epochs,
        "unfreeze_epochs": cfg.unfreeze_epochs,
        "unfreeze_stages": cfg.unfreeze_stages,
        "lr": cfg.lr,
        "unfreeze_lr": cfg.unfreeze_lr,
        "lr_mult": cfg.lr_mult,
        "image_size": image_size,
        "labels_per_class": cfg.labels_per_class,
        "linear_probe": cfg.linear_probe,
        "head_init": cfg.head_init,
        "freeze_bn_stats": cfg.holds_bn_stats(source.kind),
        "precise_bn": cfg.precise_bn,
        "num_classes": num_classes,
        "in_chans": data.in_chans,
        "classes": names,
        "train_images": len(data),
        "seed": cfg.seed,
        **(meta or {}),
    }
    if run is not None:
        run.prepare(overwrite=overwrite, subruns=PHASES)  # an overwritten run's phase folders go too
    cache = feature_cache if feature_cache is not None else (run.path if run is not None else None)
    feature_key = {"model": source.model, "weights": source.description, "in_chans": data.in_chans}

    history: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    configs: dict[str, Any] = {}
    trainable: dict[str, int] = {}
    probe = None
    features_computed: dict[str, int] = {}

    def features(prepared: PreparedData, split: str) -> tuple[np.ndarray, np.ndarray]:
        # features of the frozen network (head and all), cached by the images' positions in their data set
        t0 = time.perf_counter()
        x, y, computed = cached_features(
            net,
            prepared.source,
            prepared.indices,
            split=split,
            key=feature_key,
            cache=cache,
            mean=mean,
            std=std,
            image_size=image_size,
            amp=base.amp,
            progress=progress,
        )
        features_computed[split] = computed
        seconds[f"{split}_features"] = seconds.get(f"{split}_features", 0.0) + time.perf_counter() - t0
        return x, y

    # --- the linear probe: the whole transfer, or the head the first phase starts from
    if cfg.linear_probe or cfg.head_init == "probe":
        net.eval()
        tx, ty = features(data, "train")
        t0 = time.perf_counter()
        probe = fit_linear_probe(tx, ty, C=cfg.probe_C)
        seconds["probe"] = time.perf_counter() - t0
        if not cfg.linear_probe:
            probe_to_linear(probe, net.get_classifier())
        if run is not None:
            run.write_file(PROBE, _probe_bytes(probe))

    # --- the plan: each phase a freeze and a fit
    for phase in phases:
        frozen = freeze_groups(net, phase.freeze)
        hold_bn_statistics(net, phase.hold_bn_stats)
        train_cfg = phase.train_config(base, mean=mean, std=std, seed=cfg.seed)
        groups = phase.param_groups(net, weight_decay=train_cfg.weight_decay)
        configs[phase.name] = {"frozen": frozen, "train": train_cfg.to_dict()}
        trainable[phase.name] = _trainable(net)
        if progress:
            print(
                f"{phase.name} phase: {phase.epochs} epochs, frozen {', '.join(frozen) or 'nothing'} "
                f"({trainable[phase.name]:,} trainable parameters)"
            )
        res = fit(
            net,
            data.dataset,
            None if val_data is None else val_data.dataset,
            train_cfg,
            run_dir=None if run is None else run.sub(phase.name).path,
            overwrite=True,
            num_classes=num_classes,
            param_groups=groups,
            meta={**facts, "phase": phase.name},
            progress=progress,
        )
        if res.model is not net:  # the EMA copy: its weights, into the network that holds the hooks
            net.load_state_dict(res.model.state_dict())
        history += [{"phase": phase.name, **r} for r in res.history]
        seconds[phase.name] = res.train_seconds
    if phases:
        if cfg.precise_bn:
            t0 = time.perf_counter()
            if recompute_bn_statistics(net, data.dataset, mean=mean, std=std):
                seconds["precise_bn"] = time.perf_counter() - t0
        freeze_groups(net, "none")
        hold_bn_statistics(net, False)
    net.eval()

    # --- test metrics and the summary
    summary: dict[str, Any] = {
        k: facts[k] for k in ("model", "weights", "labels_per_class", "train_images", "image_size")
    }
    summary["method"] = (
        "linear probe" if cfg.linear_probe else ("fine-tuned" if source.kind not in ("none",) else "from scratch")
    )
    probs = targets = None
    evaluated = test_data if test_data is not None else val_data
    if evaluated is not None:
        t0 = time.perf_counter()
        if cfg.linear_probe:
            ex, ey = features(evaluated, "test" if test_data is not None else "val")
            probs, targets = torch.as_tensor(_full_proba(probe, ex, num_classes)), torch.as_tensor(ey)
        else:
            ev = evaluate_as_trained(
                net,
                evaluated.dataset,
                base,
                mean=mean,
                std=std,
                device=device,
                collect=True,
                batch_size=base.eval_batch_size or 2 * max(bs, 128),
            )
            probs, targets = ev.probs, ev.targets
        seconds["evaluate"] = time.perf_counter() - t0
        probs = as_probabilities(probs)
        scores = score_predictions(probs, targets)
        if test_data is None:
            scores = {k.replace("test_", "val_"): v for k, v in scores.items()}
        summary.update(scores)
        summary["evaluated_on"] = "test" if test_data is not None else "validation"
        summary["evaluated_images"] = int(len(targets))
    summary.update(
        {
            "seconds": {k: round(v, 3) for k, v in seconds.items()},
            "train_seconds": round(sum(v for k, v in seconds.items() if k != "evaluate"), 3),
            "features_computed": features_computed,
            "trainable_params": trainable,
            "num_params": sum(p.numel() for p in net.parameters()),
            "mean": list(mean),
            "std": list(std),
        }
    )

    # --- the run folder: config, metrics, best.pt, summary, report
    if run is not None:
        run.write_config({"finetune": facts, "config": cfg.to_dict(), **configs})
        run.write_metrics(history)
        if not cfg.linear_probe:
            run.save(
                BEST,
                {
                    "format": FORMAT,
                    "kind": "best",
                    "epoch": len(history),
                    "model": net.state_dict(),
                    "mean": list(mean),
                    "std": list(std),
                    "num_classes": num_classes,
                    "meta": facts,
                    "config": base.to_dict(),
                },
            )
        run.write_summary(summary)
        if probs is not None:
            run.write_report(
                finetune_report(
                    summary=summary,
                    history=history,
                    probs=probs,
                    targets=targets,
                    images=evaluated.images,
                    class_names=names,
                )
            )
    return FinetuneResult(
        model=net,
        history=history,
        summary=summary,
        mean=tuple(mean),
        std=tuple(std),
        image_size=image_size,
        probe=probe,
        run_dir=None if run is None else run.path,
        phases=phases,
    )


def fit_linear_probe(x: np.ndarray, y: np.ndarray, *, C: float = 1.0):
    """:func:`linear_probe` with scikit-learn's convergence warnings kept quiet (max_iter 2000)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return linear_probe(x, y, C=C, max_iter=2000)


def _full_proba(probe: Any, x: np.ndarray, num_classes: int) -> np.ndarray:
    """(N, num_classes) probabilities (classes the probe never saw get 0)."""
    p = probe.predict_proba(x)
    out = np.zeros((len(x), num_classes))
    out[:, np.asarray(probe[-1].classes_, dtype=int)] = p
    return out


def _probe_bytes(probe: Any) -> bytes:
    """``probe.npz``: the probe's coefficients, intercept, classes (and standardization)."""
    lr = probe[-1]
    arrays = {"coef": lr.coef_, "intercept": lr.intercept_, "classes": lr.classes_}
    if len(probe) > 1:
        arrays.update(mean=probe[0].mean_, scale=probe[0].scale_)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def finetune_report(
    *,
    summary: dict[str, Any],
    history: Sequence[dict[str, Any]],
    probs: torch.Tensor,
    targets: torch.Tensor,
    images: torch.Tensor | None,
    class_names: Sequence[str] | None,
) -> str:
    """The run's self-contained HTML page: settings, learning curves per phase, test-set sections."""
    from ..metrics import HtmlReport, add_classification_sections

    title = f"{summary['model']}: {summary['method']} ({summary['weights']})"
    report = HtmlReport(title)
    report.add_heading("Run")
    rows = [[k, _fmt(v)] for k, v in summary.items() if not isinstance(v, (list,))]
    report.add_table(rows, header=["", "value"])
    if history:
        report.add_heading("Learning curves")
        numbered = [{**r, "epoch": i + 1} for i, r in enumerate(history)]
        phases = " then ".join(dict.fromkeys(r["phase"] for r in history))
        report.add_png(learning_curves_png(numbered), caption=f"Per epoch, phases {phases}.", alt="learning curves")
        report.add_table(
            [
                [
                    i + 1,
                    r["phase"],
                    _fmt(r["train_loss"]),
                    _fmt(r["val_loss"]),
                    _fmt(r["val_accuracy"]),
                    f"{r['lr']:.3g}",
                    f"{r['seconds']:.1f}",
                ]
                for i, r in enumerate(history)
            ],
            header=["epoch", "phase", "train loss", "val loss", "val accuracy", "lr", "seconds"],
        )
    report.add_heading("Test set" if summary.get("evaluated_on") == "test" else "Validation set")
    add_classification_sections(
        report,
        targets.numpy(),
        y_prob=probs.double().numpy(),
        target_names=list(class_names) if class_names else None,
        images=None if images is None else images.numpy(),
    )
    return report.render()


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items()) or "-"
    return str(v)


# ----------------------------------------------------------------------------- by name (the CLI)


def finetune_run(
    cfg: FinetuneConfig | None = None,
    *,
    dataset: str,
    model: str | None = None,
    weights: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    val_fraction: float = 0.0,
    data_root: str | os.PathLike | None = None,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
) -> FinetuneResult:
    """``vistakit finetune``: a registered data set's splits into :func:`finetune`.

    Args:
        cfg: the options (default :class:`FinetuneConfig`).
        dataset: data set name (:func:`vistakit.data.list_datasets`).
        model: registry name (None with ``weights`` a RUN_DIR: its model).
        weights: see :func:`finetune`.
        out: the run folder.
        overwrite: replace another run in ``out``.
        val_fraction: share of the (labelled) training images held out for validation
            when the data set has no validation split (0: none).
        data_root: folder holding the data set's files.
        meta: more facts for config.yaml and best.pt (the data set's name is added).
        progress: progress bars and per-epoch lines.
    """
    from ._run import _splits, check_dataset_name, holdout, load_split

    cfg = cfg or FinetuneConfig()
    check_dataset_name(dataset)
    resolve_weights(model, weights)  # unknown names fail before anything is read or written
    if out is not None:
        RunDir(out).check(overwrite=overwrite)
    splits = _splits(dataset)
    train = load_split(dataset, "train", root=data_root)
    test = load_split(dataset, "test", root=data_root) if "test" in splits else None
    val = load_split(dataset, "val", root=data_root) if "val" in splits else None
    if val is None and val_fraction > 0:
        if cfg.labels_per_class is not None:  # the held-out images come from the labelled ones
            idx = labelled_subset(dataset_targets(train), per_class=cfg.labels_per_class, seed=cfg.seed)
            train = Subset(train, idx.tolist())
            cfg = cfg.replace(labels_per_class=None)
        train, val = holdout(train, val_fraction, cfg.seed)
    return finetune(
        model,
        train,
        val,
        cfg,
        test=test,
        weights=weights,
        run_dir=out,
        overwrite=overwrite,
        meta={"dataset": dataset, **(meta or {})},
        progress=progress,
    )


__all__ = [
    "FinetuneConfig",
    "FinetuneResult",
    "Phase",
    "WeightsSource",
    "attach_resize",
    "build_model",
    "cached_features",
    "check_freeze_mode",
    "finetune",
    "finetune_report",
    "finetune_run",
    "fit_linear_probe",
    "hold_bn_statistics",
    "labelled_subset",
    "plan_phases",
    "probe_to_linear",
    "recompute_bn_statistics",
    "resize_batch",
    "resolve_weights",
]
