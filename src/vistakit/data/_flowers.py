"""Oxford 102 Flowers: ``jpg/image_%05d.jpg``, ``imagelabels.mat`` and ``setid.mat``.

``imagelabels.mat`` holds ``labels``: (1, 8189) class numbers 1..102 of images
1..8189. ``setid.mat`` holds the official splits as 1-based image ids:
``trnid`` (train), ``valid`` (val) and ``tstid`` (test).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ._base import ImageFileDataset, Transform, VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import package_lines, register_dataset
from ._resolve import archive_member, fetch_files

_SPLIT_KEYS = {"train": "trnid", "val": "valid", "test": "tstid"}


def _loadmat(path: Path, key: str) -> np.ndarray:
    from scipy.io import loadmat

    try:
        content = loadmat(path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: file is missing") from None
    except Exception as e:  # scipy raises ValueError, TypeError, OSError ... for corrupt files
        raise DatasetError(f"{path}: not a readable MATLAB file ({type(e).__name__}: {e})") from None
    if key not in content:
        fields = sorted(k for k in content if not k.startswith("__"))
        raise DatasetError(f"{path}: variable {key!r} is missing (variables: {fields})")
    arr = np.asarray(content[key]).ravel()
    if not np.issubdtype(arr.dtype, np.number) or not np.all(arr == np.round(arr)):
        raise DatasetError(f"{path}: variable {key!r} must hold integers, got {arr.dtype}")
    return arr.astype(np.int64)


def read_flowers(
    images: str | os.PathLike,
    labels_mat: str | os.PathLike,
    setid_mat: str | os.PathLike,
    *,
    split: str,
    num_classes: int,
) -> tuple[list[str], np.ndarray]:
    """Paths and labels (0-based) of one split.

    Raises:
        DatasetError: naming the file and entry for out-of-range labels or ids,
            or a missing image.
    """
    images, labels_mat, setid_mat = Path(images), Path(labels_mat), Path(setid_mat)
    if split not in _SPLIT_KEYS:
        raise ValueError(f"flowers102 has splits {list(_SPLIT_KEYS)}, not {split!r}")
    labels = _loadmat(labels_mat, "labels")
    bad = np.flatnonzero((labels < 1) | (labels > num_classes))
    if bad.size:
        raise DatasetError(
            f"{labels_mat}: entry {bad[0] + 1} of 'labels' is {labels[bad[0]]}, outside the class range 1..{num_classes}"
        )
    key = _SPLIT_KEYS[split]
    ids = _loadmat(setid_mat, key)
    bad = np.flatnonzero((ids < 1) | (ids > labels.shape[0]))
    if bad.size:
        raise DatasetError(
            f"{setid_mat}: entry {bad[0] + 1} of {key!r} is image id {ids[bad[0]]}, but {labels_mat.name} "
            f"labels images 1..{labels.shape[0]}"
        )
    paths = [str(images / f"image_{i:05d}.jpg") for i in ids]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise DatasetError(
            f"{missing[0]}: image listed in {setid_mat.name} ({key}) is missing ({len(missing)} missing in all)"
        )
    return paths, labels[ids - 1] - 1


FLOWERS102 = DatasetInfo(
    name="flowers102",
    title="Oxford 102 Flowers",
    task="classification",
    classes=package_lines("flowers102_classes.txt"),
    splits={"train": 1_020, "val": 1_020, "test": 6_149},
    image_size=None,
    channels=3,
    license="no licence stated; free for research, cite the paper",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
    citation=(
        "M.-E. Nilsback and A. Zisserman. Automated flower classification over a large number "
        "of classes. Indian Conference on Computer Vision, Graphics and Image Processing, 2008."
    ),
    files=(
        DataFile(
            "102flowers.tgz",
            urls=(
                "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz",
                "https://thor.robots.ox.ac.uk/datasets/flowers-102/102flowers.tgz",
            ),
            size=344_862_509,
            md5="52808999861908f626f3c1f4e79d11fa",
            extracted="jpg",
        ),
        DataFile(
            "imagelabels.mat",
            urls=(
                "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/imagelabels.mat",
                "https://thor.robots.ox.ac.uk/datasets/flowers-102/imagelabels.mat",
            ),
            md5="e0620be6f572b9609742df49c70aed4d",
        ),
        DataFile(
            "setid.mat",
            urls=(
                "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/setid.mat",
                "https://thor.robots.ox.ac.uk/datasets/flowers-102/setid.mat",
            ),
            md5="a5357ecc9cb78c4bef273ce3793fc85c",
        ),
    ),
    description=(
        "8,189 flower photographs of 102 species: jpg/image_%05d.jpg, the labels (1..102) in "
        "imagelabels.mat and the official train/val/test image ids (trnid, valid, tstid) in "
        "setid.mat. Class names follow the order of the labels."
    ),
)


@register_dataset(FLOWERS102)
def load_flowers(
    info: DatasetInfo, split: str, *, root: str | os.PathLike | None, download: bool, transform: Transform | None
) -> VisionDataset:
    """The jpg folder (or 102flowers.tgz) with the labels and the official split ids."""
    found = fetch_files(info, split=split, root=root, download=download)
    images = archive_member(found["102flowers.tgz"], root=root, info=info)
    paths, labels = read_flowers(
        images, found["imagelabels.mat"].path, found["setid.mat"].path, split=split, num_classes=info.num_classes
    )
    return ImageFileDataset(paths, torch.from_numpy(labels), info=info, split=split, transform=transform)
