"""The two shapes of dataset every reader returns.

* :class:`TensorImageDataset` keeps every image in one uint8 tensor
  ``data`` (N, C, H, W) and the labels in ``targets`` (N,). Small data sets
  (MNIST, Fashion-MNIST, CIFAR, digits) are read this way, so training code can
  slice whole batches and augment them on tensors without a per-sample Python loop.
* :class:`ImageFileDataset` keeps paths and decodes one image per item (image
  folders, ImageNet, Flowers-102, CelebA); it is what DataLoader workers parallelise.

Both return ``(image, target)`` with ``image`` a uint8 tensor (C, H, W) unless
``transform`` changes it, and expose ``classes``, ``targets``, ``info`` and ``split``.
``get_sample(i)`` gives the same item as a typed :class:`~vistakit.structures.Sample`
(image, label and whatever other targets the data set has), before any transform.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from ..structures import Sample
from ._errors import DatasetError
from ._info import DatasetInfo

Transform = Callable[[torch.Tensor], Any]


class VisionDataset(torch.utils.data.Dataset):
    """Common part of every vistakit dataset.

    Attributes:
        info: the dataset card.
        split: the split that was read.
        classes: class names; ``targets`` index into it.
        targets: (N,) int64 labels, or (N, K) for multi-label targets.
        transform: applied to the uint8 (C, H, W) image of each item.
    """

    info: DatasetInfo
    split: str
    classes: list[str]
    targets: torch.Tensor
    transform: Transform | None

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def load_image(self, index: int) -> torch.Tensor:
        """The image of item ``index`` as uint8 (C, H, W), before any transform."""
        raise NotImplementedError

    def target(self, index: int) -> Any:
        """The target of item ``index``: an int, or a tensor for multi-label targets."""
        t = self.targets[index]
        return int(t) if t.ndim == 0 else t

    def _check_index(self, index: int) -> int:
        """``index`` as a non-negative int; IndexError outside ``-len .. len - 1``."""
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {self.info.name} {self.split} ({n} items)")
        return int(index) + n if index < 0 else int(index)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = self._check_index(index)
        image = self.load_image(index)
        if self.transform is not None:
            image = self.transform(image)
        return image, self.target(index)

    def get_sample(self, index: int) -> Sample:
        """Item ``index`` as a typed sample: the raw item, before any transform.

        Indices behave as in ``ds[index]`` (negative ones count from the end,
        others raise IndexError), and the image and label are those of ``ds[index]``
        without ``transform``.

        Returns:
            A :class:`~vistakit.structures.Sample` with ``image`` uint8 (C, H, W),
            ``label`` an int (or a (K,) tensor for multi-label targets) and
            ``meta`` holding ``index`` (non-negative) and, for data sets of
            files, ``path``; data sets with further targets add them
            (see :class:`CelebA`, :class:`CIFAR100`).
        """
        index = self._check_index(index)
        return Sample(image=self.load_image(index), label=self.target(index), meta={"index": index})

    @property
    def num_classes(self) -> int:
        """Number of classes (or attributes, for multi-label targets): ``len(classes)``."""
        return len(self.classes)

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label."""
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.info.name!r}, split={self.split!r}, {len(self)} images, {len(self.classes)} classes)"


class TensorImageDataset(VisionDataset):
    """A dataset held in memory as one uint8 tensor.

    Attributes:
        data: (N, C, H, W) uint8, every image of the split.
        targets: (N,) int64 labels.
    """

    def __init__(
        self,
        data: torch.Tensor,
        targets: torch.Tensor,
        *,
        info: DatasetInfo,
        split: str,
        classes: Sequence[str] | None = None,
        transform: Transform | None = None,
    ) -> None:
        if data.dtype != torch.uint8 or data.ndim != 4:
            raise ValueError(f"data must be uint8 (N, C, H, W), got {data.dtype} {tuple(data.shape)}")
        if targets.shape[0] != data.shape[0]:
            raise ValueError(f"{data.shape[0]} images but {targets.shape[0]} targets")
        self.data = data
        self.targets = targets
        self.info = info
        self.split = split
        self.classes = list(info.classes if classes is None else classes)
        self.transform = transform

    def load_image(self, index: int) -> torch.Tensor:
        return self.data[index]


def decode_image(path: str | os.PathLike, *, mode: str = "RGB") -> torch.Tensor:
    """Decode an image file to a uint8 tensor (C, H, W).

    Args:
        path: image file (anything Pillow reads).
        mode: Pillow mode to convert to: ``RGB`` (C=3) or ``L`` (C=1).

    Raises:
        DatasetError: naming the file, when it cannot be read or decoded.
    """
    try:
        with Image.open(path) as im:
            if im.mode != mode:
                im = im.convert(mode)
            arr = np.asarray(im)
    except FileNotFoundError:
        raise DatasetError(f"{path}: image file is missing") from None
    except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError, struct.error ...
        raise DatasetError(f"{path}: cannot decode image ({type(e).__name__}: {e})") from None
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())  # one copy: (C, H, W), contiguous, writable


class ImageFileDataset(VisionDataset):
    """A dataset of image files decoded on access.

    Attributes:
        paths: one file path per item.
        targets: (N,) int64 labels or (N, K) multi-label targets.
        mode: Pillow mode images are converted to (``RGB`` or ``L``).
    """

    def __init__(
        self,
        paths: Sequence[str],
        targets: torch.Tensor,
        *,
        info: DatasetInfo,
        split: str,
        classes: Sequence[str] | None = None,
        transform: Transform | None = None,
        mode: str = "RGB",
    ) -> None:
        if len(paths) != targets.shape[0]:
            raise ValueError(f"{len(paths)} paths but {targets.shape[0]} targets")
        if mode not in ("RGB", "L"):
            raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
        self.paths = list(paths)
        self.targets = targets
        self.info = info
        self.split = split
        self.classes = list(info.classes if classes is None else classes)
        self.transform = transform
        self.mode = mode

    def load_image(self, index: int) -> torch.Tensor:
        return decode_image(self.paths[index], mode=self.mode)

    def get_sample(self, index: int) -> Sample:
        """As :meth:`VisionDataset.get_sample`, with the image file in ``meta["path"]``."""
        sample = super().get_sample(index)
        sample.meta["path"] = self.paths[sample.meta["index"]]
        return sample
