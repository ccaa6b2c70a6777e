"""``load_dataset``: the card, the files, then the reader of each format."""

from __future__ import annotations

import os
from typing import Any, Callable

import torch

from ._base import ImageFileDataset, TensorImageDataset, Transform, VisionDataset
from ._celeba import PARTITION_FILE, TARGET_FILES, TARGET_TYPES, CelebA, read_celeba
from ._cifar import read_cifar
from ._digits import digits_split, read_digits
from ._errors import DatasetError
from ._flowers import read_flowers
from ._idx import load_idx_pair
from ._imagefolder import ImageFolder, split_folder
from ._imagenet import has_wnid_folders, read_devkit, read_flat_val, read_wnid_tree
from ._info import DatasetInfo
from ._registry import dataset_info
from ._resolve import archive_member, fetch_files

_SPLIT_ALIASES = {"valid": "val", "validation": "val", "training": "train", "testing": "test"}


def _check_split(info: DatasetInfo, split: str) -> str:
    split = _SPLIT_ALIASES.get(split, split)
    if info.splits and split not in info.splits:
        raise ValueError(f"{info.name} has splits {list(info.splits)}, not {split!r}")
    return split

def _no_options(info: DatasetInfo, options: dict[str, Any]) -> None:
    if options:
        raise TypeError(f"load_dataset({info.name!r}) takes no option(s) {sorted(options)}")

def _idx(info, split, root, download, transform, options) -> VisionDataset:
    _no_options(info, options)
    found = fetch_files(info, split=split, root=root, download=download)
    prefix = "train" if split == "train" else "t10k"
    data, targets = load_idx_pair(
        found[f"{prefix}-images-idx3-ubyte.gz"].path,
        found[f"{prefix}-labels-idx1-ubyte.gz"].path,
        num_classes=info.num_classes,
    )
    return TensorImageDataset(data, targets, info=info, split=split, transform=transform)

class CIFAR100(TensorImageDataset):
    """CIFAR-100: ``targets`` are the fine (or, with ``label="coarse"``, the coarse) labels.

    Attributes:
        fine_targets: (N,) int64 labels into ``fine_classes`` (100 names).
        coarse_targets: (N,) int64 labels into ``coarse_classes`` (20 names).
    """

    fine_targets: torch.Tensor
    coarse_targets: torch.Tensor
    fine_classes: list[str]
    coarse_classes: list[str]

def _cifar(info, split, root, download, transform, options) -> VisionDataset:
    label = options.pop("label", "fine")
    _no_options(info, options)
    found = fetch_files(info, split=split, root=root, download=download)
    (loc,) = found.values()
    folder = archive_member(loc, root=root, info=info)
    coarse = info.other_labels.get("coarse", ())
    data, labels = read_cifar(folder, variant=info.name, split=split, classes=info.classes, coarse_classes=coarse)
    if info.name == "cifar10":
        if label != "fine":
            raise ValueError("cifar10 has one label set; label= applies to cifar100 only")
        return TensorImageDataset(data, labels["labels"], info=info, split=split, transform=transform)
    if label not in ("fine", "coarse"):
        raise ValueError(f"cifar100 label must be 'fine' or 'coarse', got {label!r}")
    ds = CIFAR100(
        data,
        labels[f"{label}_labels"],
        info=info,
        split=split,
        classes=info.classes if label == "fine" else coarse,
        transform=transform,
    )
    ds.fine_targets, ds.coarse_targets = labels["fine_labels"], labels["coarse_labels"]
    ds.fine_classes, ds.coarse_classes = list(info.classes), list(coarse)
    return ds

def _digits(info, split, root, download, transform, options) -> VisionDataset:
    _no_options(info, options)
    found = fetch_files(info, split=split, root=root, download=download)
    data, targets = digits_split(*read_digits(found["digits.csv.gz"].path), split)
    return TensorImageDataset(data, targets, info=info, split=split, transform=transform)

def _imagefolder(info, split, root, download, transform, options) -> VisionDataset:
    if root is None:
        raise ValueError('imagefolder needs root=: load_dataset("imagefolder", root="path/to/tree")')
    on_error = options.pop("on_error", "raise")
    mode = options.pop("mode", "RGB")
    _no_options(info, options)
    return ImageFolder(split_folder(root, split), info=info, split=split, transform=transform, mode=mode, on_error=on_error)

