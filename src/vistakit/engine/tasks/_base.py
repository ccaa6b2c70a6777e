"""The task contract and its registry.

A task owns everything that differs between image tasks, so that :func:`fit` and
:func:`evaluate` read the same for all of them:

* batching: :meth:`Task.collate` turns dataset items into ``(images, targets)``, and
  :meth:`Task.tensors` offers whole in-memory tensors (no per-sample Python) where the
  data allow it;
* the loss: :meth:`Task.loss` runs the model on a batch and returns the loss to
  minimise (a classifier's cross-entropy, or the sum of the loss dict a detector returns
  in training mode, as torchvision's do) plus per-batch sums for the progress line
  (:meth:`Task.train_stats`);
* predictions: :meth:`Task.predict` is the model's raw output in eval mode, and
  :meth:`Task.decode` turns it into what a user wants (class indices, per-pixel classes,
  boxes / masks / keypoints with scores);
* metrics: :meth:`Task.meter` accumulates the validation metrics over batches and
  processes; :attr:`Task.primary` names the one that chooses the best epoch;
* images: :attr:`Task.normalize` says whether the engine normalizes the images with the
  training set's statistics (classifiers, segmenters) or hands the model ``[0, 1]`` pixels
  (torchvision's detectors normalize inside).

A new task is one file: a subclass with ``@register_task`` above it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from .._distributed import DistInfo

_TASKS: dict[str, type[Task]] = {}


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: make a :class:`Task` subclass available under its ``name``."""
    if not getattr(cls, "name", None):
        raise ValueError(f"{cls.__name__} needs a class attribute `name` to be registered")
    if cls.name in _TASKS and _TASKS[cls.name] is not cls:
        raise ValueError(f"a task named {cls.name!r} is registered already ({_TASKS[cls.name].__name__})")
    _TASKS[cls.name] = cls
    return cls


def list_tasks() -> list[str]:
    """Names of the registered tasks."""
    return sorted(_TASKS)


def get_task(task: str | Task | None = None, **options: Any) -> Task:
    """The task object for ``task``: a registered name (options go to its constructor) or a Task itself.

    ``None`` is classification, the default of :func:`fit` and :func:`evaluate`.
    """
    if task is None:
        task = "classification"
    if isinstance(task, Task):
        if options:
            raise ValueError("options are for a task given by name; this one is built already")
        return task
    try:
        cls = _TASKS[task]
    except (KeyError, TypeError):
        raise ValueError(f"unknown task {task!r}; registered tasks: {', '.join(list_tasks())}") from None
    return cls(**options)


class Meter:
    """Validation metrics accumulated batch by batch (see each task's meter).

    ``update`` takes the task's raw predictions and the batch's targets; ``reduce`` sums the
    state over processes (a collective: every process calls it); ``compute`` gives the
    metrics as plain floats.
    """

    count: int = 0

    def update(self, outputs: Any, targets: Any) -> None:
        raise NotImplementedError

    def reduce(self, device: torch.device, info: DistInfo) -> None:
        raise NotImplementedError

    def compute(self) -> dict[str, float]:
        raise NotImplementedError

    def collected(self) -> dict[str, Any]:
        """What ``evaluate(collect=True)`` returns besides the metrics (e.g. probabilities and targets)."""
        return {}


