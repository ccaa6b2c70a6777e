"""Object detection with torchvision's calling convention.

In training mode the model takes ``(images, targets)`` and returns its loss dict (summed
here); in eval mode it takes ``images`` and returns one dict per image with ``boxes``
(xyxy, input pixels), ``scores`` and ``labels`` — box decoding and NMS happen inside the
model, as in torchvision's detectors. Images reach the model as [0, 1] pixels: detectors
normalize inside.

Validation matches predictions to ground truth greedily at IoU 0.5 per class
(:func:`vistakit.metrics.match_detections`) and reports ``precision`` and ``recall`` of the
predictions scoring at least ``score_threshold``, their ``f1``, and ``ap50`` (VOC all-point
average precision over every prediction, the primary metric).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ...metrics import DetectionMatches, average_precision_at, mask_iou, match_detections
from .._distributed import DistInfo, gather_objects
from ._base import Meter, Task, instance_target, register_task, sample_fields, stack_or_list, to_chw


class DetectionMeter(Meter):
    """The matches of every validation image (gathered from every process before computing).

    Args:
        iou_threshold: least IoU of a true positive.
        score_threshold: least score of a prediction counted by precision / recall / F1.
        masks: match by mask IoU (instance segmentation) and report box AP besides.
    """

    def __init__(self, *, iou_threshold: float, score_threshold: float, masks: bool = False) -> None:
        self.iou_threshold, self.score_threshold, self.masks = iou_threshold, score_threshold, masks
        self.matches: list[DetectionMatches] = []
        self.box_matches: list[DetectionMatches] = []
        self.count = 0

    def update(self, outputs: list[dict[str, torch.Tensor]], targets: list[dict[str, torch.Tensor]]) -> None:
        for pred, gt in zip(outputs, targets):
            args = (pred["boxes"], pred["scores"], pred["labels"], gt["boxes"], gt["labels"])
            if self.masks:
                self.box_matches.append(match_detections(*args, iou_threshold=self.iou_threshold))
                self.matches.append(match_detections(*args, iou_threshold=self.iou_threshold, iou=mask_ious(pred, gt)))
            else:
                self.matches.append(match_detections(*args, iou_threshold=self.iou_threshold))
            self.extra(pred, gt, self.matches[-1])
        self.count += len(targets)

    def extra(self, pred: dict[str, torch.Tensor], gt: dict[str, torch.Tensor], matches: DetectionMatches) -> None:
        """Hook for what a derived task measures on the matched pairs (keypoints)."""

    def reduce(self, device: torch.device, info: DistInfo) -> None:
        if info.enabled:
            parts = gather_objects((self.matches, self.box_matches, self.count), info)
            self.matches = [m for p in parts for m in p[0]]
            self.box_matches = [m for p in parts for m in p[1]]
            self.count = sum(p[2] for p in parts)

    def compute(self) -> dict[str, float]:
        all_matches = DetectionMatches.concatenate(self.matches)
        precision, recall = all_matches.precision_recall(score_threshold=self.score_threshold)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
        out = {"precision": precision, "recall": recall, "f1": f1, "ap50": average_precision_at(all_matches)}
        if self.masks:
            out = {f"mask_{k}": v for k, v in out.items()}
            out["box_ap50"] = average_precision_at(DetectionMatches.concatenate(self.box_matches))
        return out


def mask_ious(pred: dict[str, torch.Tensor], gt: dict[str, torch.Tensor]) -> np.ndarray:
    """(P, G) IoU of predicted masks (``(P, 1, H, W)`` probabilities, cut at 0.5) and true masks."""
    p = pred["masks"]
    p = (p[:, 0] if p.ndim == 4 else p) > 0.5
    return mask_iou(p.reshape(len(p), *gt["masks"].shape[-2:]), gt["masks"].bool())


@register_task
class DetectionTask(Task):
    """Boxes with classes (see the module notes).

    Data: ``Sample``s with ``boxes`` (any :class:`~vistakit.structures.BoxFormat`,
    converted to xyxy pixels) and ``labels``. Images of different sizes are batched as a
    list, as torchvision's detectors take them.

    Args:
        iou_threshold: least IoU of a true positive.
        score_threshold: least score of a prediction counted by precision, recall and F1.
    """

    name = "detection"
    metric_names = ("precision", "recall", "f1", "ap50")
    primary = "ap50"
    normalize = False
    needs_masks = False
    needs_keypoints = False

    def __init__(self, *, iou_threshold: float = 0.5, score_threshold: float = 0.5) -> None:
        self.iou_threshold, self.score_threshold = iou_threshold, score_threshold

    def collate(self, items: list[Any]) -> tuple[Any, list[dict[str, torch.Tensor]]]:
        images, targets = [], []
        for i, item in enumerate(items):
            s = sample_fields(item, f"the {self.name} task")
            images.append(to_chw(s.image))
            targets.append(
                instance_target(s, index=s.meta.get("index", i), masks=self.needs_masks, keypoints=self.needs_keypoints)
            )
        return stack_or_list(images), targets

    def loss(
        self, model: nn.Module, images: Any, targets: list[dict[str, torch.Tensor]], cfg: Any
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        losses = model(images, targets)
        if not isinstance(losses, dict) or not losses:
            raise TypeError(
                f"a {self.name} model in training mode returns its dict of losses for (images, targets) "
                f"(torchvision's convention); got {type(losses).__name__}"
            )
        return sum(v.float() for v in losses.values()), losses

    def predict(self, model: nn.Module, images: Any, *, tta: bool = False) -> list[dict[str, torch.Tensor]]:
        if tta:
            raise ValueError(f"test-time augmentation (tta) is not defined for the {self.name} task")
        return model(images)

    def meter(self, *, collect: bool = False) -> DetectionMeter:
        return DetectionMeter(iou_threshold=self.iou_threshold, score_threshold=self.score_threshold)
