"""Semantic segmentation: (N, C, H, W) images -> (N, K, H, W) logits, per-pixel cross-entropy, mIoU."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...metrics import mean_iou, per_class_iou, pixel_accuracy
from .._distributed import DistInfo, all_reduce_sum
from ._base import Meter, Task, register_task, sample_fields, stack_or_list, to_chw


def _logits(out: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(out, aux)`` from a plain logits tensor or torchvision's ``{"out": ..., "aux": ...}``."""
    if isinstance(out, dict):
        return out["out"], out.get("aux")
    return out, None


class SegmentationMeter(Meter):
    """The (K, K) pixel confusion matrix and the summed per-pixel cross-entropy."""

    def __init__(self, *, ignore_index: int) -> None:
        self.ignore_index = ignore_index
        self.cm: torch.Tensor | None = None
        self.loss_sum = 0.0
        self.pixels = 0.0
        self.count = 0

    def update(self, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        k = outputs.shape[1]
        if self.cm is None:
            self.cm = torch.zeros(k * k, dtype=torch.float64, device=outputs.device)
        self.loss_sum += F.cross_entropy(
            outputs.float(), targets, ignore_index=self.ignore_index, reduction="sum"
        ).item()
        keep = targets != self.ignore_index
        t, p = targets[keep], outputs.argmax(1)[keep]
        if len(t) and (t.min() < 0 or t.max() >= k):
            raise ValueError(
                f"the mask holds class {int(t.max() if t.max() >= k else t.min())} but the model "
                f"predicts {k} classes (and {self.ignore_index} is the ignore label)"
            )
        self.cm += torch.bincount(t * k + p, minlength=k * k).double()
        self.pixels += float(keep.sum())
        self.count += len(targets)

    def reduce(self, device: torch.device, info: DistInfo) -> None:
        if info.enabled and self.cm is not None:
            values = all_reduce_sum([*self.cm.tolist(), self.loss_sum, self.pixels, float(self.count)], device, info)
            self.cm = torch.tensor(values[:-3], dtype=torch.float64)
            self.loss_sum, self.pixels, self.count = values[-3], values[-2], int(values[-1])

    def compute(self) -> dict[str, float]:
        if self.cm is None:
            return {"loss": float("nan"), "pixel_accuracy": float("nan"), "miou": float("nan")}
        k = int(round(len(self.cm) ** 0.5))
        cm = self.cm.cpu().numpy().reshape(k, k)
        return {"loss": self.loss_sum / max(self.pixels, 1), "pixel_accuracy": pixel_accuracy(cm), "miou": mean_iou(cm)}

    def confusion(self) -> np.ndarray:
        k = int(round(len(self.cm) ** 0.5))
        return self.cm.cpu().numpy().reshape(k, k)

    def per_class_iou(self) -> np.ndarray:
        return per_class_iou(self.confusion())


@register_task
class SemanticSegmentationTask(Task):
    """A class for every pixel.

    Data: ``Sample``s with a ``mask`` (H, W) of class indices (``ignore_index`` marks
    pixels to skip). Model: (N, C, H, W) normalized images -> (N, K, H, W) logits, or
    torchvision's ``{"out": ..., "aux": ...}`` (the auxiliary loss weighs ``aux_weight``,
    0.5 as in torchvision's references). Predictions: the per-pixel argmax. Metrics: mean
    per-pixel ``loss``, ``pixel_accuracy`` and ``miou`` (the primary one).

    Args:
        ignore_index: mask value of pixels that count in neither loss nor metrics.
        aux_weight: weight of the auxiliary head's loss.
    """

    name = "semantic_segmentation"
    metric_names = ("loss", "pixel_accuracy", "miou")
    primary = "miou"
    train_stat_names = ("pixel_accuracy",)

    def __init__(self, *, ignore_index: int = 255, aux_weight: float = 0.5) -> None:
        self.ignore_index = ignore_index
        self.aux_weight = aux_weight

    def collate(self, items: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        images, masks = [], []
        for i, item in enumerate(items):
            s = sample_fields(item, "the semantic_segmentation task")
            if s.mask is None:
                raise ValueError(
                    f"sample {s.meta.get('index', i)}: the semantic_segmentation task needs "
                    "Sample.mask (H, W class indices), the sample has none"
                )
            image = to_chw(s.image)
            mask = torch.as_tensor(np.asarray(s.mask)).long()
            if mask.shape != image.shape[-2:]:
                raise ValueError(
                    f"sample {s.meta.get('index', i)}: mask {tuple(mask.shape)} and image "
                    f"{tuple(image.shape[-2:])} differ in size"
                )
            images.append(image)
            masks.append(mask)
        batch = stack_or_list(images)
        if isinstance(batch, list):
            raise ValueError(
                "semantic segmentation batches need images of one size; resize or crop them "
                "with the dataset's transforms"
            )
        return batch, torch.stack(masks)

    def loss(
        self, model: nn.Module, images: torch.Tensor, targets: torch.Tensor, cfg: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out, aux = _logits(model(images))
        loss = F.cross_entropy(
            out.float(), targets, ignore_index=self.ignore_index, label_smoothing=cfg.label_smoothing
        )
        if aux is not None and self.aux_weight:
            loss = loss + self.aux_weight * F.cross_entropy(
                aux.float(), targets, ignore_index=self.ignore_index, label_smoothing=cfg.label_smoothing
            )
        return loss, out

    def train_stats(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
        keep = targets != self.ignore_index
        correct = ((outputs.detach().argmax(1) == targets) & keep).sum(dim=(1, 2)).float()
        # per image: the fraction of its labelled pixels that are right (summed over the batch)
        return {"pixel_accuracy": (correct / keep.sum(dim=(1, 2)).clamp_min(1)).sum()}

    def predict(self, model: nn.Module, images: torch.Tensor, *, tta: bool = False) -> torch.Tensor:
        out, _ = _logits(model(images))
        out = out.float()
        if tta:  # the mirrored image's logits, mirrored back, vote too
            flipped, _ = _logits(model(images.flip(3)))
            out = (out.softmax(1) + flipped.float().flip(3).softmax(1)).div(2).clamp_min(1e-12).log()
        return out

    def decode(self, outputs: torch.Tensor) -> torch.Tensor:
        """(N, H, W) class of every pixel."""
        return outputs.argmax(1)

    def meter(self, *, collect: bool = False) -> SegmentationMeter:
        return SegmentationMeter(ignore_index=self.ignore_index)
