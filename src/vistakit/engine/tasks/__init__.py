"""Tasks: what differs between classification, detection, segmentation and keypoints.

:func:`vistakit.engine.fit` and :func:`vistakit.engine.evaluate` take ``task=`` (a
registered name or a :class:`Task`); a new task is one file here with a
``@register_task`` class (see :mod:`._base` for the contract).

========================  =========================================  ===============
name                      model convention                           primary metric
========================  =========================================  ===============
classification            images -> (N, K) logits                    accuracy
detection                 torchvision detector (loss dict / dicts)   ap50
instance_segmentation     Mask R-CNN convention (+ ``masks``)        mask_ap50
keypoints                 Keypoint R-CNN convention (+ ``keypoints``) pck
semantic_segmentation     images -> (N, K, H, W) logits / ``out``    miou
========================  =========================================  ===============
"""

from ._base import Meter, Task, get_task, list_tasks, register_task
from .classification import ClassificationTask
from .detection import DetectionTask
from .instance_segmentation import InstanceSegmentationTask
from .keypoints import KeypointTask
from .segmentation import SemanticSegmentationTask

__all__ = [
    "ClassificationTask",
    "DetectionTask",
    "InstanceSegmentationTask",
    "KeypointTask",
    "Meter",
    "SemanticSegmentationTask",
    "Task",
    "get_task",
    "list_tasks",
    "register_task",
]
