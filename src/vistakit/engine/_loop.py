"""fit() and evaluate(): the training loop for every task, readable top to bottom.

data -> model -> optimizer -> schedule -> (resume) -> for each epoch: steps, evaluation,
metrics line, checkpoints, early stopping. Options come from one :class:`TrainConfig`;
what differs between classification, detection and segmentation (batching, loss,
predictions, metrics) comes from the task object (:mod:`vistakit.engine.tasks`); what a
resumed run needs lives in :class:`~vistakit.engine._state.TrainState`.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .._threads import retune_threads
from ._config import TrainConfig
from ._data import BatchPrep, Loader, channel_stats, num_classes_of, sample_images
from ._distributed import DistInfo, all_reduce_sum, barrier, broadcast_flag, init_distributed, resolve_device
from ._ema import EMA
from ._rundir import CHECKPOINT, RunDir
from ._schedule import lr_factor
from ._state import TrainState
from ._whiten import first_conv, whiten_conv_
from .tasks import Task, get_task

WHITEN_SAMPLES = 5000  # training images whose patches set the whitened first convolution


class TrainingDiverged(RuntimeError):
    """The training loss became non-finite or blew up; the last good checkpoint is kept."""


@dataclass
class EvalResult:
    """The task's validation metrics over a dataset (summed over all processes).

    Attributes:
        metrics: the task's metrics by name (classification: ``loss``, the mean cross-entropy
            without label smoothing of the (TTA-averaged) predictions, and ``accuracy``).
        count: images evaluated.
        probs: classification with ``collect``: (count, num_classes) probabilities (one process only).
        targets: classification with ``collect``: (count,) true classes.
    """

    metrics: dict[str, float]
    count: int
    probs: torch.Tensor | None = None
    targets: torch.Tensor | None = None

    @property
    def loss(self) -> float | None:
        return self.metrics.get("loss")

    @property
    def accuracy(self) -> float | None:
        return self.metrics.get("accuracy")

    def __getitem__(self, name: str) -> float:
        return self.metrics[name]


@dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes:
        model: the trained weights to use, in eval mode: the EMA copy when EMA is on,
            and the best epoch's weights when early stopping is on.
        history: one dict per epoch (the lines of ``metrics.jsonl``).
        best_epoch: epoch (1-based) of the best validation score, None without validation data.
        best_val_accuracy: the validation accuracy of that epoch (classification; else None).
        train_seconds: seconds spent in training steps (evaluation and checkpoints excluded).
        images_per_second: training images per second over the run (all processes).
        stopped_early: early stopping ended the run.
        mean: normalization mean of the run (apply it at inference); None: [0, 1] pixels.
        std: normalization std of the run.
        num_params: parameters of the model.
        task: the name of the task trained.
        best_val_score: the best epoch's value of the task's primary metric.
    """

    model: nn.Module
    history: list[dict[str, Any]]
    best_epoch: int | None
    best_val_accuracy: float | None
    train_seconds: float
    images_per_second: float
    stopped_early: bool
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    num_params: int
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    task: str = "classification"
    best_val_score: float | None = None


# ----------------------------------------------------------------------------- small pieces


