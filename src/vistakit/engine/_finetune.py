"""finetune(): transfer a classifier to a new data set, in two phases around :func:`fit`.

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
domain), and ``precise_bn`` recomputes, after training, the statistics of the BatchNorm layers
that trained on the training images (a slow running average lags a short run).

Or, the cheapest transfer of all, ``linear_probe=True``: pre-logits features of the frozen
network (cached as ``features_{split}.npy``) and a logistic regression on them.
``head_init="probe"`` starts the head phase (or the unfreeze phase, with ``head_epochs=0``)
from that probe instead of a random head ("linear probe, then fine-tune": the random head's
first large gradients do not reach the pretrained features).

Images are resized on the batch (``image_size``: bilinear, a forward pre-hook on the model,
so checkpoints stay plain state dicts) and normalized with the statistics the weights were
trained with (a published entry's mean/std averaged over RGB for grey input, a run's own
mean/std), or with the training data's for a network trained from scratch.

RUN_DIR/config.yaml        what was asked: model, weights, freeze, phases, each phase's TrainConfig
RUN_DIR/head/, unfreeze/   each phase's :func:`fit` run folder (metrics, checkpoint.pt, best.pt)
RUN_DIR/metrics.jsonl      both phases, one line per epoch with its "phase"
RUN_DIR/best.pt            the final weights (the engine's checkpoint format: ``--weights RUN_DIR``
                           and ``create_model(weights=RUN_DIR/best.pt)`` load it)
RUN_DIR/features_*.npy     cached features (linear probe, probe head), with a .json key beside
RUN_DIR/probe.npz          the linear probe (standardization, coefficients, intercept)
RUN_DIR/summary.json       test accuracy, macro F1, cross-entropy and its reading, seconds per phase
RUN_DIR/report.html        learning curves and the test-set sections of :mod:`vistakit.metrics`
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch import nn
from torch.utils.data import Subset

from ._checkpoint import BEST, FORMAT, check_run_dir, load_training_checkpoint, prepare_run_dir, save_atomic
from .._files import atomic_write
from ._config import TrainConfig
from ._data import BatchPrep, Loader, channel_stats, dataset_tensors, num_classes_of
from ._data import class_names as dataset_class_names
from ._loop import autocast, evaluate, fit, resolve_amp
from ._report import as_probabilities, learning_curves_png, score_predictions
from ._transfer import _BN_TYPES, _keep_eval, _replace_pre_hook, discriminative_param_groups, extract_features
from ._transfer import linear_probe
from ._transfer import freeze as freeze_groups

PHASES = ("head", "unfreeze")
SUMMARY = "summary.json"
REPORT = "report.html"
PROBE = "probe.npz"
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
    """

    model: nn.Module
    history: list[dict[str, Any]]
    summary: dict[str, Any]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    image_size: int | None
    probe: Any = None
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------- small pieces


def check_freeze_mode(mode: str) -> str:
    """Raise ValueError unless ``mode`` is "backbone", "none" or "stages:N"."""
    if not isinstance(mode, str) or not _FREEZE_RE.match(mode):
        raise ValueError(f"freeze mode {mode!r} not understood; expected 'backbone', 'stages:N' or 'none'")
    return mode


def labelled_subset(targets: Sequence[int] | np.ndarray | torch.Tensor, *, per_class: int,
                    seed: int = 0) -> np.ndarray:
    """Sorted indices of ``per_class`` examples of every class, nested across counts.

    Each class's examples are put in one fixed random order (from ``seed``) and the first
    ``per_class`` are taken, so for a seed the 10-label set lies inside the 30-label set:
    a curve of accuracy against labels per class compares supersets, not new draws.

    Raises:
        ValueError: ``per_class`` < 1, or a class with fewer examples.
    """
    if per_class < 1:
        raise ValueError(f"labels per class must be at least 1, got {per_class}")
    t = np.asarray(targets.cpu() if isinstance(targets, torch.Tensor) else targets)
    out = []
    for c in np.unique(t):
        idx = np.flatnonzero(t == c)
        if len(idx) < per_class:
            raise ValueError(f"class {c} has only {len(idx)} examples, fewer than --labels-per-class {per_class}")
        order = np.random.default_rng([seed, int(c)]).permutation(len(idx))
        out.append(idx[order[:per_class]])
    return np.sort(np.concatenate(out))


