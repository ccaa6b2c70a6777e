"""fit(): the whole training loop, readable top to bottom.

data -> model -> optimizer -> schedule -> (resume) -> for each epoch: steps, evaluation,
metrics line, checkpoints, early stopping. Options come from one :class:`TrainConfig`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch import nn
from tqdm.auto import tqdm

from ._augment import build_augment
from ._checkpoint import (
    BEST,
    CHECKPOINT,
    FORMAT,
    capture_rng_state,
    load_training_checkpoint,
    prepare_run_dir,
    restore_rng_state,
    save_atomic,
)
from .._files import atomic_write
from ._config import TrainConfig
from ._data import BatchPrep, Loader, channel_stats, num_classes_of, sample_images
from ._distributed import (
    DistInfo,
    all_reduce_sum,
    barrier,
    broadcast_flag,
    gather_objects,
    init_distributed,
    resolve_device,
)
from ._ema import EMA
from ._schedule import lr_factor
from ._whiten import first_conv, whiten_conv_

METRICS = "metrics.jsonl"
WHITEN_SAMPLES = 5000  # training images whose patches set the whitened first convolution
CONFIG = "config.yaml"
# Options that may change when a run is resumed (they do not change the weights it reaches).
RESUMABLE_CHANGES = {"epochs", "early_stop_patience", "log_every", "num_workers", "device", "compile",
                     "eval_batch_size"}


class TrainingDiverged(RuntimeError):
    """The training loss became non-finite or blew up; the last good checkpoint is kept."""


@dataclass
class EvalResult:
    """Loss and accuracy over a dataset (summed over all processes).

    Attributes:
        loss: mean cross-entropy (no label smoothing) of the (TTA-averaged) predictions.
        accuracy: fraction of correct top-1 predictions.
        count: images evaluated.
        probs: (count, num_classes) probabilities, when collected (one process only).
        targets: (count,) true classes, when collected.
    """

    loss: float
    accuracy: float
    count: int
    probs: torch.Tensor | None = None
    targets: torch.Tensor | None = None


@dataclass
class TrainResult:
    """What :func:`fit` returns.

    Attributes:
        model: the trained weights to use, in eval mode: the EMA copy when EMA is on,
            and the best epoch's weights when early stopping is on.
        history: one dict per epoch (the lines of ``metrics.jsonl``).
        best_epoch: epoch (1-based) of the best validation accuracy, None without validation data.
        best_val_accuracy: that accuracy.
        train_seconds: seconds spent in training steps (evaluation and checkpoints excluded).
        images_per_second: training images per second over the run (all processes).
        stopped_early: early stopping ended the run.
        mean: normalization mean of the run (apply it at inference).
        std: normalization std of the run.
        num_params: parameters of the model.
    """

    model: nn.Module
    history: list[dict[str, Any]]
    best_epoch: int | None
    best_val_accuracy: float | None
    train_seconds: float
    images_per_second: float
    stopped_early: bool
    mean: tuple[float, ...]
    std: tuple[float, ...]
    num_params: int
    run_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


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


def build_optimizer(model: nn.Module, cfg: TrainConfig,
                    param_groups: list[dict[str, Any]] | None = None) -> torch.optim.Optimizer:
    """AdamW or SGD over the trainable parameters only (``requires_grad=False`` ones get no state).

    Weights (>= 2-d) get ``weight_decay``; biases and normalization parameters get none.
    ``param_groups`` (dicts with ``params`` and optional ``lr_scale`` / ``weight_decay``)
    replaces this split, e.g. for layer-wise learning rates.
    """
    if param_groups is None:
        decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
        no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
        param_groups = [{"params": decay, "weight_decay": cfg.weight_decay},
                        {"params": no_decay, "weight_decay": 0.0}]
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
    prev = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
            torch.backends.cudnn.benchmark)
    if on:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = not on
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(prev[0], warn_only=prev[1])
        torch.backends.cudnn.benchmark = prev[2]


def _hard(y: torch.Tensor) -> torch.Tensor:
    """Class indices from indices or soft targets."""
    return y.argmax(1) if y.ndim == 2 else y


@torch.no_grad()
def evaluate(model: nn.Module, data: Any, *, mean: tuple[float, ...], std: tuple[float, ...],
             batch_size: int = 256, tta: bool = False, device: torch.device | str | None = None,
             amp: torch.dtype | None = None, channels_last: bool = True, info: DistInfo = DistInfo(),
             collect: bool = False, num_workers: int = 0) -> EvalResult:
    """Loss and accuracy of ``model`` over ``data`` (a Dataset or a :class:`Loader`).

    Args:
        model: any classifier of (N, C, H, W) -> (N, K) logits.
        data: the dataset.
        mean: normalization mean (the one the model was trained with).
        std: normalization std.
        batch_size: images per forward pass (over all processes).
        tta: average the softmax of the image and of its horizontal flip.
        device: defaults to the model's.
        amp: autocast dtype (None: float32).
        channels_last: NHWC batches.
        info: rank / world size; each process evaluates its share and the sums are all-reduced.
        collect: also return the probabilities and targets (single process only).
        num_workers: DataLoader workers for datasets that are not in memory.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    loader = data if isinstance(data, Loader) else Loader(
        data, batch_size=batch_size, shuffle=False, drop_last=False, info=info, num_workers=num_workers)
    prep = BatchPrep(mean, std, device=device, channels_last=channels_last)
    was_training = model.training
    model.eval()
    loss_sum = correct = count = 0.0
    all_probs, all_targets = [], []
    for images, targets in loader:
        x, y = prep(images, targets)
        with autocast(device, amp):
            logits = model(x).float()
            if tta:  # test-time augmentation: the mirrored image votes too
                probs = (logits.softmax(1) + model(x.flip(3)).float().softmax(1)) / 2
        if not tta:
            probs = logits.softmax(1)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        else:
            loss_sum += F.nll_loss(probs.clamp_min(1e-12).log(), y, reduction="sum").item()
        correct += (probs.argmax(1) == y).sum().item()
        count += len(y)
        if collect:
            all_probs.append(probs.cpu())
            all_targets.append(y.cpu())
    model.train(was_training)
    loss_sum, correct, count = all_reduce_sum([loss_sum, correct, count], device, info)
    count = max(count, 1)
    return EvalResult(loss=loss_sum / count, accuracy=correct / count, count=int(count),
                      probs=torch.cat(all_probs) if collect and all_probs else None,
                      targets=torch.cat(all_targets) if collect and all_targets else None)


