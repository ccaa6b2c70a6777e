"""The resumable state of a training run and its checkpoints.

:class:`TrainState` holds everything that a resumed run needs to reach the same weights
as an uninterrupted one: the model, the optimizer, the gradient scaler, the EMA copy,
the epoch and step counters, the history, the best epoch so far, the normalization and
every random stream (the global generators of each process and the batch augmentation's
own). ``checkpoint()`` writes it, ``resume()`` reads it back, and nothing else in
:func:`vistakit.engine.fit` touches checkpoint files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ._checkpoint import FORMAT, capture_rng_state, restore_rng_state
from ._config import TrainConfig
from ._distributed import DistInfo, gather_objects
from ._ema import EMA
from ._rundir import BEST, CHECKPOINT, RunDir

# Options that may change when a run is resumed (they do not change the weights it reaches).
RESUMABLE_CHANGES = {
    "epochs",
    "early_stop_patience",
    "log_every",
    "num_workers",
    "device",
    "compile",
    "eval_batch_size",
}


class TrainState:
    """Model, optimizer, schedule position, EMA, history and random streams of one run.

    Args:
        model: the network being trained (not wrapped in DDP).
        optimizer: its optimizer.
        scaler: the fp16 gradient scaler (disabled otherwise).
        ema: the EMA copy, or None.
        augment: the batch augmentation (its ``generator`` is saved), or None.
        mean: normalization mean of the run (None: the model gets [0, 1] pixels).
        std: normalization std.
        primary: the validation metric that picks the best epoch (higher is better).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler,
        ema: EMA | None,
        augment: Callable | None,
        *,
        mean: tuple[float, ...] | None,
        std: tuple[float, ...] | None,
        primary: str,
    ) -> None:
        self.model, self.optimizer, self.scaler, self.ema, self.augment = model, optimizer, scaler, ema, augment
        self.mean, self.std, self.primary = mean, std, primary
        self.epoch = 0  # epochs finished
        self.step = 0  # optimizer steps taken
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None  # {"epoch", "val_<metric>"...} of the best epoch
        self.bad_epochs = 0  # epochs since the best one
        self.train_seconds = 0.0
        self.best_weights: dict[str, torch.Tensor] | None = None  # kept for early stopping

    @property
    def eval_model(self) -> nn.Module:
        """The weights that are evaluated, saved as best and returned: the EMA copy when on."""
        return self.ema.module if self.ema is not None else self.model

    # --- the epoch's bookkeeping
    def record(self, record: dict[str, Any], *, keep_best_weights: bool) -> bool:
        """Add an epoch's metrics line; returns True when its validation score is the best so far."""
        self.history.append(record)
        self.epoch = record["epoch"]
        key = f"val_{self.primary}"
        score = record.get(key)
        if score is None:
            return False
        prev = self.best[key] if self.best else None
        improved = prev is None or score > prev or (prev != prev and score == score)  # a NaN score never wins
        if improved:
            self.best = {"epoch": record["epoch"], **{k: v for k, v in record.items() if k.startswith("val_")}}
            self.bad_epochs = 0
            if keep_best_weights:
                self.best_weights = {k: v.detach().clone() for k, v in self.eval_model.state_dict().items()}
        else:
            self.bad_epochs += 1
        return improved

    @property
    def best_score(self) -> float | None:
        return self.best[f"val_{self.primary}"] if self.best else None

    # --- checkpoints
    def _common(self, kind: str, cfg: TrainConfig, meta: dict[str, Any], num_classes: int | None) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": kind,
            "epoch": self.epoch,
            "config": cfg.to_dict(),
            "mean": None if self.mean is None else list(self.mean),
            "std": None if self.std is None else list(self.std),
            "num_classes": num_classes,
            "meta": meta,
        }

    def best_checkpoint(self, cfg: TrainConfig, meta: dict[str, Any], num_classes: int | None) -> dict[str, Any]:
        """``best.pt``: the evaluated weights and the score that chose them."""
        return {
            **self._common("best", cfg, meta, num_classes),
            "model": self.eval_model.state_dict(),
            "primary": self.primary,
            "val_score": self.best_score,
            "val_accuracy": self.best.get("val_accuracy") if self.best else None,
        }

    def last_checkpoint(
        self, cfg: TrainConfig, meta: dict[str, Any], num_classes: int | None, rng: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """``checkpoint.pt``: everything :meth:`resume` needs."""
        return {
            **self._common("last", cfg, meta, num_classes),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "step": self.step,
            "history": self.history,
            "best": self.best,
            "bad_epochs": self.bad_epochs,
            "train_seconds": self.train_seconds,
            "rng": rng,
            **({"model_ema": self.ema.module.state_dict(), "ema_updates": self.ema.updates} if self.ema else {}),
        }

    def random_streams(self, info: DistInfo) -> list[dict[str, Any]]:
        """Every process's random streams (a collective: all processes take part, writer or not)."""
        gen = getattr(self.augment, "generator", None)
        return gather_objects(
            {"global": capture_rng_state(), "augment": gen.get_state() if gen is not None else None}, info
        )

    def save(
        self,
        run: RunDir,
        *,
        improved: bool,
        cfg: TrainConfig,
        meta: dict[str, Any],
        num_classes: int | None,
        rng: list[dict[str, Any]],
    ) -> None:
        """The epoch's metrics line, ``best.pt`` when it improved (or without validation), ``checkpoint.pt``."""
        run.append_metrics(self.history[-1])
        if improved or self.best is None:
            run.save(BEST, self.best_checkpoint(cfg, meta, num_classes))
        run.save(CHECKPOINT, self.last_checkpoint(cfg, meta, num_classes, rng))

    def resume(self, run: RunDir, *, cfg: TrainConfig, info: DistInfo, early_stopping: bool) -> None:
        """Load ``RUN_DIR/checkpoint.pt`` into this state (call before wrapping the model in DDP).

        Raises:
            ValueError: the run was started with other options, or its tensors do not fit the model.
        """
        path = run / CHECKPOINT
        ck = run.load(CHECKPOINT)
        before = ck["config"]
        changed = [
            f"{k}: {before.get(k)!r} -> {v!r}"
            for k, v in cfg.to_dict().items()
            if k not in RESUMABLE_CHANGES and before.get(k) != v
        ]
        if changed:
            raise ValueError(
                f"{path}: the run was started with other options ({'; '.join(changed)}); "
                "resume with the run's config.yaml"
            )
        check_fits(self.model, ck["model"], str(path))
        self.model.load_state_dict(ck["model"])
        self.optimizer.load_state_dict(ck["optimizer"])
        self.scaler.load_state_dict(ck["scaler"])
        self.epoch, self.step, self.history = ck["epoch"], ck["step"], list(ck["history"])
        self.best, self.bad_epochs, self.train_seconds = ck["best"], ck["bad_epochs"], ck["train_seconds"]
        self.mean = None if ck["mean"] is None else tuple(ck["mean"])
        self.std = None if ck["std"] is None else tuple(ck["std"])
        if self.ema is not None:
            self.ema.module.load_state_dict(ck["model_ema"])
            self.ema.updates = ck["ema_updates"]
        # each process continues its own random streams (augmentation, dropout)
        mine = ck["rng"][info.rank] if info.rank < len(ck["rng"]) else ck["rng"][0]
        restore_rng_state(mine["global"])
        gen = getattr(self.augment, "generator", None)
        if mine["augment"] is not None and gen is not None:
            gen.set_state(mine["augment"])
        if early_stopping and self.best is not None and (run / BEST).is_file():
            self.best_weights = run.load(BEST)["model"]  # early stopping returns the best


def check_fits(model: nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """A clear error when a checkpoint's tensors do not fit the model (e.g. another class count)."""
    own = model.state_dict()
    bad = [
        f"{k}: checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)}"
        for k, v in state.items()
        if k in own and tuple(v.shape) != tuple(own[k].shape)
    ]
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if bad or missing or unexpected:
        hint = ""
        head = getattr(model, "classifier_name", None)
        if head and any(k.startswith(head + ".") for k in (b.split(":")[0] for b in bad)):
            k = f"{head}.weight"
            hint = (
                (f" (the checkpoint was trained for {state[k].shape[0]} classes, the model has {own[k].shape[0]})")
                if k in state and k in own
                else ""
            )
        raise ValueError(
            f"{source} does not fit the model{hint}: "
            + "; ".join(bad[:5] + [f"missing {k}" for k in missing[:5]] + [f"unexpected {k}" for k in unexpected[:5]])
        )