def _targets_of(dataset: Any) -> torch.Tensor:
    tensors = dataset_tensors(dataset)
    if tensors is not None:
        return tensors[1]
    return torch.as_tensor([int(dataset[i][1]) for i in range(len(dataset))])


def _in_chans_of(dataset: Any) -> int:
    tensors = dataset_tensors(dataset)
    return int(tensors[0].shape[1]) if tensors is not None else int(dataset[0][0].shape[0])


def resize_batch(x: torch.Tensor, size: int | None) -> torch.Tensor:
    """(N, C, H, W) -> (N, C, size, size), bilinear (antialiased when shrinking); None: unchanged."""
    if size is None or tuple(x.shape[-2:]) == (size, size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                         antialias=min(x.shape[-2:]) > size)


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
def recompute_bn_statistics(model: nn.Module, data: Any, *, mean: tuple[float, ...], std: tuple[float, ...],
                            max_images: int = 2048, batch_size: int = 128) -> int:
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
    layers = [m for m in model.modules() if isinstance(m, _BN_TYPES) and m.track_running_stats
              and getattr(m, "_vistakit_freeze_hook", None) is None
              and getattr(m, "_vistakit_hold_bn_hook", None) is None]
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
            raise ValueError(f"--weights {arg.run_dir} holds a {run_model} checkpoint, not {model}; "
                             f"drop --model or pass --model {run_model}")
        model_info(run_model)
        size = facts.get("image_size")
        stats = ck if "mean" in ck else ck.get("result") or {}  # best.pt: at the top; a member's final.pt: result
        return WeightsSource("run", run_model, str(arg.path), tuple(stats["mean"]), tuple(stats["std"]),
                             int(size) if size else None, f"run {arg.run_dir} ({run_model}, epoch {ck.get('epoch')})")
    if model is None:
        raise ValueError(f"name the model the weights {weights} are for (--model)")
    if arg.kind == "file":
        return WeightsSource("file", model, str(arg.path), description=f"file {arg.path}")
    w = arg.weights
    return WeightsSource("published", model, w.tag, w.transform.mean, w.transform.std,
                         description=f"published {model} {w.tag!r}")


def build_model(source: WeightsSource, *, num_classes: int, in_chans: int, seed: int = 0) -> nn.Module:
    """The registered model with the new classifier and input channels, weights loaded (seeded init)."""
    from ..models import create_model

    torch.manual_seed(seed)  # the new head (and a random init) follow the seed
    return create_model(source.model, num_classes=num_classes, in_chans=in_chans, weights=source.load)


# ----------------------------------------------------------------------------- features


