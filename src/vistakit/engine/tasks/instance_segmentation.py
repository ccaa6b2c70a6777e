"""Instance segmentation (Mask R-CNN's convention): detection plus a mask per instance.

Training targets add ``masks`` (N, H, W) uint8; in eval mode the model returns, besides
``boxes`` / ``scores`` / ``labels``, ``masks`` (P, 1, H, W) probabilities, cut at 0.5.
Predictions are matched to ground truth by mask IoU at 0.5: ``mask_precision``,
``mask_recall``, ``mask_f1``, ``mask_ap50`` (the primary metric), and ``box_ap50`` from
the boxes alone.
"""

from __future__ import annotations

from ._base import register_task
from .detection import DetectionMeter, DetectionTask


@register_task
class InstanceSegmentationTask(DetectionTask):
    """Detection with a mask per instance (see the module notes)."""

    name = "instance_segmentation"
    metric_names = ("mask_precision", "mask_recall", "mask_f1", "mask_ap50", "box_ap50")
    primary = "mask_ap50"
    needs_masks = True

    def meter(self, *, collect: bool = False) -> DetectionMeter:
        return DetectionMeter(iou_threshold=self.iou_threshold, score_threshold=self.score_threshold, masks=True)
