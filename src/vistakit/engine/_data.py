"""Batches for training and evaluation.

Two paths, one batch order:

* in-memory datasets (``.data`` an (N, C, H, W) tensor and ``.targets``, a
  ``TensorDataset``, or a ``Subset`` of either) are sliced as whole tensors:
  no per-sample Python work, no worker processes (Fashion-MNIST is one 47 MB
  tensor, and a batch is one indexing operation);
* any other ``Dataset`` goes through a ``DataLoader`` that is handed the very
  same index batches.

The order is ``torch.randperm(n)`` from a generator seeded with ``seed + epoch``,
as ``DistributedSampler`` does; under several processes each global batch is
split ``batch[rank::world_size]``, so N processes see together exactly what one
process sees. Conversion to float, augmentation, normalization and
channels_last then happen on the whole batch (:class:`BatchPrep`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from ._distributed import DistInfo


def dataset_tensors(dataset: Any) -> tuple[torch.Tensor, torch.Tensor] | None:
    """``(images (N, C, H, W), targets (N,))`` of an in-memory dataset, else None.

    A dataset with a per-sample ``transform`` set is not in-memory for this purpose:
    its items are not its ``.data``.
    """
    if isinstance(dataset, Subset):
        base = dataset_tensors(dataset.dataset)
        if base is None:
            return None
        idx = torch.as_tensor(list(dataset.indices), dtype=torch.long)
        return base[0][idx], base[1][idx]
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        images, targets = dataset.tensors
    else:
        if getattr(dataset, "transform", None) is not None:
            return None
        images, targets = getattr(dataset, "data", None), getattr(dataset, "targets", None)
    if not isinstance(images, torch.Tensor) or targets is None:
        return None
    if images.ndim == 3:  # (N, H, W) grayscale
        images = images[:, None]
    targets = torch.as_tensor(targets)
    if images.ndim != 4 or targets.ndim != 1 or len(targets) != len(images):
        return None
    return images, targets.long()


def batch_indices(
    n: int, *, batch_size: int, seed: int, epoch: int, shuffle: bool, drop_last: bool, info: DistInfo = DistInfo()
) -> list[torch.Tensor]:
    """Index batches of one epoch for this process (see the module notes for the order)."""
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
    else:
        order = torch.arange(n)
    count = n // batch_size if drop_last else math.ceil(n / batch_size)
    return [order[b * batch_size : (b + 1) * batch_size][info.rank :: info.world_size] for b in range(count)]


def _to_chw(image: Any) -> torch.Tensor:
    if isinstance(image, torch.Tensor):
        return image if image.ndim == 3 else image[None]
    arr = np.asarray(image)  # PIL image or (H, W[, C]) numpy array
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def collate(items: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """(image, label) pairs or :class:`vistakit.structures.Sample` objects -> (N, C, H, W), (N,)."""
    images, labels = [], []
    for item in items:
        if hasattr(item, "image") and hasattr(item, "label"):
            image, label = item.image, item.label
        else:
            image, label = item[0], item[1]
        images.append(_to_chw(image))
        labels.append(torch.as_tensor(label))
    return torch.stack(images), torch.stack(labels)


_AUTO = object()


class Loader:
    """Iterable of raw ``(images, targets)`` batches of one process, epoch after epoch.

    Args:
        dataset: any ``Dataset``; in-memory ones are sliced directly.
        batch_size: images per batch over all processes (each gets ``1/world_size``).
        shuffle: reshuffle every epoch (``set_epoch``).
        drop_last: drop the last incomplete batch.
        seed: seed of the order.
        info: this process's rank and the world size.
        num_workers: ``DataLoader`` workers (not-in-memory datasets only).
        collate_fn: items -> ``(images, targets)`` batch (a task's ``collate``; default: classification's).
        tensors: the dataset's whole ``(images, targets)`` tensors to slice, or None to go through
            ``collate_fn`` (default: :func:`dataset_tensors`).
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        batch_size: int,
        shuffle: bool,
        drop_last: bool,
        seed: int = 0,
        info: DistInfo = DistInfo(),
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        tensors: Any = _AUTO,
    ) -> None:
        self.dataset = dataset
        self.collate_fn = collate_fn or collate
        self.tensors = dataset_tensors(dataset) if tensors is _AUTO else tensors
        self.n = len(self.tensors[1]) if self.tensors is not None else len(dataset)  # type: ignore[arg-type]
        if self.n == 0:
            raise ValueError("the dataset is empty")
        if drop_last and self.n < batch_size:
            raise ValueError(
                f"the training set has {self.n} images, fewer than one batch of {batch_size}; lower the batch size"
            )
        if batch_size % info.world_size:
            raise ValueError(f"batch size {batch_size} is not divisible by the {info.world_size} processes")
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.seed, self.info, self.num_workers = seed, info, num_workers
        self.epoch = 0

    @property
    def in_memory(self) -> bool:
        return self.tensors is not None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_last else math.ceil(self.n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        batches = batch_indices(
            self.n,
            batch_size=self.batch_size,
            seed=self.seed,
            epoch=self.epoch,
            shuffle=self.shuffle,
            drop_last=self.drop_last,
            info=self.info,
        )
        if self.tensors is not None:
            images, targets = self.tensors
            for idx in batches:
                yield images[idx], targets[idx]
            return
        batches = [b.tolist() for b in batches if len(b)]
        loader = DataLoader(
            self.dataset,
            batch_sampler=batches,
            num_workers=self.num_workers,
            collate_fn=self.collate_fn,
            persistent_workers=False,
        )
        yield from loader


def to_device(obj: Any, device: torch.device) -> Any:
    """Tensors inside ``obj`` (a tensor, or dicts / lists / tuples of them) moved to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device) for v in obj)
    return obj


class BatchPrep:
    """Raw batch -> model input: to the device, float in [0, 1], augment, normalize, channels_last.

    Args:
        mean: per-channel mean of [0, 1] pixels; None: no normalization (the model gets [0, 1]
            pixels, as torchvision's detectors expect).
        std: per-channel standard deviation (None with ``mean``).
        device: where the model is.
        channels_last: NHWC memory format (faster convolutions on CPU and tensor cores).

    Images come as one (N, C, H, W) tensor or, for detectors, a list of (C, H, W) tensors of
    different sizes; targets (a tensor, or a list of dicts of tensors) go to the device as they are.
    """

    def __init__(
        self,
        mean: tuple[float, ...] | None,
        std: tuple[float, ...] | None,
        *,
        device: torch.device,
        channels_last: bool,
    ) -> None:
        if (mean is None) != (std is None):
            raise ValueError("give both mean and std, or neither (no normalization)")
        self.mean = None if mean is None else torch.tensor(mean, device=device).view(1, -1, 1, 1)
        self.inv_std = None if std is None else 1 / torch.tensor(std, device=device).view(1, -1, 1, 1)
        self.device, self.channels_last = device, channels_last

    def images(self, images: torch.Tensor | list[torch.Tensor]) -> torch.Tensor | list[torch.Tensor]:
        """Float, normalized images on the device (no augmentation)."""
        if isinstance(images, (list, tuple)):
            return [self.images(im[None])[0] for im in images]
        x = images.to(self.device, non_blocking=True)
        x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
        return self._finish(x)

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        if self.mean is not None:
            if x.shape[1] != self.mean.shape[1]:
                raise ValueError(f"images have {x.shape[1]} channels but the normalization has {self.mean.shape[1]}")
            x = (x - self.mean) * self.inv_std
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def __call__(
        self,
        images: Any,
        targets: Any,
        augment: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
    ) -> tuple[Any, Any]:
        y = to_device(targets, self.device)
        if isinstance(images, (list, tuple)):
            if augment is not None:
                raise ValueError("whole-batch augmentation needs images of one size")
            return self.images(images), y
        x = images.to(self.device, non_blocking=True)
        x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
        if augment is not None:
            x, y = augment(x, y)  # whole-batch ops, per-sample parameters
        return self._finish(x), y


def sample_images(
    dataset: Dataset, *, max_samples: int, collate_fn: Callable[[list[Any]], Any] | None = None, tensors: Any = _AUTO
) -> torch.Tensor:
    """Up to ``max_samples`` evenly spaced images of ``dataset`` as one (N, C, H, W) batch (uint8 or float).

    ``collate_fn`` and ``tensors`` as for :class:`Loader`.
    """
    tensors = dataset_tensors(dataset) if tensors is _AUTO else tensors
    n = len(tensors[0]) if tensors is not None else len(dataset)  # type: ignore[arg-type]
    idx = np.linspace(0, n - 1, min(n, max_samples)).round().astype(int)
    if tensors is not None:
        return tensors[0][torch.from_numpy(idx)]
    images = (collate_fn or collate)([dataset[int(i)] for i in idx])[0]
    if isinstance(images, list):
        raise ValueError("the images differ in size: give the normalization (TrainConfig.mean / std) explicitly")
    return images


def channel_stats(
    dataset: Dataset,
    *,
    max_samples: int = 2048,
    collate_fn: Callable[[list[Any]], Any] | None = None,
    tensors: Any = _AUTO,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of the [0, 1] pixels (all of an in-memory set, else evenly spaced samples).

    ``collate_fn`` and ``tensors`` as for :class:`Loader`.
    """
    tensors = dataset_tensors(dataset) if tensors is _AUTO else tensors
    if tensors is not None:
        images = tensors[0]
        chunks = [images[i : i + 8192] for i in range(0, len(images), 8192)]
    else:
        images = sample_images(dataset, max_samples=max_samples, collate_fn=collate_fn, tensors=None)
        chunks = [images]
    scale = 255.0 if images.dtype == torch.uint8 else 1.0
    s = s2 = 0.0
    count = 0
    for c in chunks:
        x = c.to(torch.float64) / scale
        s = s + x.sum(dim=(0, 2, 3))
        s2 = s2 + (x * x).sum(dim=(0, 2, 3))
        count += x.numel() // x.shape[1]
    mean = s / count
    std = (s2 / count - mean * mean).clamp_min(1e-12).sqrt()
    return tuple(mean.tolist()), tuple(max(v, 1e-3) for v in std.tolist())


def class_names(dataset: Any) -> list[str] | None:
    """The class names of ``dataset`` (or of the data set a ``Subset`` wraps), if it has them."""
    for obj in (dataset, getattr(dataset, "dataset", None)):
        names = getattr(obj, "classes", None) if obj is not None else None
        if names is not None and not callable(names):
            return [str(c) for c in names]
    return None


def declared_num_classes(dataset: Any) -> int | None:
    """The class count a data set declares (``num_classes`` / ``classes``, its own, its base's or its info's)."""
    for obj in (dataset, getattr(dataset, "dataset", None), getattr(dataset, "info", None)):
        if obj is None:
            continue
        k = getattr(obj, "num_classes", None)
        if isinstance(k, int):
            return k
        classes = getattr(obj, "classes", None)
        if classes is not None and not callable(classes):
            return len(classes)
    return None


def num_classes_of(dataset: Any) -> int | None:
    """Class count from ``classes`` / ``num_classes`` / ``info.num_classes``, else the targets' max + 1."""
    declared = declared_num_classes(dataset)
    if declared is not None:
        return declared
    tensors = dataset_tensors(dataset)
    if tensors is not None:
        return int(tensors[1].max()) + 1
    return None