def _check_fits(model: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """A clear error when a checkpoint's tensors do not fit the model (e.g. another class count)."""
    own = model.state_dict()
    bad = [f"{k}: checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)}"
           for k, v in state.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if bad or missing or unexpected:
        hint = ""
        head = getattr(model, "classifier_name", None)
        if head and any(k.startswith(head + ".") for k in (b.split(":")[0] for b in bad)):
            k = f"{head}.weight"
            hint = (f" (the checkpoint was trained for {state[k].shape[0]} classes, "
                    f"the model has {own[k].shape[0]})") if k in state and k in own else ""
        raise ValueError(f"{source} does not fit the model{hint}: "
                         + "; ".join(bad[:5] + [f"missing {k}" for k in missing[:5]]
                                     + [f"unexpected {k}" for k in unexpected[:5]]))


# ----------------------------------------------------------------------------- the loop


def fit(
    model: nn.Module,
    train_data: Any,
    val_data: Any = None,
    config: TrainConfig | None = None,
    *,
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
    """Train ``model`` on ``train_data``; any ``nn.Module`` classifier and any Dataset of (image, label).

    Args:
        model: maps (N, C, H, W) float images to (N, num_classes) logits. Parameters with
            ``requires_grad=False`` are left alone (no optimizer state, no updates).
        train_data: Dataset of (image tensor (C, H, W) uint8 or float in [0, 1], class index);
            in-memory datasets (``.data`` / ``.targets``) are batched as whole tensors.
        val_data: evaluated after every epoch (loss, accuracy; best.pt and early stopping use it).
        config: the options (default :class:`TrainConfig`).
        run_dir: where ``config.yaml``, ``metrics.jsonl``, ``checkpoint.pt`` and ``best.pt``
            go; None: nothing is written.
        resume: continue from ``run_dir/checkpoint.pt`` (model, optimizer, schedule, EMA, RNG
            states, epoch); the result equals an uninterrupted run's.
        overwrite: replace another run found in ``run_dir`` (else that is an error).
        augment: batch augmentation ``(images [0, 1], labels) -> (images, labels)``;
            default: built from ``config.augment`` / ``mixup_alpha`` / ``cutmix_alpha``.
        num_classes: class count (for soft targets); default: from the dataset.
        param_groups: custom optimizer groups (see :func:`build_optimizer`).
        meta: facts about the run (dataset and model names, classes...), written at the top of
            ``config.yaml`` and stored in the checkpoints.
        progress: show a progress bar with loss, accuracy and images/s.
        on_epoch: called after each epoch with its metrics and the model being evaluated.

    Returns:
        A :class:`TrainResult`.

    Raises:
        TrainingDiverged: the loss became non-finite or exploded (``checkpoint.pt`` keeps
            the last good epoch).
        RunDirError: ``run_dir`` holds another run, without ``overwrite`` or ``resume``.
    """
    cfg = config or TrainConfig()
    if cfg.ensemble != 1:
        raise ValueError(f"fit trains one network (TrainConfig.ensemble = {cfg.ensemble}); "
                         "train an ensemble with fit_ensemble (or vistakit train)")
    info = init_distributed(cfg.device)
    device = resolve_device(cfg.device, info)
    amp = resolve_amp(cfg.amp, device)
    run_path = Path(run_dir) if run_dir is not None else None
    if resume and run_path is None:
        raise ValueError("resume=True needs the run_dir to resume from")
    if cfg.early_stop_patience and val_data is None:
        raise ValueError("early stopping (early_stop_patience > 0) needs validation data")
    if run_path is not None and info.is_main:
        prepare_run_dir(run_path, overwrite=overwrite, resume=resume)
        if not resume:  # what the run is: the facts given in meta, and every option
            atomic_write(run_path / CONFIG, yaml.safe_dump({**(meta or {}), "train": cfg.to_dict()},
                                                                 sort_keys=False))
    barrier(info)  # the other processes wait for the folder

    with _determinism(cfg.deterministic, device):
        torch.manual_seed(cfg.seed + info.rank)
        random.seed(cfg.seed + info.rank)
        np.random.seed(cfg.seed + info.rank)

        # --- data: whole-tensor batches when in memory; normalization measured on the training set
        if num_classes is None:
            num_classes = num_classes_of(train_data)
        mean, std = (cfg.mean, cfg.std) if cfg.mean is not None else channel_stats(train_data)
        train_loader = Loader(train_data, batch_size=cfg.batch_size, shuffle=True, drop_last=True, seed=cfg.seed,
                              info=info, num_workers=cfg.num_workers)
        eval_bs = cfg.eval_batch_size or 2 * cfg.batch_size
        val_loader = None if val_data is None else Loader(
            val_data, batch_size=eval_bs, shuffle=False, drop_last=False, info=info, num_workers=cfg.num_workers)
        prep = BatchPrep(mean, std, device=device, channels_last=cfg.channels_last)
        if augment is None:
            augment = build_augment(cfg.augment, num_classes=num_classes or 0, mixup_alpha=cfg.mixup_alpha,
                                    cutmix_alpha=cfg.cutmix_alpha, seed=cfg.seed + 1_000_003 * info.rank)

        # --- model and optimizer (channels_last: NHWC convolutions, ~1.6x faster on this CPU in bf16)
        stem = first_conv(model) if cfg.whiten_stem and not resume else None
        if stem is not None and stem.weight.requires_grad:  # same evenly spaced images everywhere: same filters
            sample = sample_images(train_data, max_samples=WHITEN_SAMPLES)
            sample, _ = BatchPrep(mean, std, device=torch.device("cpu"), channels_last=False)(
                sample, torch.zeros(len(sample), dtype=torch.long))
            whiten_conv_(stem, sample)
        model.to(device)
        if cfg.channels_last:
            model.to(memory_format=torch.channels_last)
        optimizer = build_optimizer(model, cfg, param_groups)
        trainable = [p for g in optimizer.param_groups for p in g["params"]]
        scaler = torch.amp.GradScaler(device.type, enabled=amp == torch.float16)
        steps_per_epoch = len(train_loader)
        total_steps = cfg.epochs * steps_per_epoch
        warmup_steps = round(cfg.warmup_epochs * steps_per_epoch)
        micro = cfg.batch_size // info.world_size // cfg.accum_steps
        if micro < 1:
            raise ValueError(f"batch_size {cfg.batch_size} is too small for {info.world_size} processes "
                             f"x {cfg.accum_steps} accumulation steps")

        # --- resume: everything but the EMA before DDP (which broadcasts rank 0's weights)
        start_epoch, step, history, best, bad_epochs, train_seconds = 0, 0, [], None, 0, 0.0
        ck = None
        if resume:
            ck = load_training_checkpoint(run_path / CHECKPOINT)
            before = ck["config"]
            changed = [f"{k}: {before.get(k)!r} -> {v!r}" for k, v in cfg.to_dict().items()
                       if k not in RESUMABLE_CHANGES and before.get(k) != v]
            if changed:
                raise ValueError(f"{run_path / CHECKPOINT}: the run was started with other options "
                                 f"({'; '.join(changed)}); resume with the run's config.yaml")
            _check_fits(model, ck["model"], str(run_path / CHECKPOINT))
            model.load_state_dict(ck["model"])
            optimizer.load_state_dict(ck["optimizer"])
            scaler.load_state_dict(ck["scaler"])
            start_epoch, step, history = ck["epoch"], ck["step"], list(ck["history"])
            best, bad_epochs, train_seconds = ck["best"], ck["bad_epochs"], ck["train_seconds"]
            mean, std = tuple(ck["mean"]), tuple(ck["std"])
            prep = BatchPrep(mean, std, device=device, channels_last=cfg.channels_last)
        train_model = model
        if info.enabled:
            train_model = nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None)
        ddp = train_model
        if cfg.compile:
            train_model = torch.compile(train_model)
        ema = EMA(model, cfg.ema_decay) if cfg.ema_decay > 0 else None
        if ck is not None:
            if ema is not None:
                ema.module.load_state_dict(ck["model_ema"])
                ema.updates = ck["ema_updates"]
            # each process continues its own random streams (augmentation, dropout)
            mine = ck["rng"][info.rank] if info.rank < len(ck["rng"]) else ck["rng"][0]
            restore_rng_state(mine["global"])
            if mine["augment"] is not None and hasattr(augment, "generator"):
                augment.generator.set_state(mine["augment"])
        eval_model = ema.module if ema is not None else model
        best_state = None
        if ck is not None and cfg.early_stop_patience and best is not None and (run_path / BEST).is_file():
            best_state = load_training_checkpoint(run_path / BEST)["model"]  # early stopping returns the best
        if run_path is not None and info.is_main:
            _write_history(run_path / METRICS, history)  # a resumed run rewrites what the checkpoint knows

        def evaluate_now() -> EvalResult | None:
            if val_loader is None:
                return None
            return evaluate(eval_model, val_loader, mean=mean, std=std, tta=cfg.tta, device=device, amp=amp,
                            channels_last=cfg.channels_last, info=info)

        def state_for(kind: str, epoch: int, rng: list[dict[str, Any]] | None = None) -> dict[str, Any]:
            common = {"format": FORMAT, "kind": kind, "epoch": epoch, "config": cfg.to_dict(), "mean": list(mean),
                      "std": list(std), "num_classes": num_classes, "meta": meta or {}}
            if kind == "best":
                return {**common, "model": eval_model.state_dict(),
                        "val_accuracy": best["val_accuracy"] if best else None}
            return {**common, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scaler": scaler.state_dict(), "step": step, "history": history, "best": best,
                    "bad_epochs": bad_epochs, "train_seconds": train_seconds, "rng": rng,
                    **({"model_ema": ema.module.state_dict(), "ema_updates": ema.updates} if ema else {})}

        stopped_early = False
        first_loss = None
        for epoch in range(start_epoch, cfg.epochs):
            train_loader.set_epoch(epoch)
            model.train()
            t0 = time.perf_counter()
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device)
            seen, lr = 0, cfg.lr
            bar = tqdm(total=steps_per_epoch, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="step",
                       disable=not (progress and info.is_main), dynamic_ncols=True, leave=True)
            for i, (images, targets) in enumerate(train_loader):
                # schedule: a pure function of the optimizer step
                lr = cfg.lr * lr_factor(step, total_steps, schedule=cfg.schedule, warmup_steps=warmup_steps,
                                        final_fraction=cfg.final_lr_fraction)
                for g in optimizer.param_groups:
                    g["lr"] = lr * g["lr_scale"]
                # whole-batch augmentation on tensors, then normalize (+ channels_last)
                x, y = prep(images, targets, augment)
                # one optimizer step = accum_steps micro-batches; DDP syncs gradients on the last one only
                chunks = list(zip(x.split(micro), y.split(micro)))
                for k, (xm, ym) in enumerate(chunks):
                    sync = k == len(chunks) - 1 or not info.enabled
                    with (contextlib.nullcontext() if sync else ddp.no_sync()), autocast(device, amp):
                        logits = train_model(xm)
                        loss = F.cross_entropy(logits.float(), ym, label_smoothing=cfg.label_smoothing)
                    scaler.scale(loss / len(chunks)).backward()
                    loss_sum += loss.detach() * len(xm)
                    correct += (logits.detach().argmax(1) == _hard(ym)).sum()
                if cfg.grad_clip > 0:
                    scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(trainable, cfg.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                seen += len(x)
                if ema is not None and step % cfg.ema_every == 0:
                    ema.update(model)
                # divergence watch and progress bar, every log_every steps
                if (i + 1) % cfg.log_every == 0 or i + 1 == steps_per_epoch:
                    running = (loss_sum / max(seen, 1)).item()
                    first_loss = running if first_loss is None else first_loss
                    bad = not math.isfinite(running) or running > cfg.diverge_factor * max(first_loss, 1e-3)
                    if broadcast_flag(bad, device, info):
                        bar.close()
                        raise TrainingDiverged(_diverged_message(running, first_loss, epoch, step, lr, cfg, run_path))
                    ips = seen * info.world_size / max(time.perf_counter() - t0, 1e-9)
                    bar.set_postfix_str(f"loss {running:.4f} acc {(correct / max(seen, 1)).item():.4f} "
                                        f"{ips:,.0f} img/s lr {lr:.3g}", refresh=False)
                bar.update(1)
            bar.close()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - t0
            train_seconds += seconds

            # --- evaluation and the epoch's metrics line (sums over all processes)
            tl, tc, tn = all_reduce_sum([loss_sum.item(), correct.item(), float(seen)], device, info)
            val = evaluate_now()
            record = {"epoch": epoch + 1, "train_loss": tl / tn, "train_accuracy": tc / tn,
                      "val_loss": val.loss if val else None, "val_accuracy": val.accuracy if val else None,
                      "lr": lr, "seconds": seconds, "images_per_second": tn / seconds}
            history.append(record)
            improved = val is not None and (best is None or val.accuracy > best["val_accuracy"])
            if improved:
                best, bad_epochs = {"epoch": epoch + 1, "val_accuracy": val.accuracy, "val_loss": val.loss}, 0
                if cfg.early_stop_patience:
                    best_state = {k: v.detach().clone() for k, v in eval_model.state_dict().items()}
            elif val is not None:
                bad_epochs += 1
            if progress and info.is_main:
                tqdm.write(_epoch_line(record, cfg.epochs))
            # every process's random streams (a collective: all processes take part, writer or not)
            rng = gather_objects({"global": capture_rng_state(), "augment": augment.generator.get_state()
                                  if hasattr(augment, "generator") else None}, info)
            if run_path is not None and info.is_main:
                with open(run_path / METRICS, "a") as f:
                    f.write(json.dumps(record) + "\n")
                if improved or (val is None):
                    save_atomic(state_for("best", epoch + 1), run_path / BEST)
                save_atomic(state_for("last", epoch + 1, rng), run_path / CHECKPOINT)
            if on_epoch is not None:
                on_epoch(record, eval_model)
            if cfg.early_stop_patience and bad_epochs >= cfg.early_stop_patience:
                stopped_early = True
                if progress and info.is_main:
                    tqdm.write(f"early stop: no better validation accuracy for {bad_epochs} epochs "
                               f"(best {best['val_accuracy']:.4f} at epoch {best['epoch']})")
                break
        barrier(info)

    if best_state is not None:
        eval_model.load_state_dict(best_state)
    eval_model.eval()
    images = sum(r["images_per_second"] * r["seconds"] for r in history)
    return TrainResult(
        model=eval_model, history=history, best_epoch=best["epoch"] if best else None,
        best_val_accuracy=best["val_accuracy"] if best else None, train_seconds=train_seconds,
        images_per_second=images / max(train_seconds, 1e-9), stopped_early=stopped_early, mean=tuple(mean),
        std=tuple(std), num_params=sum(p.numel() for p in model.parameters()), run_dir=run_path)


def _write_history(path: Path, history: list[dict[str, Any]]) -> None:
    atomic_write(path, "".join(json.dumps(r) + "\n" for r in history))


def _epoch_line(r: dict[str, Any], epochs: int) -> str:
    val = (f"  val loss {r['val_loss']:.4f}  val acc {r['val_accuracy']:.4f}"
           if r["val_accuracy"] is not None else "")
    return (f"epoch {r['epoch']}/{epochs}  train loss {r['train_loss']:.4f}  train acc {r['train_accuracy']:.4f}"
            f"{val}  lr {r['lr']:.3g}  {r['seconds']:.1f}s  {r['images_per_second']:,.0f} img/s")


def _diverged_message(loss: float, first: float, epoch: int, step: int, lr: float, cfg: TrainConfig,
                      run_path: Path | None) -> str:
    what = f"became {loss}" if not math.isfinite(loss) else f"rose to {loss:.4g} from {first:.4g}"
    kept = ""
    if run_path is not None:
        ck = run_path / CHECKPOINT
        kept = (f" The last good checkpoint {ck} (end of epoch {epoch}) is kept."
                if ck.exists() else " No epoch finished, so no checkpoint was written.")
    return (f"training diverged: the training loss {what} in epoch {epoch + 1} (step {step}, lr {lr:.3g})."
            f"{kept} Lower the learning rate (lr={cfg.lr}), lengthen the warm-up, or set grad_clip.")
