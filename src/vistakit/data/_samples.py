"""``SampleDataset``: any data set as a ``torch.utils.data.Dataset`` of typed samples.

::

    train = SampleDataset(load_dataset("cifar10", "train"), transforms=Compose([...]))
    sample = train[0]      # Sample: image uint8 (3, 32, 32), label int, meta {"index": 0}
    loader = DataLoader(train, batch_size=64, num_workers=2, collate_fn=...)

The transforms (any :mod:`vistakit.transforms` transform or ``Compose``) take and
return the whole :class:`~vistakit.structures.Sample`, so boxes, masks,
keypoints and the label move with the image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from ..structures import Sample

SampleTransform = Callable[[Sample], Sample]


def _image_tensor(image: Any, where: str) -> torch.Tensor:
    """A (C, H, W) tensor from a CHW/HW tensor, a Pillow image or an HWC/HW array (dtype kept)."""
    if isinstance(image, Image.Image):
        if image.mode == "1":
            image = image.convert("L")
        elif image.mode not in ("L", "RGB", "RGBA"):
            image = image.convert("RGB")
        image = np.asarray(image)
    if isinstance(image, np.ndarray):
        if image.ndim == 2:
            image = image[:, :, None]
        if image.ndim != 3:
            raise ValueError(f"{where}: an image array must be (H, W, C) or (H, W), got shape {image.shape}")
        return torch.from_numpy(image.transpose(2, 0, 1).copy())  # one copy: contiguous and writable
    if isinstance(image, torch.Tensor):
        if image.ndim == 2:
            return image.unsqueeze(0)
        if image.ndim != 3:
            raise ValueError(f"{where}: an image tensor must be (C, H, W) or (H, W), got shape {tuple(image.shape)}")
        return image
    raise TypeError(
        f"{where}: the image is a {type(image).__name__}, expected a tensor, a Pillow image or a numpy array"
    )


def _label(label: Any) -> Any:
    """Integer scalars (Python, numpy, 0-d tensors) as int; anything else as it is."""
    if isinstance(label, (torch.Tensor, np.ndarray)) and label.ndim == 0:
        if isinstance(label, torch.Tensor) and not label.is_floating_point() and not label.is_complex():
            return int(label)
        if isinstance(label, np.ndarray) and np.issubdtype(label.dtype, np.integer):
            return int(label)
        return label
    if isinstance(label, np.integer):
        return int(label)
    if isinstance(label, np.ndarray):
        return torch.from_numpy(label)
    return label


class SampleDataset(torch.utils.data.Dataset):
    """A data set whose items are :class:`~vistakit.structures.Sample` objects.

    Args:
        source: one of

            * a vistakit data set (anything with ``get_sample(i)``): items are its
              raw samples (its own ``transform`` is not applied);
            * a ``torch.utils.data.Subset`` of one (nested ones too): the subset's
              indices pick the samples, ``meta["index"]`` is the index in the data set;
            * any data set of ``(image, label)`` pairs: the image a (C, H, W)
              tensor, a Pillow image or an (H, W, C) array (grey images may drop
              the channel axis), turned into a (C, H, W) tensor of the same dtype
              (uint8 data stay uint8); integer labels become ints;
            * a sequence of ``Sample`` objects (dense targets: boxes, masks,
              semantic masks, keypoints), each handed out as a copy.
        transforms: called on every sample, ``Sample -> Sample`` (a
            :mod:`vistakit.transforms` transform or ``Compose``).

    Attributes:
        source: the data set given.
        transforms: the sample transform, or None.

    ``classes``, ``info`` and ``num_classes`` are those of the source (through
    any ``Subset``), when it has them. Items are picklable and so is the data set,
    so it works with ``DataLoader(num_workers=...)``; batch samples with a
    ``collate_fn`` (the default one does not know ``Sample``).
    """

    def __init__(self, source: Any, *, transforms: SampleTransform | None = None) -> None:
        if transforms is not None and not callable(transforms):
            raise TypeError(f"transforms must be a callable Sample -> Sample, got {type(transforms).__name__}")
        self.source = source
        self.transforms = transforms

    def __len__(self) -> int:
        return len(self.source)

    def _raw(self, index: int) -> Sample:
        ds, i = self.source, index
        while isinstance(ds, torch.utils.data.Subset):
            i, ds = int(ds.indices[i]), ds.dataset
        if hasattr(ds, "get_sample"):
            return ds.get_sample(i)
        item = self.source[index]
        if isinstance(item, Sample):
            return item.replace(meta={"index": index, **item.meta})
        if isinstance(item, (tuple, list)) and len(item) == 2:
            where = f"SampleDataset: item {index} of {type(self.source).__name__}"
            return Sample(image=_image_tensor(item[0], where), label=_label(item[1]), meta={"index": index})
        raise TypeError(
            f"SampleDataset: item {index} of {type(self.source).__name__} is a {type(item).__name__}; "
            "expected a Sample or an (image, label) pair"
        )

    def __getitem__(self, index: int) -> Sample:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for a SampleDataset of {n} items")
        index = int(index) + n if index < 0 else int(index)
        sample = self._raw(index)
        if self.transforms is not None:
            sample = self.transforms(sample)
            if not isinstance(sample, Sample):
                raise TypeError(
                    f"SampleDataset: transforms {self.transforms!r} returned a {type(sample).__name__}, expected a Sample"
                )
        return sample

    def _source_attribute(self, name: str) -> Any:
        ds = self.source
        while not hasattr(ds, name):
            if not isinstance(ds, torch.utils.data.Subset):
                raise AttributeError(f"the source of this SampleDataset ({type(self.source).__name__}) has no {name!r}")
            ds = ds.dataset
        return getattr(ds, name)

    @property
    def classes(self) -> Sequence[str]:
        """Class names of the source."""
        return self._source_attribute("classes")

    @property
    def info(self) -> Any:
        """The dataset card (:class:`DatasetInfo`) of the source."""
        return self._source_attribute("info")

    @property
    def num_classes(self) -> int:
        """The source's ``num_classes``, else the number of its ``classes``."""
        try:
            return int(self._source_attribute("num_classes"))
        except AttributeError:
            return len(self._source_attribute("classes"))

    def __repr__(self) -> str:
        return f"SampleDataset({self.source!r}, transforms={self.transforms!r})"