def _dataset_fingerprint(dataset: Any) -> str:
    tensors = dataset_tensors(dataset)
    h = hashlib.sha256()
    if tensors is not None:
        images, targets = tensors
        h.update(str(tuple(images.shape)).encode())
        h.update(targets.numpy().tobytes())
        step = max(1, len(images) // 64)
        h.update(images[::step].contiguous().numpy().tobytes())
    else:
        h.update(f"{type(dataset).__name__}:{len(dataset)}".encode())
    return h.hexdigest()[:16]


def _feature_batches(dataset: Any, indices: np.ndarray, *, prep: BatchPrep, image_size: int | None,
                     batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    sub = Subset(dataset, indices.tolist())
    for images, targets in Loader(sub, batch_size=batch_size, shuffle=False, drop_last=False):
        x, y = prep(images, targets)
        yield resize_batch(x, image_size), y


def cached_features(net: nn.Module, dataset: Any, indices: Sequence[int] | np.ndarray, *, split: str,
                    key: dict[str, Any], cache: str | os.PathLike | None, mean: tuple[float, ...],
                    std: tuple[float, ...], image_size: int | None, batch_size: int = 256,
                    amp: str = "auto", progress: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """Pre-logits features of ``dataset[indices]``, read from / added to ``cache/features_{split}.npy``.

    The cache holds rows by image index under a key (model, weights, image size,
    normalization, data set fingerprint) kept in ``features_{split}.json``; rows already
    there are reused, missing ones computed and added, and a different key starts afresh.

    Returns:
        ``(features (len(indices), D) float32, labels (len(indices),), rows computed now)``.
    """
    indices = np.asarray(indices, dtype=np.int64)
    key = {**key, "split": split, "data": _dataset_fingerprint(dataset), "image_size": image_size,
           "mean": [float(v) for v in mean], "std": [float(v) for v in std]}
    have_idx = np.zeros(0, np.int64)
    have_x: np.ndarray | None = None
    have_y = np.zeros(0, np.int64)
    npy = json_path = None
    if cache is not None:
        npy, json_path = Path(cache) / f"features_{split}.npy", Path(cache) / f"features_{split}.json"
        if npy.is_file() and json_path.is_file():
            try:
                side = json.loads(json_path.read_text())
                if side.get("key") == key:
                    have_x = np.load(npy, allow_pickle=False)
                    have_idx = np.asarray(side["indices"], np.int64)
                    have_y = np.asarray(side["labels"], np.int64)
                    if len(have_x) != len(have_idx):
                        raise ValueError("row count")
            except (ValueError, KeyError, OSError):
                have_x, have_idx, have_y = None, np.zeros(0, np.int64), np.zeros(0, np.int64)
    missing = np.setdiff1d(indices, have_idx)
    if len(missing):
        device = next(net.parameters()).device
        prep = BatchPrep(mean, std, device=device, channels_last=True)
        batches = _feature_batches(dataset, missing, prep=prep, image_size=image_size, batch_size=batch_size)
        with autocast(device, resolve_amp(amp, device)):
            new_x, new_y = extract_features(net, batches, device=device, progress=progress, desc=f"{split} features")
        new_x = new_x.astype(np.float32, copy=False)
        all_idx = np.concatenate([have_idx, missing])
        all_x = new_x if have_x is None else np.concatenate([have_x, new_x])
        all_y = np.concatenate([have_y, new_y.astype(np.int64)])
        order = np.argsort(all_idx, kind="stable")
        have_idx, have_x, have_y = all_idx[order], all_x[order], all_y[order]
        if npy is not None:
            buf = io.BytesIO()
            np.save(buf, have_x)
            atomic_write(npy, buf.getvalue())
            atomic_write(json_path, json.dumps({"key": key, "indices": have_idx.tolist(),
                                                     "labels": have_y.tolist()}))
    pos = np.searchsorted(have_idx, indices)
    return have_x[pos], have_y[pos], int(len(missing))


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


# ----------------------------------------------------------------------------- the transfer


def _phase_config(base: TrainConfig, *, epochs: int, lr: float, batch_size: int, mean, std, seed: int,
                  whiten: bool) -> TrainConfig:
    # the warm-up keeps its share of the schedule (the fast recipe's 2 of 8 epochs: a quarter); the first
    # convolution is whitened (if the config asks) only when it holds no weights yet: loaded or trained in
    # an earlier phase, it is kept
    return base.replace(epochs=epochs, lr=lr, batch_size=batch_size, mean=list(mean), std=list(std), seed=seed,
                        warmup_epochs=epochs * min(1.0, base.warmup_epochs / base.epochs),
                        whiten_stem=base.whiten_stem and whiten)


def _stage_count(model: nn.Module) -> int:
    from ..models import parameter_groups

    return sum(1 for name, _ in parameter_groups(model) if name.startswith("stage"))


def _epochs(epochs: int, n: int, batch_size: int, min_steps: int) -> int:
    if epochs <= 0:
        return 0
    return max(epochs, math.ceil(min_steps / max(1, n // batch_size)))


def _trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def finetune(
    model: str | nn.Module | None,
    train: Any,
    val: Any = None,
    *,
    test: Any = None,
    weights: str | os.PathLike | None = None,
    freeze: str = "backbone",
    head_epochs: int = 5,
    unfreeze_epochs: int = 0,
    unfreeze_stages: int | None = None,
    lr: float = 3e-3,
    unfreeze_lr: float | None = None,
    lr_mult: float = 0.5,
    image_size: int | None = None,
    labels_per_class: int | None = None,
    batch_size: int = 64,
    min_steps: int = 0,
    freeze_bn_stats: bool | None = None,
    precise_bn: bool = True,
    config: TrainConfig | None = None,
    linear_probe: bool = False,
    head_init: str = "random",
    probe_C: float = 1.0,
    seed: int = 0,
    run_dir: str | os.PathLike | None = None,
    overwrite: bool = False,
    feature_cache: str | os.PathLike | None = None,
    class_names: Sequence[str] | None = None,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
) -> FinetuneResult:
    """Transfer a classifier to ``train``'s classes (see the module notes for the phases and files).

    Args:
        model: registry name, a vistakit classifier already holding its weights, or None
            with ``weights`` a RUN_DIR (its model).
        train: Dataset of (image (C, H, W) uint8 or float in [0, 1], class index).
        val: evaluated after every epoch of each phase (optional).
        test: evaluated at the end (accuracy, macro F1, cross-entropy in the summary).
        weights: None (random init: training from scratch), a published tag ("imagenet"),
            a checkpoint file, or a RUN_DIR of ``vistakit train`` / ``vistakit finetune``.
        freeze: what stays frozen in the head phase: "backbone" (all but the model's head
            group), "stages:N" (the stem and the first N stages) or "none".
        head_epochs: epochs of the head phase (0: skip it).
        unfreeze_epochs: epochs of the unfreeze phase (0: skip it).
        unfreeze_stages: stages unfrozen in that phase, counted from the output (None: all,
            the stem included).
        lr: peak learning rate of the head phase.
        unfreeze_lr: peak learning rate of the head in the unfreeze phase (default ``lr / 10``);
            each earlier group gets ``lr_mult`` times the next one.
        lr_mult: ratio of the learning rates of consecutive groups in the unfreeze phase.
        image_size: resize every batch to this side (None: as the images come; a RUN_DIR of
            :func:`finetune` gives its own).
        labels_per_class: train on this many labelled images per class
            (:func:`labelled_subset` with ``seed``).
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
        config: base :class:`TrainConfig` of both phases (optimizer, schedule, augmentation,
            amp, device...); epochs, lr, batch size, normalization and seed are set here.
        linear_probe: fit a logistic regression on the frozen network's features instead of
            training (``freeze`` and the epochs are then unused).
        head_init: "random" (a fresh classifier) or "probe" (the classifier starts as the
            linear probe fitted on the training features).
        probe_C: inverse L2 strength of the probe.
        seed: seed of the labelled subset, the new head and the training order.
        run_dir: where the run's files go (None: nothing is written).
        overwrite: replace another run found in ``run_dir``.
        feature_cache: folder of the cached features (default ``run_dir``).
        class_names: for the report (default: the data set's ``classes``).
        meta: facts for config.yaml and best.pt (dataset name...).
        progress: progress bars and per-epoch lines.

    Returns:
        A :class:`FinetuneResult`.

    Raises:
        ValueError: an unknown model, weights tag or freeze mode, a checkpoint that does not
            fit the model, nothing to train, too few labelled images.
        RunDirError: ``run_dir`` holds another run and ``overwrite`` is not set.
    """
    check_freeze_mode(freeze)
    if head_init not in ("random", "probe"):
        raise ValueError(f"head_init {head_init!r}: expected 'random' or 'probe'")
    if linear_probe and unfreeze_epochs:
        raise ValueError("a linear probe trains no network: drop unfreeze_epochs (or linear_probe)")
    if not linear_probe and head_epochs <= 0 and unfreeze_epochs <= 0:
        raise ValueError("nothing to train: give head_epochs or unfreeze_epochs > 0 (or use linear_probe)")
    if unfreeze_stages is not None and unfreeze_stages < 0:
        raise ValueError(f"unfreeze_stages must be >= 0, got {unfreeze_stages}")
    base = config or TrainConfig(amp="auto", label_smoothing=0.1, warmup_epochs=0.0)
    run_path = Path(run_dir) if run_dir is not None else None
    # --- names and the run folder first: a wrong name must not touch RUN_DIR
    if isinstance(model, nn.Module):
        if weights is not None:
            raise ValueError("weights= applies to a registered model name; load them into the module yourself")
        source = WeightsSource("module", type(model).__name__, None, description="the given module")
    else:
        source = resolve_weights(model, weights)
    if run_path is not None:
        check_run_dir(run_path, overwrite=overwrite)
    if image_size is None:
        image_size = source.image_size
    if freeze_bn_stats is None:
        freeze_bn_stats = source.kind == "published"

    # --- data: the labelled subset; normalization of the weights, else of the data
    num_classes = num_classes_of(train)
    if num_classes is None:
        raise ValueError("cannot tell the class count of the training data (no classes / targets)")
    in_chans = _in_chans_of(train)
    if labels_per_class is not None:
        idx = labelled_subset(_targets_of(train), per_class=labels_per_class, seed=seed)
        train = Subset(train, idx.tolist())
    n_train = len(train)
    if source.mean is not None:
        mean, std = _gray(source.mean, in_chans), _gray(source.std, in_chans)
    elif base.mean is not None:
        mean, std = tuple(base.mean), tuple(base.std)
    else:
        mean, std = channel_stats(train)
    bs = min(batch_size, n_train)
    names = list(class_names) if class_names is not None else dataset_class_names(train)

    # --- the network: new classifier and input channels, weights loaded, input resized
    if isinstance(model, nn.Module):
        net = model
        if getattr(net, "num_classes", num_classes) != num_classes:
            torch.manual_seed(seed)
            net.reset_classifier(num_classes)
    else:
        net = build_model(source, num_classes=num_classes, in_chans=in_chans, seed=seed)
    attach_resize(net, image_size)
    device_name = base.device
    from ._distributed import init_distributed, resolve_device

    device = resolve_device(device_name, init_distributed(device_name))
    net.to(device)

    facts = {"model": source.model, "weights": source.description, "freeze": freeze, "head_epochs": head_epochs,
             "unfreeze_epochs": unfreeze_epochs, "unfreeze_stages": unfreeze_stages, "lr": lr,
             "unfreeze_lr": unfreeze_lr, "lr_mult": lr_mult, "image_size": image_size,
             "labels_per_class": labels_per_class, "linear_probe": linear_probe, "head_init": head_init,
             "freeze_bn_stats": freeze_bn_stats, "precise_bn": precise_bn,
             "num_classes": num_classes, "in_chans": in_chans, "classes": names, "train_images": n_train,
             "seed": seed, **(meta or {})}
    if run_path is not None:
        prepare_run_dir(run_path, overwrite=overwrite)
        for phase in PHASES:  # an overwritten run's phase folders go too
            if (run_path / phase).is_dir():
                shutil.rmtree(run_path / phase)
        for stale in (PROBE,):
            if (run_path / stale).is_file():
                (run_path / stale).unlink()
    cache = feature_cache if feature_cache is not None else run_path
    feature_key = {"model": source.model, "weights": source.description, "in_chans": in_chans}

    history: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    configs: dict[str, Any] = {}
    trainable: dict[str, int] = {}
    probe = None
    features_computed: dict[str, int] = {}

    def features(dataset: Any, split: str) -> tuple[np.ndarray, np.ndarray]:
        # features of the frozen network (head and all)
        t0 = time.perf_counter()
        base_ds, idx = (dataset.dataset, np.asarray(dataset.indices)) if isinstance(dataset, Subset) else (
            dataset, np.arange(len(dataset)))
        x, y, computed = cached_features(net, base_ds, idx, split=split, key=feature_key, cache=cache, mean=mean,
                                         std=std, image_size=image_size, amp=base.amp, progress=progress)
        features_computed[split] = computed
        seconds[f"{split}_features"] = seconds.get(f"{split}_features", 0.0) + time.perf_counter() - t0
        return x, y

    if linear_probe or head_init == "probe":
        net.eval()
        tx, ty = features(train, "train")
        t0 = time.perf_counter()
        probe = fit_linear_probe(tx, ty, C=probe_C)
        seconds["probe"] = time.perf_counter() - t0
        if not linear_probe:
            probe_to_linear(probe, net.get_classifier())
        if run_path is not None:
            _save_probe(run_path / PROBE, probe)

    if not linear_probe:
        phases = []
        if head_epochs > 0:
            phases.append(("head", freeze, head_epochs, lr, None))
        if unfreeze_epochs > 0:
            ulr = unfreeze_lr if unfreeze_lr is not None else lr / 10
            stages = _stage_count(net)
            if unfreeze_stages is None:
                mode = "none"
            elif unfreeze_stages > stages:
                raise ValueError(f"unfreeze_stages {unfreeze_stages}: {source.model} has only {stages} stages")
            else:
                mode = "backbone" if unfreeze_stages == 0 else f"stages:{stages - unfreeze_stages}"
            phases.append(("unfreeze", mode, unfreeze_epochs, ulr, lr_mult))
        hold_bn_statistics(net, freeze_bn_stats)
        for i, (phase, mode, epochs, phase_lr, mult) in enumerate(phases):
            frozen = freeze_groups(net, mode)
            epochs = _epochs(epochs, n_train, bs, min_steps)
            cfg = _phase_config(base, epochs=epochs, lr=phase_lr, batch_size=bs, mean=mean, std=std, seed=seed,
                                whiten=i == 0 and source.kind == "none")
            groups = None
            if mult is not None:  # discriminative learning rates, as scales of the phase's peak lr
                groups = [{**g, "lr_scale": g.pop("lr") / phase_lr}
                          for g in discriminative_param_groups(net, lr=phase_lr, lr_mult=mult,
                                                               weight_decay=cfg.weight_decay)]
            configs[phase] = {"frozen": frozen, "train": cfg.to_dict()}
            trainable[phase] = _trainable(net)
            if progress:
                print(f"{phase} phase: {epochs} epochs, frozen {', '.join(frozen) or 'nothing'} "
                      f"({trainable[phase]:,} trainable parameters)")
            res = fit(net, train, val, cfg, run_dir=None if run_path is None else run_path / phase, overwrite=True,
                      num_classes=num_classes, param_groups=groups, meta={**facts, "phase": phase},
                      progress=progress)
            if res.model is not net:  # the EMA copy: its weights, into the network that holds the hooks
                net.load_state_dict(res.model.state_dict())
            history += [{"phase": phase, **r} for r in res.history]
            seconds[phase] = res.train_seconds
        if precise_bn:
            t0 = time.perf_counter()
            recomputed = recompute_bn_statistics(net, train, mean=mean, std=std)
            if recomputed:
                seconds["precise_bn"] = time.perf_counter() - t0
        freeze_groups(net, "none")
        hold_bn_statistics(net, False)
    net.eval()

    # --- test metrics, summary, best.pt and the report
    summary: dict[str, Any] = {k: facts[k] for k in ("model", "weights", "labels_per_class", "train_images",
                                                     "image_size")}
    summary["method"] = "linear probe" if linear_probe else (
        "fine-tuned" if source.kind not in ("none",) else "from scratch")
    probs = targets = None
    evaluated = test if test is not None else val
    if evaluated is not None:
        t0 = time.perf_counter()
        if linear_probe:
            ex, ey = features(evaluated, "test" if test is not None else "val")
            probs, targets = torch.as_tensor(_full_proba(probe, ex, num_classes)), torch.as_tensor(ey)
        else:
            ev = evaluate(net, evaluated, mean=mean, std=std, device=device, amp=resolve_amp(base.amp, device),
                          tta=base.tta,
                          channels_last=base.channels_last, collect=True,
                          batch_size=base.eval_batch_size or 2 * max(bs, 128))
            probs, targets = ev.probs, ev.targets
        seconds["evaluate"] = time.perf_counter() - t0
        probs = as_probabilities(probs)
        scores = score_predictions(probs, targets)
        if test is None:
            scores = {k.replace("test_", "val_"): v for k, v in scores.items()}
        summary.update(scores)
        summary["evaluated_on"] = "test" if test is not None else "validation"
        summary["evaluated_images"] = int(len(targets))
    summary.update({"seconds": {k: round(v, 3) for k, v in seconds.items()},
                    "train_seconds": round(sum(v for k, v in seconds.items() if k != "evaluate"), 3),
                    "features_computed": features_computed, "trainable_params": trainable,
                    "num_params": sum(p.numel() for p in net.parameters()), "mean": list(mean), "std": list(std)})
    if run_path is not None:
        atomic_write(run_path / "config.yaml", yaml.safe_dump({"finetune": facts, **configs}, sort_keys=False))
        atomic_write(run_path / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in history))
        if not linear_probe:
            save_atomic({"format": FORMAT, "kind": "best", "epoch": len(history), "model": net.state_dict(),
                         "mean": list(mean), "std": list(std), "num_classes": num_classes, "meta": facts,
                         "config": base.to_dict()}, run_path / BEST)
        atomic_write(run_path / SUMMARY, json.dumps(summary, indent=2) + "\n")
        if probs is not None:
            tensors = dataset_tensors(evaluated)
            write_finetune_report(run_path / REPORT, summary=summary, history=history, probs=probs, targets=targets,
                                  images=tensors[0] if tensors is not None else None, class_names=names)
    return FinetuneResult(model=net, history=history, summary=summary, mean=tuple(mean), std=tuple(std),
                          image_size=image_size, probe=probe, run_dir=run_path)


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


def _save_probe(path: Path, probe: Any) -> None:
    lr = probe[-1]
    arrays = {"coef": lr.coef_, "intercept": lr.intercept_, "classes": lr.classes_}
    if len(probe) > 1:
        arrays.update(mean=probe[0].mean_, scale=probe[0].scale_)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write(path, buf.getvalue())


def write_finetune_report(path: str | os.PathLike, *, summary: dict[str, Any], history: Sequence[dict[str, Any]],
                          probs: torch.Tensor, targets: torch.Tensor, images: torch.Tensor | None,
                          class_names: Sequence[str] | None) -> None:
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
        report.add_table([[i + 1, r["phase"], _fmt(r["train_loss"]), _fmt(r["val_loss"]), _fmt(r["val_accuracy"]),
                           f"{r['lr']:.3g}", f"{r['seconds']:.1f}"] for i, r in enumerate(history)],
                         header=["epoch", "phase", "train loss", "val loss", "val accuracy", "lr", "seconds"])
    report.add_heading("Test set" if summary.get("evaluated_on") == "test" else "Validation set")
    add_classification_sections(report, targets.numpy(), y_prob=probs.double().numpy(),
                                target_names=list(class_names) if class_names else None,
                                images=None if images is None else images.numpy())
    report.save(path)


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
    *,
    dataset: str,
    model: str | None = None,
    weights: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    overwrite: bool = False,
    val_fraction: float = 0.0,
    data_root: str | os.PathLike | None = None,
    **kwargs: Any,
) -> FinetuneResult:
    """``vistakit finetune``: a registered data set's splits into :func:`finetune`.

    Args:
        dataset: data set name (:func:`vistakit.data.list_datasets`).
        model: registry name (None with ``weights`` a RUN_DIR: its model).
        weights: see :func:`finetune`.
        out: the run folder.
        overwrite: replace another run in ``out``.
        val_fraction: share of the (labelled) training images held out for validation
            when the data set has no validation split (0: none).
        data_root: folder holding the data set's files.
        **kwargs: the options of :func:`finetune`.
    """
    from ._run import check_dataset_name, holdout, load_split, _splits

    check_dataset_name(dataset)
    check_freeze_mode(kwargs.get("freeze", "backbone"))
    resolve_weights(model, weights)  # unknown names fail before anything is read or written
    if out is not None:
        check_run_dir(out, overwrite=overwrite)
    splits = _splits(dataset)
    train = load_split(dataset, "train", root=data_root)
    test = load_split(dataset, "test", root=data_root) if "test" in splits else None
    val = load_split(dataset, "val", root=data_root) if "val" in splits else None
    lpc = kwargs.get("labels_per_class")
    if val is None and val_fraction > 0:
        if lpc is not None:
            idx = labelled_subset(_targets_of(train), per_class=lpc, seed=kwargs.get("seed", 0))
            train = Subset(train, idx.tolist())
            kwargs["labels_per_class"] = None
        train, val = holdout(train, val_fraction, kwargs.get("seed", 0))
    meta = {"dataset": dataset, **kwargs.pop("meta", {})}
    return finetune(model, train, val, test=test, weights=weights, run_dir=out, overwrite=overwrite, meta=meta,
                    **kwargs)


__all__ = ["FinetuneResult", "WeightsSource", "attach_resize", "build_model", "cached_features", "check_freeze_mode",
           "finetune", "finetune_run", "fit_linear_probe", "hold_bn_statistics", "labelled_subset", "probe_to_linear",
           "recompute_bn_statistics", "resize_batch", "resolve_weights", "write_finetune_report"]