def resolve_amp(amp: str, device: torch.device) -> torch.dtype | None:
    """Autocast dtype of ``TrainConfig.amp`` on ``device`` (None: full float32)."""
    if amp == "off":
        return None
    if device.type == "cuda":
        if amp == "auto":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if amp == "bf16" else torch.float16
    if amp == "fp16":
        raise ValueError("amp='fp16' is for GPUs; on CPU use amp='bf16'")
    if amp == "auto":
        native = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        return torch.bfloat16 if native else None
    return torch.bfloat16


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager:
    """bfloat16 / float16 autocast on ``device``, or nothing."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def build_optimizer(
    model: nn.Module, cfg: TrainConfig, param_groups: list[dict[str, Any]] | None = None
) -> torch.optim.Optimizer:
    """AdamW or SGD over the trainable parameters only (``requires_grad=False`` ones get no state).

    Weights (>= 2-d) get ``weight_decay``; biases and normalization parameters get none.
    ``param_groups`` (dicts with ``params`` and optional ``lr_scale`` / ``weight_decay``)
    replaces this split, e.g. for layer-wise learning rates.
    """
    if param_groups is None:
        decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
        no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
        param_groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    groups = []
    for g in param_groups:
        params = [p for p in g["params"] if p.requires_grad]
        if params:
            groups.append({"weight_decay": cfg.weight_decay, "lr_scale": 1.0, **g, "params": params})
    if not groups:
        raise ValueError("the model has no trainable parameters (every parameter has requires_grad=False)")
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.momentum, 0.999))
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov and cfg.momentum > 0)


@contextlib.contextmanager
def _determinism(on: bool, device: torch.device) -> Iterator[None]:
    """Deterministic kernels for the run (restoring the caller's settings afterwards).

    CPU kernels are deterministic already; on CUDA this selects deterministic cuDNN /
    cuBLAS algorithms. (``torch.use_deterministic_algorithms`` imports the compiler
    stack, ~20 s on a busy 2-core machine, so CPU runs skip it.)
    """
    if device.type != "cuda":
        yield
        return
    prev = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
    )
    if on:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = not on
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(prev[0], warn_only=prev[1])
        torch.backends.cudnn.benchmark = prev[2]


# ----------------------------------------------------------------------------- evaluation and the step


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Any,
    *,
    task: str | Task | None = None,
    mean: tuple[float, ...] | None = None,
    std: tuple[float, ...] | None = None,
    batch_size: int = 256,
    tta: bool = False,
    device: torch.device | str | None = None,
    amp: torch.dtype | None = None,
    channels_last: bool = True,
    info: DistInfo = DistInfo(),
    collect: bool = False,
    num_workers: int = 0,
) -> EvalResult:
    """The task's metrics of ``model`` over ``data`` (a Dataset or a :class:`Loader`).

    Args:
        model: a model of the task's convention (classification: (N, C, H, W) -> (N, K) logits).
        data: the dataset.
        task: a registered task name or object (default: classification).
        mean: normalization mean (the one the model was trained with); None: the model gets
            [0, 1] pixels (what the detection tasks use).
        std: normalization std.
        batch_size: images per forward pass (over all processes).
        tta: test-time augmentation (classification and segmentation: the mirrored image votes too).
        device: defaults to the model's.
        amp: autocast dtype (None: float32).
        channels_last: NHWC batches.
        info: rank / world size; each process evaluates its share and the sums are all-reduced.
        collect: classification: also return the probabilities and targets (single process only).
        num_workers: DataLoader workers for datasets that are not in memory.
    """
    task = get_task(task)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    loader = (
        data
        if isinstance(data, Loader)
        else Loader(
            data,
            batch_size=batch_size,
            shuffle=False,
            drop_last=False,
            info=info,
            num_workers=num_workers,
            collate_fn=task.collate,
            tensors=task.tensors(data),
        )
    )
    prep = BatchPrep(mean, std, device=device, channels_last=channels_last)
    meter = task.meter(collect=collect)
    was_training = model.training
    model.eval()
    for images, targets in loader:
        x, y = prep(images, targets)
        with autocast(device, amp):
            outputs = task.predict(model, x, tta=tta)
        meter.update(outputs, y)
    model.train(was_training)
    meter.reduce(device, info)
    return EvalResult(metrics=meter.compute(), count=int(meter.count), **meter.collected())


def evaluate_as_trained(
    model: nn.Module,
    data: Any,
    cfg: TrainConfig,
    *,
    mean: tuple[float, ...] | None,
    std: tuple[float, ...] | None,
    task: str | Task | None = None,
    device: torch.device | str | None = None,
    batch_size: int | None = None,
    info: DistInfo = DistInfo(),
    collect: bool = False,
) -> EvalResult:
    """:func:`evaluate` with a run's own settings, as :func:`fit` evaluates: its flip TTA, its
    autocast dtype on ``device`` (default: the model's), channels_last, and its evaluation batch
    size (``eval_batch_size``, else twice ``batch_size``; ``batch_size`` here overrides both)."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    return evaluate(
        model,
        data,
        task=task,
        mean=mean,
        std=std,
        tta=cfg.tta,
        device=device,
        amp=resolve_amp(cfg.amp, device),
        channels_last=cfg.channels_last,
        info=info,
        collect=collect,
        batch_size=batch_size or cfg.eval_batch_size or 2 * cfg.batch_size,
    )


def _split(obj: Any, size: int) -> list[Any]:
    """A batch (a tensor, or a list of images / targets) in pieces of ``size``."""
    if isinstance(obj, torch.Tensor):
        return list(obj.split(size))
    return [obj[i : i + size] for i in range(0, len(obj), size)]


def train_step(
    state: TrainState,
    train_model: nn.Module,
    ddp: nn.Module,
    x: Any,
    y: Any,
    *,
    task: Task,
    cfg: TrainConfig,
    micro: int,
    trainable: list[torch.Tensor],
    device: torch.device,
    amp: torch.dtype | None,
    info: DistInfo,
) -> dict[str, torch.Tensor]:
    """One optimizer step on a prepared batch; returns the batch's sums (``loss`` and the task's statistics).

    The batch is cut into ``accum_steps`` micro-batches whose gradients add up; under DDP the
    gradients are synchronised on the last one only.
    """
    chunks = list(zip(_split(x, micro), _split(y, micro)))
    sums: dict[str, torch.Tensor] = {"loss": torch.zeros((), device=device)}
    for k, (xm, ym) in enumerate(chunks):
        sync = k == len(chunks) - 1 or not info.enabled
        with contextlib.nullcontext() if sync else ddp.no_sync(), autocast(device, amp):
            loss, outputs = task.loss(train_model, xm, ym, cfg)
        state.scaler.scale(loss / len(chunks)).backward()
        sums["loss"] += loss.detach() * len(xm)
        for name, value in task.train_stats(outputs, ym).items():
            sums[name] = sums.get(name, torch.zeros((), device=device)) + value
    if cfg.grad_clip > 0:
        state.scaler.unscale_(state.optimizer)
        torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
    state.scaler.step(state.optimizer)
    state.scaler.update()
    state.optimizer.zero_grad(set_to_none=True)
    state.step += 1
    if state.ema is not None and state.step % cfg.ema_every == 0:
        state.ema.update(state.model)
    return sums


# ----------------------------------------------------------------------------- the loop


def fit(
    model: nn.Module,
    train_data: Any,
    val_data: Any = None,
    config: TrainConfig | None = None,
    *,
    task: str | Task | None = None,
    run_dir: str | os.PathLike | None = None,
    resume: bool = False,
    overwrite: bool = False,
    augment: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
    num_classes: int | None = None,
    param_groups: list[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
    on_epoch: Callable[[dict[str, Any], nn.Module], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``train_data`` for a task: classification (the default), detection, segmentation...

    Args:
        model: a model of the task's convention. Classification: (N, C, H, W) float images to
            (N, num_classes) logits; detection: torchvision's (a loss dict for ``(images,
            targets)`` in training mode, one dict per image in eval mode); semantic
            segmentation: (N, K, H, W) logits. Parameters with ``requires_grad=False`` are left
            alone (no optimizer state, no updates).
        train_data: a Dataset: of ``(image, label)`` or ``Sample`` items for classification, of
            ``Sample`` items (:class:`vistakit.data.SampleDataset`) for the other tasks.
        val_data: validation Dataset (None: no evaluation, no best epoch).
        config: the options (default ``TrainConfig()``).
        task: a registered task name or :class:`~vistakit.engine.tasks.Task` (default: classification).
        run_dir: where ``config.yaml``, ``metrics.jsonl``, ``checkpoint.pt`` and ``best.pt``
            go; None: nothing is written.
        resume: continue from ``run_dir/checkpoint.pt`` (model, optimizer, schedule, EMA, RNG
            states, epoch); the result equals an uninterrupted run's.
        overwrite: replace another run found in ``run_dir`` (else that is an error).
        augment: batch augmentation ``(images [0, 1], labels) -> (images, labels)``;
            default: the task's, built from ``config.augment`` / ``mixup_alpha`` / ``cutmix_alpha``.
        num_classes: class count (for soft targets); default: from the dataset.
        param_groups: custom optimizer groups (see :func:`build_optimizer`).
        meta: facts about the run (dataset and model names, classes...), written at the top of
            ``config.yaml`` and stored in the checkpoints.
        progress: show a progress bar with the loss, the task's statistics and images/s.
        on_epoch: called after each epoch with its metrics and the model being evaluated.

    Returns:
        A :class:`TrainResult`.

    Raises:
        TrainingDiverged: the loss became non-finite or exploded (``checkpoint.pt`` keeps
            the last good epoch).
        RunDirError: ``run_dir`` holds another run, without ``overwrite`` or ``resume``.
    """
    cfg = config or TrainConfig()
    task = get_task(task)
    if cfg.ensemble != 1:
        raise ValueError(
            f"fit trains one network (TrainConfig.ensemble = {cfg.ensemble}); "
            "train an ensemble with fit_ensemble (or vistakit train)"
        )
    info = init_distributed(cfg.device)
    device = resolve_device(cfg.device, info)
    amp = resolve_amp(cfg.amp, device)
    run = RunDir(run_dir) if run_dir is not None else None
    if resume and run is None:
        raise ValueError("resume=True needs the run_dir to resume from")
    if cfg.early_stop_patience and val_data is None:
        raise ValueError("early stopping (early_stop_patience > 0) needs validation data")
    if run is not None and info.is_main:
        run.prepare(overwrite=overwrite, resume=resume)
        if not resume:  # what the run is: the facts given in meta, and every option
            run.write_config({**(meta or {}), "task": task.name, "train": cfg.to_dict()})
    barrier(info)  # the other processes wait for the folder

    with _determinism(cfg.deterministic, device):
        torch.manual_seed(cfg.seed + info.rank)
        random.seed(cfg.seed + info.rank)
        np.random.seed(cfg.seed + info.rank)

        # --- data: whole-tensor batches when in memory; normalization measured on the training set
        tensors = task.tensors(train_data)
        if num_classes is None:
            num_classes = num_classes_of(train_data)
        if not task.normalize:
            mean = std = None  # the model normalizes inside (torchvision's detectors)
        elif cfg.mean is not None:
            mean, std = cfg.mean, cfg.std
        else:
            mean, std = channel_stats(train_data, collate_fn=task.collate, tensors=tensors)
        train_loader = Loader(
            train_data,
            batch_size=cfg.batch_size,
            shuffle=True,
            drop_last=True,
            seed=cfg.seed,
            info=info,
            num_workers=cfg.num_workers,
            collate_fn=task.collate,
            tensors=tensors,
        )
        val_loader = (
            None
            if val_data is None
            else Loader(
                val_data,
                batch_size=cfg.eval_batch_size or 2 * cfg.batch_size,
                shuffle=False,
                drop_last=False,
                info=info,
                num_workers=cfg.num_workers,
                collate_fn=task.collate,
                tensors=task.tensors(val_data),
            )
        )
        if augment is None:
            augment = task.build_augment(cfg, num_classes=num_classes, seed=cfg.seed + 1_000_003 * info.rank)

        # --- model and optimizer (channels_last: NHWC convolutions, ~1.6x faster on this CPU in bf16)
        stem = first_conv(model) if cfg.whiten_stem and not resume else None
        if stem is not None and stem.weight.requires_grad:  # same evenly spaced images everywhere: same filters
            sample = sample_images(train_data, max_samples=WHITEN_SAMPLES, collate_fn=task.collate, tensors=tensors)
            whiten_conv_(stem, BatchPrep(mean, std, device=torch.device("cpu"), channels_last=False).images(sample))
        model.to(device)
        if cfg.channels_last:
            model.to(memory_format=torch.channels_last)
        optimizer = build_optimizer(model, cfg, param_groups)
        trainable = [p for g in optimizer.param_groups for p in g["params"]]
        state = TrainState(
            model,
            optimizer,
            torch.amp.GradScaler(device.type, enabled=amp == torch.float16),
            EMA(model, cfg.ema_decay) if cfg.ema_decay > 0 else None,
            augment,
            mean=mean,
            std=std,
            primary=task.primary,
        )
        steps_per_epoch = len(train_loader)
        total_steps = cfg.epochs * steps_per_epoch
        warmup_steps = round(cfg.warmup_epochs * steps_per_epoch)
        micro = cfg.batch_size // info.world_size // cfg.accum_steps
        if micro < 1:
            raise ValueError(
                f"batch_size {cfg.batch_size} is too small for {info.world_size} processes "
                f"x {cfg.accum_steps} accumulation steps"
            )

        # --- resume (before DDP, which broadcasts rank 0's weights): weights, optimizer, EMA, RNG, history
        if resume:
            state.resume(run, cfg=cfg, info=info, early_stopping=bool(cfg.early_stop_patience))
        prep = BatchPrep(state.mean, state.std, device=device, channels_last=cfg.channels_last)
        train_model = ddp = (
            nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
            if info.enabled
            else model
        )
        if cfg.compile:
            train_model = torch.compile(train_model)
        if run is not None and info.is_main:
            run.write_metrics(state.history)  # a resumed run rewrites what the checkpoint knows
        facts = (meta or {}) | {"task": task.name}

        stopped_early = False
        first_loss = None
        for epoch in range(state.epoch, cfg.epochs):
            train_loader.set_epoch(epoch)
            model.train()
            t0 = time.perf_counter()
            sums: dict[str, torch.Tensor] = {}
            seen, lr = 0, cfg.lr
            bar = tqdm(
                total=steps_per_epoch,
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                unit="step",
                disable=not (progress and info.is_main),
                dynamic_ncols=True,
                leave=True,
            )
            for i, (images, targets) in enumerate(train_loader):
                # schedule: a pure function of the optimizer step
                lr = cfg.lr * lr_factor(
                    state.step,
                    total_steps,
                    schedule=cfg.schedule,
                    warmup_steps=warmup_steps,
                    final_fraction=cfg.final_lr_fraction,
                )
                for g in optimizer.param_groups:
                    g["lr"] = lr * g["lr_scale"]
                # whole-batch augmentation on tensors, then normalize (+ channels_last)
                x, y = prep(images, targets, augment)
                for name, value in train_step(
                    state,
                    train_model,
                    ddp,
                    x,
                    y,
                    task=task,
                    cfg=cfg,
                    micro=micro,
                    trainable=trainable,
                    device=device,
                    amp=amp,
                    info=info,
                ).items():
                    sums[name] = sums[name] + value if name in sums else value
                seen += len(x)
                retune_threads()  # follow the CPU others take (once a second at most; vistakit._threads)
                # divergence watch and progress bar, every log_every steps
                if (i + 1) % cfg.log_every == 0 or i + 1 == steps_per_epoch:
                    running = (sums["loss"] / max(seen, 1)).item()
                    first_loss = running if first_loss is None else first_loss
                    bad = not math.isfinite(running) or running > cfg.diverge_factor * max(first_loss, 1e-3)
                    if broadcast_flag(bad, device, info):
                        bar.close()
                        raise TrainingDiverged(_diverged_message(running, first_loss, epoch, state.step, lr, cfg, run))
                    ips = seen * info.world_size / max(time.perf_counter() - t0, 1e-9)
                    stats = "".join(
                        f" {_SHORT.get(k, k)} {(sums[k] / max(seen, 1)).item():.4f}"
                        for k in task.train_stat_names
                        if k in sums
                    )
                    bar.set_postfix_str(f"loss {running:.4f}{stats} {ips:,.0f} img/s lr {lr:.3g}", refresh=False)
                bar.update(1)
            bar.close()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - t0
            state.train_seconds += seconds

            # --- evaluation and the epoch's metrics line (sums over all processes)
            names = ["loss", *task.train_stat_names]
            *totals, tn = all_reduce_sum(
                [float(sums[k]) if k in sums else 0.0 for k in names] + [float(seen)], device, info
            )
            val = (
                None
                if val_loader is None
                else evaluate(
                    state.eval_model,
                    val_loader,
                    task=task,
                    mean=state.mean,
                    std=state.std,
                    tta=cfg.tta,
                    device=device,
                    amp=amp,
                    channels_last=cfg.channels_last,
                    info=info,
                )
            )
            record = {
                "epoch": epoch + 1,
                **{f"train_{k}": v / tn for k, v in zip(names, totals)},
                **{f"val_{k}": val.metrics.get(k) if val else None for k in task.metric_names},
                "lr": lr,
                "seconds": seconds,
                "images_per_second": tn / seconds,
            }
            improved = state.record(record, keep_best_weights=bool(cfg.early_stop_patience))
            if progress and info.is_main:
                tqdm.write(_epoch_line(record, cfg.epochs))
            rng = state.random_streams(info)
            if run is not None and info.is_main:
                state.save(run, improved=improved, cfg=cfg, meta=facts, num_classes=num_classes, rng=rng)
            if on_epoch is not None:
                on_epoch(record, state.eval_model)
            if cfg.early_stop_patience and state.bad_epochs >= cfg.early_stop_patience:
                stopped_early = True
                if progress and info.is_main:
                    tqdm.write(
                        f"early stop: no better validation {task.primary} for {state.bad_epochs} epochs "
                        f"(best {state.best_score:.4f} at epoch {state.best['epoch']})"
                    )
                break
        barrier(info)

    eval_model = state.eval_model
    if state.best_weights is not None:
        eval_model.load_state_dict(state.best_weights)
    eval_model.eval()
    history = state.history
    images = sum(r["images_per_second"] * r["seconds"] for r in history)
    return TrainResult(
        model=eval_model,
        history=history,
        best_epoch=state.best["epoch"] if state.best else None,
        best_val_accuracy=state.best.get("val_accuracy") if state.best else None,
        train_seconds=state.train_seconds,
        images_per_second=images / max(state.train_seconds, 1e-9),
        stopped_early=stopped_early,
        mean=None if state.mean is None else tuple(state.mean),
        std=None if state.std is None else tuple(state.std),
        num_params=sum(p.numel() for p in model.parameters()),
        run_dir=run.path if run is not None else None,
        task=task.name,
        best_val_score=state.best_score,
    )


_SHORT = {"accuracy": "acc", "pixel_accuracy": "pix acc"}


def _epoch_line(r: dict[str, Any], epochs: int) -> str:
    """One readable line per epoch: train loss and statistics, validation metrics, lr, time, speed."""
    parts = [f"epoch {r['epoch']}/{epochs}"]
    parts += [f"train {_SHORT.get(k[6:], k[6:])} {v:.4f}" for k, v in r.items() if k.startswith("train_")]
    parts += [f"val {_SHORT.get(k[4:], k[4:])} {v:.4f}" for k, v in r.items() if k.startswith("val_") and v is not None]
    parts += [f"lr {r['lr']:.3g}", f"{r['seconds']:.1f}s", f"{r['images_per_second']:,.0f} img/s"]
    return "  ".join(parts)


def _diverged_message(
    loss: float, first: float, epoch: int, step: int, lr: float, cfg: TrainConfig, run: RunDir | None
) -> str:
    what = f"became {loss}" if not math.isfinite(loss) else f"rose to {loss:.4g} from {first:.4g}"
    kept = ""
    if run is not None:
        ck = run / CHECKPOINT
        kept = (
            f" The last good checkpoint {ck} (end of epoch {epoch}) is kept."
            if ck.exists()
            else " No epoch finished, so no checkpoint was written."
        )
    return (
        f"training diverged: the training loss {what} in epoch {epoch + 1} (step {step}, lr {lr:.3g})."
        f"{kept} Lower the learning rate (lr={cfg.lr}), lengthen the warm-up, or set grad_clip."
    )
