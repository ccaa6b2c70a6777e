"""The learning-rate range test (Smith, 2017): raise the lr exponentially, watch the loss."""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ._config import TrainConfig
from ._data import BatchPrep, Loader, channel_stats
from ._distributed import DistInfo, resolve_device
from ._loop import autocast, build_optimizer, resolve_amp


@dataclass
class LRFindResult:
    """Learning rates tried and the loss at each.

    Attributes:
        lrs: learning rate of each step.
        losses: exponentially smoothed (bias-corrected) training loss after each step.
        suggestion: the learning rate of the steepest loss decrease on the smoothed
            curve before its minimum (a good peak lr for one-cycle / cosine).
        min_loss_lr: the learning rate at the lowest smoothed loss.
    """

    lrs: list[float]
    losses: list[float]
    suggestion: float
    min_loss_lr: float

    def plot(self, path: str | os.PathLike) -> None:
        """Save the loss-vs-lr curve (log x axis) with the suggestion marked."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.lrs, self.losses)
        ax.axvline(self.suggestion, color="tab:red", ls="--", label=f"suggestion {self.suggestion:.2g}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss (smoothed)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)


def suggest_lr(lrs: list[float], losses: list[float]) -> float:
    """The lr of the steepest descent of ``losses`` against log(lr), before their minimum."""
    lo = np.asarray(losses, dtype=np.float64)
    lr = np.asarray(lrs, dtype=np.float64)
    end = int(np.argmin(lo)) + 1
    if end < 3:
        return float(lr[max(end - 1, 0)] / 10)
    slope = np.gradient(lo[:end], np.log(lr[:end]))
    skip = min(max(end // 10, 1), end - 1)  # the first points are noise around the start value
    return float(lr[skip + int(np.argmin(slope[skip:]))])


def lr_find(
    model: nn.Module,
    train_data: Any,
    config: TrainConfig | None = None,
    *,
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    num_steps: int = 100,
    smoothing: float = 0.9,
    diverge_factor: float = 4.0,
    progress: bool = True,
) -> LRFindResult:
    """Run the range test on ``model`` and restore its weights afterwards.

    Uses the optimizer, batch size, label smoothing, amp and normalization of
    ``config`` (no augmentation, no schedule), and raises the learning rate
    geometrically from ``start_lr`` to ``end_lr`` over ``num_steps`` steps,
    stopping early once the smoothed loss exceeds ``diverge_factor`` x its minimum.

    Args:
        model: the classifier (its state is put back at the end).
        train_data: training Dataset.
        config: the run's options.
        start_lr: first learning rate.
        end_lr: last learning rate.
        num_steps: steps of the test (batches are drawn epoch after epoch as needed).
        smoothing: EMA factor of the loss curve.
        diverge_factor: stop when the smoothed loss exceeds this multiple of its minimum.
        progress: show a progress bar.

    Returns:
        An :class:`LRFindResult`.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if num_steps < 5:
        raise ValueError(f"num_steps must be >= 5, got {num_steps}")
    cfg = config or TrainConfig()
    device = resolve_device(cfg.device, DistInfo())
    amp = resolve_amp(cfg.amp, device)
    saved = copy.deepcopy(model.state_dict())
    was_training = model.training
    model.to(device)
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    mean, std = (cfg.mean, cfg.std) if cfg.mean is not None else channel_stats(train_data)
    loader = Loader(
        train_data, batch_size=cfg.batch_size, shuffle=True, drop_last=True, seed=cfg.seed, num_workers=cfg.num_workers
    )
    prep = BatchPrep(mean, std, device=device, channels_last=cfg.channels_last)
    optimizer = build_optimizer(model, cfg)
    gen = torch.random.fork_rng(devices=[])
    lrs, losses = [], []
    avg, best = 0.0, math.inf
    model.train()
    with gen:
        torch.manual_seed(cfg.seed)
        bar = tqdm(total=num_steps, desc="lr-find", disable=not progress, dynamic_ncols=True)
        epoch = 0
        try:
            while len(lrs) < num_steps:
                loader.set_epoch(epoch)
                for images, targets in loader:
                    i = len(lrs)
                    if i >= num_steps:
                        break
                    lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))
                    for g in optimizer.param_groups:
                        g["lr"] = lr * g["lr_scale"]
                    x, y = prep(images, targets)
                    with autocast(device, amp):
                        loss = F.cross_entropy(model(x).float(), y, label_smoothing=cfg.label_smoothing)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    value = loss.item()
                    if not math.isfinite(value):
                        break
                    avg = smoothing * avg + (1 - smoothing) * value
                    smoothed = avg / (1 - smoothing ** (i + 1))
                    lrs.append(lr)
                    losses.append(smoothed)
                    best = min(best, smoothed)
                    bar.update(1)
                    bar.set_postfix_str(f"lr {lr:.2e} loss {smoothed:.4f}", refresh=False)
                    if smoothed > diverge_factor * best:
                        break
                else:
                    epoch += 1
                    continue
                break
        finally:
            bar.close()
            model.load_state_dict(saved)
            model.train(was_training)
    if len(lrs) < 5:
        raise ValueError(f"the loss diverged within {len(lrs)} steps of lr-find; lower start_lr (now {start_lr})")
    return LRFindResult(
        lrs=lrs, losses=losses, suggestion=suggest_lr(lrs, losses), min_loss_lr=float(lrs[int(np.argmin(losses))])
    )
