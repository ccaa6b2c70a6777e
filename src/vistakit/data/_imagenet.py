"""ImageNet-1k (ILSVRC-2012): the extracted train tree and the validation set.

* train: ``train/<wnid>/<wnid>_<n>.JPEG``.
* val: either ``val/<wnid>/*.JPEG`` (the layout most tools make), or the flat
  ``val/ILSVRC2012_val_00000001.JPEG`` ... with the devkit's
  ``data/ILSVRC2012_validation_ground_truth.txt`` (one ILSVRC2012_ID per image, in
  image-number order) and ``data/meta.mat`` (ILSVRC2012_ID -> WordNet id).

Labels are always the official ones: the index of the WordNet id among the 1000
sorted ids, whatever subset of classes is on disk.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import torch

from .._files import list_images
from ._base import ImageFileDataset, Transform, VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import package_lines, register_dataset
from ._resolve import archive_member, fetch_files


def imagenet_classes() -> list[str]:
    """The 1000 ImageNet-1k (ILSVRC-2012) class names in the official label order.

    Index ``i`` is the class of the ``i``-th WordNet id in sorted order (the order
    of :func:`imagenet_wnids`), which is the order every ImageNet classifier uses.
    """
    return list(package_lines("imagenet_classes.txt"))


def imagenet_wnids() -> list[str]:
    """The 1000 ImageNet-1k WordNet ids (``n01440764`` ...), sorted: label ``i`` is ``wnids[i]``."""
    return list(package_lines("imagenet_wnids.txt"))


_WNID = re.compile(r"n\d{8}\Z")
_VAL_FILE = re.compile(r"ILSVRC2012_val_(\d{8})\.", re.IGNORECASE)


def read_wnid_tree(folder: str | os.PathLike) -> tuple[list[str], list[int]]:
    """Images of ``folder/<wnid>/...`` with their official labels.

    Raises:
        DatasetError: for a subfolder that is not one of the 1000 WordNet ids, or no images.
    """
    folder = Path(folder)
    index = {w: i for i, w in enumerate(imagenet_wnids())}
    subdirs = sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    unknown = [d for d in subdirs if d not in index]
    if unknown:
        raise DatasetError(
            f"{folder}: {len(unknown)} subfolder(s) are not ImageNet-1k class ids, e.g. {unknown[:3]} "
            "(expected WordNet ids such as n01440764)"
        )
    if not subdirs:
        raise DatasetError(f"{folder}: no class folders (expected {folder}/n01440764/... )")
    paths: list[str] = []
    labels: list[int] = []
    for wnid in subdirs:
        found = [str(p) for p in list_images(folder / wnid)]
        paths += found
        labels += [index[wnid]] * len(found)
    if not paths:
        raise DatasetError(f"{folder}: the class folders hold no images")
    return paths, labels


def read_devkit(devkit: str | os.PathLike) -> np.ndarray:
    """The validation labels from the ILSVRC-2012 devkit.

    Args:
        devkit: the extracted ``ILSVRC2012_devkit_t12`` folder.

    Returns:
        (50000,) int64: the official label of validation image ``i + 1``.

    Raises:
        DatasetError: naming the file and line for unreadable or inconsistent content.
    """
    from scipy.io import loadmat

    data = Path(devkit) / "data"
    meta_path = data / "meta.mat"
    gt_path = data / "ILSVRC2012_validation_ground_truth.txt"
    try:
        synsets = loadmat(meta_path, squeeze_me=True)["synsets"]
        ids = np.asarray(synsets["ILSVRC2012_ID"], dtype=np.int64).ravel()
        wnids = [str(w) for w in np.asarray(synsets["WNID"]).ravel()]
    except FileNotFoundError:
        raise DatasetError(f"{meta_path}: missing from the devkit") from None
    except Exception as e:  # scipy raises many types for a corrupt .mat
        raise DatasetError(f"{meta_path}: cannot read the 'synsets' table ({type(e).__name__}: {e})") from None
    official = {w: i for i, w in enumerate(imagenet_wnids())}
    id_to_label = np.full(int(ids.max(initial=0)) + 1, -1, dtype=np.int64)
    for ilsvrc_id, wnid in zip(ids, wnids):
        if 1 <= ilsvrc_id <= 1000:
            if wnid not in official:
                raise DatasetError(
                    f"{meta_path}: ILSVRC2012_ID {ilsvrc_id} has WNID {wnid!r}, not an ImageNet-1k class"
                )
            id_to_label[ilsvrc_id] = official[wnid]
    try:
        lines = gt_path.read_text().split()
        gt = np.array(lines, dtype=np.int64)
    except FileNotFoundError:
        raise DatasetError(f"{gt_path}: missing from the devkit") from None
    except ValueError:
        bad = next(i for i, v in enumerate(lines) if not v.lstrip("-").isdigit())
        raise DatasetError(
            f"{gt_path}: line {bad + 1} is {lines[bad]!r}, expected an ILSVRC2012_ID (1..1000)"
        ) from None
    bad = np.flatnonzero((gt < 1) | (gt >= id_to_label.shape[0]))
    if bad.size == 0:
        bad = np.flatnonzero(id_to_label[gt] < 0)
    if bad.size:
        raise DatasetError(
            f"{gt_path}: line {bad[0] + 1} has ILSVRC2012_ID {gt[bad[0]]}, which meta.mat does not map to a class (1..1000)"
        )
    return id_to_label[gt]


def read_flat_val(folder: str | os.PathLike, labels: np.ndarray) -> tuple[list[str], list[int]]:
    """Flat validation images ``ILSVRC2012_val_<n>.JPEG`` labelled by the ground truth."""
    folder = Path(folder)
    names = [p.name for p in list_images(folder, recursive=False)]
    paths, targets = [], []
    for name in names:
        m = _VAL_FILE.match(name)
        if m is None:
            raise DatasetError(f"{folder / name}: not a validation image name (expected ILSVRC2012_val_00000001.JPEG)")
        k = int(m.group(1))
        if not 1 <= k <= labels.shape[0]:
            raise DatasetError(
                f"{folder / name}: image number {k} has no ground truth (the devkit lists {labels.shape[0]})"
            )
        paths.append(str(folder / name))
        targets.append(int(labels[k - 1]))
    if not paths:
        raise DatasetError(f"{folder}: no validation images")
    return paths, targets


def has_wnid_folders(folder: str | os.PathLike) -> bool:
    """True when ``folder`` is laid out as ``<wnid>/<image>``."""
    return any(e.is_dir() and _WNID.match(e.name) for e in os.scandir(folder))


IMAGENET = DatasetInfo(
    name="imagenet",
    title="ImageNet-1k (ILSVRC-2012 classification)",
    task="classification",
    classes=package_lines("imagenet_classes.txt"),
    splits={"train": 1_281_167, "val": 50_000},
    image_size=None,
    channels=3,
    license="ImageNet terms of access: non-commercial research and education only",
    homepage="https://image-net.org/challenges/LSVRC/2012/",
    citation=(
        "O. Russakovsky et al. ImageNet Large Scale Visual Recognition Challenge. "
        "International Journal of Computer Vision, 115(3):211-252, 2015."
    ),
    files=(
        DataFile(
            "ILSVRC2012_img_train.tar",
            size=147_897_477_120,
            md5="1d675b47d978889d74fa0da5fadfb00e",
            extracted="train",
            splits=("train",),
        ),
        DataFile(
            "ILSVRC2012_img_val.tar",
            size=6_744_924_160,
            md5="29b22e2961454d5413ddabcf34fc5622",
            extracted="val",
            splits=("val",),
        ),
        DataFile(
            "ILSVRC2012_devkit_t12.tar.gz",
            md5="fa75699e90414af021442c21a62c3abf",
            extracted="ILSVRC2012_devkit_t12",
            splits=("val",),
        ),
    ),
    description=(
        "1.28 million training and 50,000 validation images of 1000 classes. Reads the "
        "extracted train tree (train/<wnid>/*.JPEG) and the validation images either as "
        "val/<wnid>/*.JPEG or flat (val/ILSVRC2012_val_00000001.JPEG ...) with the devkit's "
        "ILSVRC2012_validation_ground_truth.txt and meta.mat."
    ),
    manual_download=(
        "ImageNet needs an account: download ILSVRC2012_img_train.tar, ILSVRC2012_img_val.tar "
        "and ILSVRC2012_devkit_t12.tar.gz from https://image-net.org/download-images.php, then "
        "extract them into the data folder: `mkdir train && tar -xf ILSVRC2012_img_train.tar -C train "
        "&& for f in train/*.tar; do d=${f%.tar}; mkdir -p $d && tar -xf $f -C $d && rm $f; done`, "
        "`mkdir val && tar -xf ILSVRC2012_img_val.tar -C val`; the devkit archive is unpacked automatically."
    ),
)


@register_dataset(IMAGENET)
def load_imagenet(
    info: DatasetInfo, split: str, *, root: str | os.PathLike | None, download: bool, transform: Transform | None
) -> VisionDataset:
    """The extracted train tree, or the validation images (wnid folders, or flat with the devkit)."""
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
