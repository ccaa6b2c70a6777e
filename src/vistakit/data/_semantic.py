"""``SemanticDataset``: images with a label image each (Cityscapes, ADE20K), items as ``Sample(image, mask)``."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..structures import Sample
from ._base import VisionDataset, decode_image
from ._errors import DatasetError
from ._info import DatasetInfo

#: ``read_mask(path, *, size) -> (H, W) int64`` class per pixel; ``size`` is the image's (H, W), to check.
#: A module-level function (or a ``functools.partial`` of one), so the data set pickles for DataLoader workers.
MaskReader = Callable[..., np.ndarray]


def read_label_png(path: str | os.PathLike, *, size: tuple[int, int] | None, what: str) -> np.ndarray:
    """A one-channel label PNG as an (H, W) int64 array, its size checked against its image's ``size`` (H, W).

    Raises:
        DatasetError: naming the file when it is missing, undecodable, not one channel, or
            not the size of its image.
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            arr = np.asarray(im)
    except FileNotFoundError:
        raise DatasetError(f"{path}: the {what} file is missing") from None
    except Exception as e:  # noqa: BLE001  Pillow raises OSError, SyntaxError, ValueError ...
        raise DatasetError(f"{path}: cannot decode the {what} ({type(e).__name__}: {e})") from None
    if arr.ndim != 2:
        raise DatasetError(f"{path}: the {what} must be a one-channel image, got shape {arr.shape}")
    if size is not None and arr.shape != tuple(size):
        raise DatasetError(
            f"{path}: the {what} is {arr.shape[1]}x{arr.shape[0]} but its image is {size[1]}x{size[0]} (width x height)"
        )
    return arr.astype(np.int64)


class SemanticDataset(VisionDataset):
    """Images with their semantic masks: ``ds[i]`` is a :class:`Sample` with ``image`` and ``mask``.

    ``mask`` is an (H, W) int64 tensor of class indices into :attr:`classes`, with
    :attr:`ignore_index` (None when every pixel has a class) where the label is void.
    ``transform`` is a per-sample transform (``Sample -> Sample``): a :mod:`vistakit.transforms`
    pipeline moves the mask with the image (nearest-neighbour).

    Attributes:
        images: the image files.
        masks: the label files, one per image.
        ignore_index: the mask value of pixels without a class, or None.
    """

    def __init__(
        self,
        images: Sequence[Path],
        masks: Sequence[Path],
        *,
        read_mask: MaskReader,
        info: DatasetInfo,
        split: str,
        classes: Sequence[str],
        ignore_index: int | None,
        transform: Callable[[Sample], Sample] | None = None,
    ) -> None:
        if len(images) != len(masks):
            raise ValueError(f"{len(images)} images but {len(masks)} masks")
        self.images = [Path(p) for p in images]
        self.masks = [Path(p) for p in masks]
        self.read_mask = read_mask
        self.info = info
        self.split = split
        self.classes = list(classes)
        self.ignore_index = ignore_index
        self.transform = transform
        self.targets = torch.arange(len(self.images))

    def load_image(self, index: int) -> torch.Tensor:
        return decode_image(self.images[index])

    def load_mask(self, index: int, *, size: tuple[int, int] | None = None) -> torch.Tensor:
        """The (H, W) int64 mask of item ``index`` (``size``: the image's (H, W), to check)."""
        return torch.from_numpy(np.ascontiguousarray(self.read_mask(self.masks[index], size=size), dtype=np.int64))

    def target(self, index: int) -> torch.Tensor:
        return self.load_mask(index)

    def get_sample(self, index: int) -> Sample:
        """Item ``index`` before ``transform``: ``image``, ``mask`` and ``meta`` (``index``, ``path``, ``mask_path``)."""
        index = self._check_index(index)
        image = self.load_image(index)
        mask = self.load_mask(index, size=tuple(image.shape[-2:]))
        return Sample(
            image=image,
            mask=mask,
            meta={"index": index, "path": str(self.images[index]), "mask_path": str(self.masks[index])},
        )

    def __getitem__(self, index: int) -> Sample:  # type: ignore[override]
        sample = self.get_sample(index)
        return self.transform(sample) if self.transform is not None else sample

    def __repr__(self) -> str:
        return (
            f"SemanticDataset({self.info.name!r}, split={self.split!r}, {len(self)} images, "
            f"{len(self.classes)} classes, ignore_index={self.ignore_index})"
        )