class Task:
    """What differs between tasks; see the module notes.

    Attributes:
        name: registry name.
        metric_names: the validation metrics, in the order they are logged.
        primary: the metric (higher is better) that picks the best epoch and early stopping.
        normalize: normalize images with the run's mean / std (else the model gets [0, 1] pixels).
    """

    name: ClassVar[str] = ""
    metric_names: ClassVar[tuple[str, ...]] = ()
    primary: ClassVar[str] = ""
    normalize: ClassVar[bool] = True
    #: names of the per-batch sums of :meth:`train_stats`, logged as ``train_<name>``.
    train_stat_names: ClassVar[tuple[str, ...]] = ()

    # --- data
    def tensors(self, dataset: Any) -> tuple[torch.Tensor, Any] | None:
        """``(images (N, C, H, W), targets)`` to slice whole batches from, or None (go through ``collate``)."""
        return None

    def collate(self, items: list[Any]) -> tuple[Any, Any]:
        """Dataset items (``Sample`` objects or tuples) -> ``(images, targets)`` of one batch."""
        raise NotImplementedError

    def build_augment(self, cfg: Any, *, num_classes: int | None, seed: int) -> Callable | None:
        """The whole-batch augmentation of ``TrainConfig.augment`` (None: none)."""
        if cfg.augment or cfg.mixup_alpha or cfg.cutmix_alpha:
            raise ValueError(
                f"TrainConfig.augment / mixup_alpha / cutmix_alpha are batch operations on "
                f"classification targets; the {self.name} task moves its targets with the image: "
                "give per-sample transforms to vistakit.data.SampleDataset(..., transforms=...)"
            )
        return None

    # --- training
    def loss(self, model: nn.Module, images: Any, targets: Any, cfg: Any) -> tuple[torch.Tensor, Any]:
        """``(scalar loss, outputs)`` of one (micro-)batch in training mode."""
        raise NotImplementedError

    def train_stats(self, outputs: Any, targets: Any) -> dict[str, torch.Tensor]:
        """Per-batch sums (tensors) of the training statistics named in :attr:`train_stat_names`."""
        return {}

    # --- evaluation
    def predict(self, model: nn.Module, images: Any, *, tta: bool = False) -> Any:
        """The model's raw output on a batch in eval mode (what the meter consumes)."""
        return model(images)

    def decode(self, outputs: Any) -> Any:
        """Raw outputs -> predictions a user reads (class indices, masks, boxes with scores...)."""
        return outputs

    def meter(self, *, collect: bool = False) -> Meter:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ----------------------------------------------------------------------------- shared pieces of the dense tasks


def to_chw(image: Any) -> torch.Tensor:
    """A (C, H, W) tensor from a (C, H, W) / (H, W) tensor, a (H, W[, C]) array or a PIL image."""
    if isinstance(image, torch.Tensor):
        return image if image.ndim == 3 else image[None]
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def stack_or_list(images: Sequence[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
    """One (N, C, H, W) batch when the images share a size, else the list (as detectors take it)."""
    if all(im.shape == images[0].shape for im in images):
        return torch.stack(list(images))
    return list(images)


def sample_fields(item: Any, where: str) -> Any:
    """The Sample of a dataset item, with a clear error for anything else."""
    if hasattr(item, "image") and hasattr(item, "boxes"):
        return item
    raise TypeError(
        f"{where} needs vistakit.structures.Sample items (image plus targets), got {type(item).__name__};"
        " wrap the dataset: vistakit.data.SampleDataset(dataset)"
    )


def instance_target(
    sample: Any, *, index: int, masks: bool = False, keypoints: bool = False
) -> dict[str, torch.Tensor]:
    """torchvision's target dict of one image: ``boxes`` (N, 4) float32 xyxy pixels, ``labels`` (N,) int64,
    plus ``masks`` (N, H, W) uint8 and / or ``keypoints`` (N, K, 3) float32 (x, y, visibility)."""
    h, w = sample.size
    if sample.boxes is None:
        boxes = torch.zeros(0, 4)
    else:
        boxes = torch.as_tensor(np.asarray(sample.boxes.xyxy(width=w, height=h), dtype=np.float32)).reshape(-1, 4)
    n = len(boxes)
    labels = (
        torch.zeros(n, dtype=torch.int64)
        if sample.labels is None
        else torch.as_tensor(np.asarray(sample.labels), dtype=torch.int64).reshape(-1)
    )
    if len(labels) != n:
        raise ValueError(f"sample {index}: {n} boxes but {len(labels)} labels")
    target = {"boxes": boxes, "labels": labels}
    if masks:
        if sample.masks is None:
            raise ValueError(f"sample {index}: the task needs instance masks (Sample.masks), the sample has none")
        m = torch.as_tensor(np.asarray(sample.masks)).to(torch.uint8)
        if m.shape != (n, h, w):
            raise ValueError(f"sample {index}: masks have shape {tuple(m.shape)}, expected ({n}, {h}, {w})")
        target["masks"] = m
    if keypoints:
        if sample.keypoints is None:
            raise ValueError(f"sample {index}: the task needs keypoints (Sample.keypoints), the sample has none")
        xy = torch.as_tensor(np.asarray(sample.keypoints.data), dtype=torch.float32)
        vis = torch.as_tensor(np.asarray(sample.keypoints.visible), dtype=torch.float32)
        if xy.shape[0] != n:
            raise ValueError(f"sample {index}: {xy.shape[0]} keypoint instances but {n} boxes")
        target["keypoints"] = torch.cat([xy, vis[..., None]], dim=-1)
    return target
