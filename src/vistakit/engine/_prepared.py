"""PreparedData: a data set made ready for a run once, then handed to every step of it.

A run needs from its training data the class count, the channel count, the class names,
normalization statistics, perhaps a labelled subset, and batches. Asking the data set
for each of these separately re-derives its tensors every time (a ``Subset`` of an
in-memory set is copied on each :func:`dataset_tensors` call); :meth:`PreparedData.from_dataset`
reads them once. Its :attr:`~PreparedData.dataset` is what the loaders are given: for
in-memory data a ``TensorDataset`` of the (subset's) tensors, which :func:`fit`,
:func:`channel_stats` and :func:`evaluate` slice without another copy, and which gives
them exactly the batches the original data set would have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import Subset, TensorDataset

from ._data import channel_stats, class_names, dataset_tensors, declared_num_classes


def labelled_subset(targets: Sequence[int] | np.ndarray | torch.Tensor, *, per_class: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``per_class`` examples of every class, nested across counts.

    Each class's examples are put in one fixed random order (from ``seed``) and the first
    ``per_class`` are taken, so for a seed the 10-label set lies inside the 30-label set:
    a curve of accuracy against labels per class compares supersets, not new draws.

    Raises:
        ValueError: ``per_class`` < 1, or a class with fewer examples.
    """
    if per_class < 1:
        raise ValueError(f"labels per class must be at least 1, got {per_class}")
    t = np.asarray(targets.cpu() if isinstance(targets, torch.Tensor) else targets)
    out = []
    for c in np.unique(t):
        idx = np.flatnonzero(t == c)
        if len(idx) < per_class:
            raise ValueError(f"class {c} has only {len(idx)} examples, fewer than --labels-per-class {per_class}")
        order = np.random.default_rng([seed, int(c)]).permutation(len(idx))
        out.append(idx[order[:per_class]])
    return np.sort(np.concatenate(out))


def dataset_targets(dataset: Any) -> torch.Tensor:
    """The (N,) class indices of ``dataset``: its targets tensor when in memory, else read item by item."""
    tensors = dataset_tensors(dataset)
    if tensors is not None:
        return tensors[1]
    return torch.as_tensor([int(dataset[i][1]) for i in range(len(dataset))])


@dataclass(frozen=True, eq=False)
class PreparedData:
    """A training (or evaluation) set read once: tensors, facts and the labelled subset.

    Attributes:
        dataset: what loaders read: a ``TensorDataset`` of :attr:`images` / :attr:`targets`
            when in memory, else the (subset of the) original data set.
        source: the data set :attr:`indices` point into (a ``Subset`` given is unwrapped
            one level; with a labelled subset, the data set given). Cached features are
            kept by these positions, so nested subsets share their rows.
        indices: (N,) positions of the prepared images in :attr:`source`.
        images: (N, C, H, W) images when in memory, else None.
        targets: (N,) class indices when in memory or when a labelled subset was drawn, else None.
        num_classes: the class count of the whole data set given (declared, else its largest
            target + 1; None when neither is known).
        in_chans: image channels.
        class_names: the data set's class names, if it has them.
    """

    dataset: Any
    source: Any
    indices: np.ndarray
    images: torch.Tensor | None
    targets: torch.Tensor | None
    num_classes: int | None
    in_chans: int
    class_names: list[str] | None

    @classmethod
    def from_dataset(cls, dataset: Any, *, labels_per_class: int | None = None, seed: int = 0) -> PreparedData:
        """Read ``dataset`` once (one :func:`dataset_tensors` call) and draw its labelled subset.

        Args:
            dataset: Dataset of (image (C, H, W), class index); in-memory ones (``.data`` /
                ``.targets``, a ``TensorDataset``, a ``Subset`` of either) are read as tensors.
            labels_per_class: keep this many images per class (:func:`labelled_subset` with
                ``seed``); None: all of them.
            seed: seed of the labelled subset.

        Raises:
            ValueError: too few images of a class for ``labels_per_class``.
        """
        tensors = dataset_tensors(dataset)
        if tensors is not None:
            images, targets = tensors
            in_chans = int(images.shape[1])
        else:
            images = targets = None
            in_chans = int(dataset[0][0].shape[0])
        num_classes = declared_num_classes(dataset)
        if num_classes is None and targets is not None:
            num_classes = int(targets.max()) + 1
        if labels_per_class is not None:
            if targets is None:
                targets = dataset_targets(dataset)
            source, indices = dataset, labelled_subset(targets, per_class=labels_per_class, seed=seed)
            pick = torch.from_numpy(indices)
            targets = targets[pick]
            if images is not None:
                images = images[pick]
                loader_data = TensorDataset(images, targets)
            else:
                loader_data = Subset(dataset, indices.tolist())
        else:
            if isinstance(dataset, Subset):
                source, indices = dataset.dataset, np.asarray(dataset.indices, dtype=np.int64)
            else:
                source, indices = dataset, np.arange(len(dataset), dtype=np.int64)
            loader_data = TensorDataset(images, targets) if images is not None else dataset
        return cls(
            dataset=loader_data,
            source=source,
            indices=indices,
            images=images,
            targets=targets,
            num_classes=num_classes,
            in_chans=in_chans,
            class_names=class_names(dataset),
        )

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def in_memory(self) -> bool:
        """Whether the images are held as one tensor."""
        return self.images is not None

    def channel_stats(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per-channel mean and std of the [0, 1] pixels (:func:`channel_stats` of :attr:`dataset`)."""
        return channel_stats(self.dataset)


__all__ = ["PreparedData", "dataset_targets", "labelled_subset"]
