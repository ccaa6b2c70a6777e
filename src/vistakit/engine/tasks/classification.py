"""Image classification: (N, C, H, W) images -> (N, K) logits, cross-entropy, accuracy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._augment import build_augment
from .._data import collate, dataset_tensors
from .._distributed import DistInfo, all_reduce_sum
from ._base import Meter, Task, register_task


def _hard(y: torch.Tensor) -> torch.Tensor:
    """Class indices from indices or (N, K) soft targets (after MixUp / CutMix)."""
    return y.argmax(1) if y.ndim == 2 else y


class ClassificationMeter(Meter):
    """Summed cross-entropy (no label smoothing) and correct top-1 predictions.

    ``outputs`` are ``{"logits": (N, K)}`` or, with test-time augmentation, the averaged
    ``{"probs": (N, K)}``.
    """

    def __init__(self, *, collect: bool = False) -> None:
        self.loss_sum = self.correct = self.count = 0.0
        self.collect = collect
        self.probs: list[torch.Tensor] = []
        self.targets: list[torch.Tensor] = []

    def update(self, outputs: dict[str, torch.Tensor], targets: torch.Tensor) -> None:
        if "probs" in outputs:
            probs = outputs["probs"]
            self.loss_sum += F.nll_loss(probs.clamp_min(1e-12).log(), targets, reduction="sum").item()
        else:
            logits = outputs["logits"]
            probs = logits.softmax(1)
            self.loss_sum += F.cross_entropy(logits, targets, reduction="sum").item()
        self.correct += (probs.argmax(1) == targets).sum().item()
        self.count += len(targets)
        if self.collect:
            self.probs.append(probs.cpu())
            self.targets.append(targets.cpu())

    def reduce(self, device: torch.device, info: DistInfo) -> None:
        self.loss_sum, self.correct, self.count = all_reduce_sum(
            [self.loss_sum, self.correct, self.count], device, info
        )

    def compute(self) -> dict[str, float]:
        n = max(self.count, 1)
        return {"loss": self.loss_sum / n, "accuracy": self.correct / n}

    def collected(self) -> dict[str, Any]:
        if not self.collect or not self.probs:
            return {}
        return {"probs": torch.cat(self.probs), "targets": torch.cat(self.targets)}


@register_task
class ClassificationTask(Task):
    """One class per image (or soft targets after MixUp / CutMix).

    Model: (N, C, H, W) normalized images -> (N, K) logits. Loss: cross-entropy with
    ``TrainConfig.label_smoothing``. Predictions: the argmax class; with ``tta`` the
    softmax of the image and of its mirror image are averaged. Metrics: ``loss``
    (cross-entropy without smoothing) and ``accuracy`` (the primary one).
    """

    name = "classification"
    metric_names = ("loss", "accuracy")
    primary = "accuracy"
    train_stat_names = ("accuracy",)

    def tensors(self, dataset: Any) -> tuple[torch.Tensor, torch.Tensor] | None:
        return dataset_tensors(dataset)

    def collate(self, items: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        return collate(items)

    def build_augment(self, cfg: Any, *, num_classes: int | None, seed: int) -> Callable | None:
        return build_augment(
            cfg.augment,
            num_classes=num_classes or 0,
            mixup_alpha=cfg.mixup_alpha,
            cutmix_alpha=cfg.cutmix_alpha,
            seed=seed,
        )

    def loss(
        self, model: nn.Module, images: torch.Tensor, targets: torch.Tensor, cfg: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        logits = model(images)
        return F.cross_entropy(logits.float(), targets, label_smoothing=cfg.label_smoothing), logits

    def train_stats(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"accuracy": (outputs.detach().argmax(1) == _hard(targets)).sum()}

    def predict(self, model: nn.Module, images: torch.Tensor, *, tta: bool = False) -> dict[str, torch.Tensor]:
        logits = model(images).float()
        if tta:  # test-time augmentation: the mirrored image votes too
            return {"probs": (logits.softmax(1) + model(images.flip(3)).float().softmax(1)) / 2}
        return {"logits": logits}

    def decode(self, outputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(N,) predicted classes."""
        return next(iter(outputs.values())).argmax(1)

    def meter(self, *, collect: bool = False) -> ClassificationMeter:
        return ClassificationMeter(collect=collect)
