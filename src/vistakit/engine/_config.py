"""TrainConfig: every option of a training run in one dataclass, to and from YAML."""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .._files import atomic_write

OPTIMIZERS = ("adamw", "sgd")
SCHEDULES = ("cosine", "onecycle", "constant")
AMP_MODES = ("off", "auto", "bf16", "fp16")


@dataclass
class TrainConfig:
    """Options of :func:`vistakit.engine.fit`; the defaults are a sound AdamW run.

    Attributes:
        epochs: passes over the training data.
        batch_size: images per optimizer step, summed over all processes and
            accumulation steps (the *global* batch).
        lr: peak learning rate.
        optimizer: "adamw" or "sgd" (SGD with Nesterov momentum when ``nesterov``).
        momentum: SGD momentum, or AdamW's beta1.
        nesterov: Nesterov momentum for SGD.
        weight_decay: decoupled weight decay (AdamW) or L2 (SGD) of the weights;
            biases and normalization parameters (1-d tensors) get none.
        schedule: "cosine" (warm-up, then cosine to ``final_lr_fraction``),
            "onecycle" (warm-up from lr/25, then linear down to ``final_lr_fraction``)
            or "constant" (warm-up, then flat).
        warmup_epochs: linear warm-up length in epochs (fractions allowed).
        final_lr_fraction: learning rate at the last step, as a fraction of ``lr``.
        label_smoothing: cross-entropy label smoothing.
        augment: training augmentation: path of a YAML file listing batch ops of
            :mod:`vistakit.transforms.batch`, or that list itself; None: none.
        mixup_alpha: MixUp Beta(alpha, alpha); 0 disables.
        cutmix_alpha: CutMix Beta(alpha, alpha); 0 disables.
        ema_decay: decay of the weight EMA (e.g. 0.999); 0 disables. With EMA the
            averaged weights are the ones evaluated, kept in ``best.pt`` and returned.
        ema_every: update the EMA every this many optimizer steps.
        grad_clip: clip the global gradient norm to this value; 0 disables.
        accum_steps: micro-batches accumulated into one optimizer step.
        early_stop_patience: stop after this many epochs without a better
            validation accuracy; 0 disables.
        tta: average the predictions of the image and its horizontal flip when evaluating.
        whiten_stem: before the first step, set the model's first convolution to the PCA
            whitening of the training images' patches (both signs of each direction; airbench's
            trick: faster first epochs). Ignored when resuming; a frozen first convolution
            (``requires_grad=False``) is left as it is, and :func:`finetune` whitens only a
            network that starts from no weights, in its first phase.
        channels_last: NHWC memory format for the model and batches.
        compile: wrap the model in ``torch.compile``.
        amp: "off", "bf16" (CPU autocast or GPU AMP), "fp16" (GPU AMP with a gradient
            scaler) or "auto" (bf16 on a CPU with native bf16 or a GPU that has it,
            else fp16 on GPU, else off).
        device: "auto" (CUDA when available), "cpu", "cuda", "cuda:1", ...
        num_workers: DataLoader workers for datasets that are not in-memory tensors.
        eval_batch_size: evaluation batch size; 0: twice ``batch_size``.
        mean: per-channel mean of the [0, 1] pixels used to normalize; None: measured
            on the training data.
        std: per-channel standard deviation, as ``mean``.
        seed: seed of the weights' random state, data order and augmentation.
        deterministic: ask PyTorch for deterministic kernels (same seed, same result).
        diverge_factor: stop when the running training loss exceeds this multiple of
            its first value (a non-finite loss always stops the run).
        log_every: steps between progress-bar updates.
        ensemble: networks to train, one after another, each from its own seed (``seed``,
            ``seed + 1``, ...) with every other option the same; they predict together, with
            the mean of their softmax probabilities (:func:`fit_ensemble`, ``vistakit train``;
            :func:`fit` itself trains one network).
    """

    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    optimizer: str = "adamw"
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 0.05
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    final_lr_fraction: float = 0.0
    label_smoothing: float = 0.0
    augment: str | list[Any] | dict[str, Any] | None = None
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    ema_decay: float = 0.0
    ema_every: int = 1
    grad_clip: float = 0.0
    accum_steps: int = 1
    early_stop_patience: int = 0
    tta: bool = False
    whiten_stem: bool = False
    channels_last: bool = True
    compile: bool = False
    amp: str = "off"
    device: str = "auto"
    num_workers: int = 0
    eval_batch_size: int = 0
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    seed: int = 0
    deterministic: bool = True
    diverge_factor: float = 10.0
    log_every: int = 10
    ensemble: int = 1

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raises ValueError naming the field and what is expected."""

        def need(cond: bool, name: str, expected: str) -> None:
            if not cond:
                raise ValueError(f"TrainConfig.{name} = {getattr(self, name)!r}: expected {expected}")

        need(isinstance(self.epochs, int) and self.epochs >= 1, "epochs", "an integer >= 1")
        need(isinstance(self.batch_size, int) and self.batch_size >= 1, "batch_size", "an integer >= 1")
        need(self.lr > 0, "lr", "a learning rate > 0")
        need(self.optimizer in OPTIMIZERS, "optimizer", f"one of {', '.join(OPTIMIZERS)}")
        need(0 <= self.momentum < 1, "momentum", "a value in [0, 1)")
        need(self.weight_decay >= 0, "weight_decay", "a value >= 0")
        need(self.schedule in SCHEDULES, "schedule", f"one of {', '.join(SCHEDULES)}")
        need(0 <= self.warmup_epochs <= self.epochs, "warmup_epochs", f"a value in [0, epochs={self.epochs}]")
        need(0 <= self.final_lr_fraction <= 1, "final_lr_fraction", "a value in [0, 1]")
        need(0 <= self.label_smoothing < 1, "label_smoothing", "a value in [0, 1)")
        need(
            self.augment is None or isinstance(self.augment, (str, os.PathLike, list, dict)),
            "augment",
            "None, a YAML file path, or the list of batch ops itself",
        )
        need(self.mixup_alpha >= 0, "mixup_alpha", "a value >= 0")
        need(self.cutmix_alpha >= 0, "cutmix_alpha", "a value >= 0")
        need(0 <= self.ema_decay < 1, "ema_decay", "a value in [0, 1) (0 disables EMA)")
        need(isinstance(self.ema_every, int) and self.ema_every >= 1, "ema_every", "an integer >= 1")
        need(self.grad_clip >= 0, "grad_clip", "a value >= 0 (0 disables clipping)")
        need(isinstance(self.accum_steps, int) and self.accum_steps >= 1, "accum_steps", "an integer >= 1")
        need(self.batch_size % self.accum_steps == 0, "batch_size", f"a multiple of accum_steps={self.accum_steps}")
        need(
            isinstance(self.early_stop_patience, int) and self.early_stop_patience >= 0,
            "early_stop_patience",
            "an integer >= 0 (0 disables early stopping)",
        )
        need(isinstance(self.ensemble, int) and self.ensemble >= 1, "ensemble", "an integer >= 1 (networks trained)")
        need(self.amp in AMP_MODES, "amp", f"one of {', '.join(AMP_MODES)}")
        need(isinstance(self.num_workers, int) and self.num_workers >= 0, "num_workers", "an integer >= 0")
        need(isinstance(self.eval_batch_size, int) and self.eval_batch_size >= 0, "eval_batch_size", "an integer >= 0")
        need((self.mean is None) == (self.std is None), "mean", "given together with std (or both None)")
        if self.std is not None:
            self.mean, self.std = tuple(float(v) for v in self.mean), tuple(float(v) for v in self.std)
            need(len(self.mean) == len(self.std), "std", f"{len(self.mean)} values, as many as mean")
            need(all(s > 0 for s in self.std), "std", "values > 0")
        need(isinstance(self.seed, int), "seed", "an integer")
        need(self.diverge_factor > 1, "diverge_factor", "a value > 1")
        need(isinstance(self.log_every, int) and self.log_every >= 1, "log_every", "an integer >= 1")

    # ------------------------------------------------------------------ YAML

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (tuples as lists) of every field."""
        out = dataclasses.asdict(self)
        for k in ("mean", "std"):
            if out[k] is not None:
                out[k] = list(out[k])
        if isinstance(out["augment"], os.PathLike):
            out["augment"] = os.fspath(out["augment"])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> TrainConfig:
        """Build from a mapping; unknown keys are an error that suggests the closest field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{source}: expected a mapping of TrainConfig fields, got {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        for key in data:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"{source}: unknown training option {key!r}{hint}")
        kwargs = dict(data)
        for k in ("mean", "std"):
            if kwargs.get(k) is not None:
                kwargs[k] = tuple(kwargs[k])
        try:
            return cls(**kwargs)
        except ValueError as e:
            raise ValueError(f"{source}: {e}") from None

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated; unknown names suggest close ones)."""
        return type(self).from_dict({**self.to_dict(), **changes}, source="TrainConfig.replace")

    def to_yaml(self, path: str | os.PathLike | None = None) -> str:
        """The config as YAML text; also written (atomically) to ``path`` when given."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        if path is not None:
            atomic_write(path, text)
        return text

    @classmethod
    def from_yaml(cls, path_or_text: str | os.PathLike) -> TrainConfig:
        """Read a config written by :meth:`to_yaml` (a file path or the YAML text itself)."""
        source, text = _read_yaml_source(path_or_text)
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise ValueError(f"{source}: not valid YAML: {e}") from None
        return cls.from_dict(data, source=source)


def _read_yaml_source(path_or_text: str | os.PathLike) -> tuple[str, str]:
    p = Path(path_or_text)
    if isinstance(path_or_text, os.PathLike) or ("\n" not in str(path_or_text) and p.suffix in (".yaml", ".yml")):
        if not p.is_file():
            raise FileNotFoundError(f"config file not found: {p}")
        return str(p), p.read_text()
    return "config text", str(path_or_text)
