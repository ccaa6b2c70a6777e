"""Keypoints (Keypoint R-CNN's convention): detection plus K keypoints per instance.

Training targets add ``keypoints`` (N, K, 3): x, y in pixels and visibility (0: not
labelled). In eval mode the model returns ``keypoints`` (P, K, 3) besides ``boxes`` /
``scores`` / ``labels``. Metrics: the detection scores of the boxes (``precision``,
``recall``, ``f1``, ``ap50``) and ``pck`` (the primary one), the percentage of correct
keypoints: of every visible keypoint of a ground-truth instance matched at IoU 0.5, the
fraction predicted within ``pck_alpha`` times the longer side of its box.
"""

from __future__ import annotations

import torch

from ...metrics import DetectionMatches
from .._distributed import DistInfo, all_reduce_sum
from ._base import register_task
from .detection import DetectionMeter, DetectionTask


class KeypointMeter(DetectionMeter):
    """Detection matches plus the count of correct and of visible keypoints of matched instances."""

    def __init__(self, *, iou_threshold: float, score_threshold: float, alpha: float) -> None:
        super().__init__(iou_threshold=iou_threshold, score_threshold=score_threshold)
        self.alpha = alpha
        self.correct = self.visible = 0.0

    def extra(self, pred: dict[str, torch.Tensor], gt: dict[str, torch.Tensor], matches: DetectionMatches) -> None:
        for i, j in zip(matches.pred_index[matches.matched], matches.gt_index[matches.matched]):
            p = pred["keypoints"][int(i)].detach().cpu().float()
            g = gt["keypoints"][int(j)].cpu().float()
            box = gt["boxes"][int(j)].cpu().float()
            scale = torch.maximum(box[2] - box[0], box[3] - box[1]).clamp_min(1.0)
            vis = g[:, 2] > 0
            dist = (p[:, :2] - g[:, :2]).norm(dim=1)
            self.correct += float(((dist <= self.alpha * scale) & vis).sum())
            self.visible += float(vis.sum())

    def reduce(self, device: torch.device, info: DistInfo) -> None:
        super().reduce(device, info)
        self.correct, self.visible = all_reduce_sum([self.correct, self.visible], device, info)

    def compute(self) -> dict[str, float]:
        return {**super().compute(), "pck": self.correct / self.visible if self.visible else float("nan")}


@register_task
class KeypointTask(DetectionTask):
    """Detection with K keypoints per instance (see the module notes).

    Args:
        pck_alpha: a keypoint is correct within this fraction of its box's longer side.
    """

    name = "keypoints"
    metric_names = ("precision", "recall", "f1", "ap50", "pck")
    primary = "pck"
    needs_keypoints = True

    def __init__(self, *, iou_threshold: float = 0.5, score_threshold: float = 0.5, pck_alpha: float = 0.1) -> None:
        super().__init__(iou_threshold=iou_threshold, score_threshold=score_threshold)
        self.pck_alpha = pck_alpha

    def meter(self, *, collect: bool = False) -> KeypointMeter:
        return KeypointMeter(
            iou_threshold=self.iou_threshold, score_threshold=self.score_threshold, alpha=self.pck_alpha
        )