def _imagenet(info, split, root, download, transform, options) -> VisionDataset:
    _no_options(info, options)
    archive = "ILSVRC2012_img_train.tar" if split == "train" else "ILSVRC2012_img_val.tar"
    found = fetch_files(info, names=[archive], root=root, download=download)
    loc = found[archive]
    if loc.path.name != loc.file.extracted:
        raise DatasetError(
            f"{loc.path}: found the archive but not its extracted {loc.file.extracted}/ folder beside it. "
            + (info.manual_download or "")
        )
    folder = loc.path
    if split == "train" or has_wnid_folders(folder):
        paths, labels = read_wnid_tree(folder)
    else:
        dev = fetch_files(info, names=["ILSVRC2012_devkit_t12.tar.gz"], root=root, download=download)
        devkit = archive_member(dev["ILSVRC2012_devkit_t12.tar.gz"], root=root, info=info)
        paths, labels = read_flat_val(folder, read_devkit(devkit))
    return ImageFileDataset(paths, torch.tensor(labels, dtype=torch.int64), info=info, split=split, transform=transform)

def _flowers(info, split, root, download, transform, options) -> VisionDataset:
    _no_options(info, options)
    found = fetch_files(info, split=split, root=root, download=download)
    images = archive_member(found["102flowers.tgz"], root=root, info=info)
    paths, labels = read_flowers(
        images, found["imagelabels.mat"].path, found["setid.mat"].path, split=split, num_classes=info.num_classes
    )
    return ImageFileDataset(paths, torch.from_numpy(labels), info=info, split=split, transform=transform)

def _celeba(info, split, root, download, transform, options) -> VisionDataset:
    target_type = options.pop("target_type", "attr")
    _no_options(info, options)
    types = [target_type] if isinstance(target_type, str) else list(target_type)
    unknown = [t for t in types if t not in TARGET_TYPES]
    if unknown or not types:
        raise ValueError(f"celeba target_type must be one or more of {TARGET_TYPES}, got {target_type!r}")
    names = ["img_align_celeba.zip", PARTITION_FILE] + [TARGET_FILES[t] for t in types]
    found = fetch_files(info, names=names, root=root, download=download)
    images = archive_member(found["img_align_celeba.zip"], root=root, info=info)
    image_names, targets = read_celeba(
        {n: loc.path for n, loc in found.items()}, split=split, target_types=types, attributes=info.classes
    )
    return CelebA(images, image_names, targets, info=info, split=split, target_types=types, transform=transform)

_LOADERS: dict[str, Callable[..., VisionDataset]] = {
    "mnist": _idx,
    "fashion-mnist": _idx,
    "cifar10": _cifar,
    "cifar100": _cifar,
    "imagefolder": _imagefolder,
    "imagenet": _imagenet,
    "flowers102": _flowers,
    "celeba": _celeba,
    "digits": _digits,
}

def load_dataset(
    name: str,
    split: str = "train",
    *,
    root: str | os.PathLike | None = None,
    download: bool = True,
    transform: Transform | None = None,
    **options: Any,
) -> VisionDataset:
    """Read one split of a registered data set.

    Files are looked for in ``root``, then the cache (``$VISTAKIT_DATA``), then
    system folders, and downloaded (verified, atomically) when missing.

    Args:
        name: a name from :func:`list_datasets` (``fashion-mnist``, ``digits`` ...).
        split: ``train``, ``test``, ``val`` ... as the card lists (``valid`` is
            accepted for ``val``).
        root: folder holding the files (required for ``imagefolder``: the tree,
            or a folder with ``train/``, ``val/``, ``test/`` trees).
        download: fetch missing files from the canonical URLs.
        transform: called on each image, a uint8 tensor (C, H, W).
        **options: per data set: ``label="fine"|"coarse"`` (cifar100);
            ``target_type="attr"|"identity"|"bbox"|"landmarks"`` or a list of them
            (celeba); ``on_error="raise"|"skip"`` and ``mode="RGB"|"L"`` (imagefolder).

    Returns:
        A ``torch.utils.data.Dataset`` of ``(image, target)`` with ``.classes``,
        ``.targets`` and ``.info``. MNIST, Fashion-MNIST, CIFAR and digits are
        :class:`TensorImageDataset` holding ``.data`` (N, C, H, W) uint8.

    Raises:
        ValueError: unknown data set, split or option.
        DatasetError: malformed files (the message names the file and record).
        DatasetNotFoundError: files missing and not downloadable.
    """
    info = dataset_info(name)
    split = _check_split(info, split)
    return _LOADERS[info.name](info, split, root, download, transform, dict(options))
