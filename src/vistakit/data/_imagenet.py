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

from ._errors import DatasetError
from .._files import list_images
from ._registry import imagenet_wnids

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
                raise DatasetError(f"{meta_path}: ILSVRC2012_ID {ilsvrc_id} has WNID {wnid!r}, not an ImageNet-1k class")
            id_to_label[ilsvrc_id] = official[wnid]
    try:
        lines = gt_path.read_text().split()
        gt = np.array(lines, dtype=np.int64)
    except FileNotFoundError:
        raise DatasetError(f"{gt_path}: missing from the devkit") from None
    except ValueError:
        bad = next(i for i, v in enumerate(lines) if not v.lstrip("-").isdigit())
        raise DatasetError(f"{gt_path}: line {bad + 1} is {lines[bad]!r}, expected an ILSVRC2012_ID (1..1000)") from None
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
            raise DatasetError(f"{folder / name}: image number {k} has no ground truth (the devkit lists {labels.shape[0]})")
        paths.append(str(folder / name))
        targets.append(int(labels[k - 1]))
    if not paths:
        raise DatasetError(f"{folder}: no validation images")
    return paths, targets


def has_wnid_folders(folder: str | os.PathLike) -> bool:
    """True when ``folder`` is laid out as ``<wnid>/<image>``."""
    return any(e.is_dir() and _WNID.match(e.name) for e in os.scandir(folder))

