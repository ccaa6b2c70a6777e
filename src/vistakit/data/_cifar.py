"""The python version of CIFAR-10 and CIFAR-100.

Each batch file is a Python 2 pickle of a dict: ``data`` a (N, 3072) uint8
array (1024 red, 1024 green, then 1024 blue values of a 32x32 image, row-major),
``labels`` (CIFAR-10) or ``fine_labels`` and ``coarse_labels`` (CIFAR-100).
``batches.meta`` / ``meta`` hold the class names.

Pickles can run code when loaded, so they are read with an unpickler that
only accepts plain containers and numpy arrays.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..structures import Sample
from ._base import TensorImageDataset, Transform, VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, fetch_files

_CIFAR10_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_SPLIT_FILES = {
    "cifar10": {"train": _CIFAR10_TRAIN, "test": ("test_batch",)},
    "cifar100": {"train": ("train",), "test": ("test",)},
}
_META = {"cifar10": "batches.meta", "cifar100": "meta"}

# The globals a numpy array pickle needs, under their numpy 1 and numpy 2 module names,
# and _codecs.encode, which protocol-2 pickles written by Python 3 use for bytes
# (it only turns a str into bytes with a codec).
_ALLOWED = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _SafeUnpickler(pickle.Unpickler):
    """Unpickles containers, numbers, strings and numpy arrays, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a data file")
        if module.startswith("numpy.core") and hasattr(np, "_core"):
            module = module.replace("numpy.core", "numpy._core", 1)
        return getattr(importlib.import_module(module), name)


def load_pickle(path: str | os.PathLike) -> dict[str, Any]:
    """Load a CIFAR pickle safely; keys come back as ``str``.

    Raises:
        DatasetError: naming the file, when it is not a readable dict pickle or
            asks for anything but plain data.
    """
    try:
        raw = Path(path).read_bytes()
        obj = _SafeUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except FileNotFoundError:
        raise DatasetError(f"{path}: batch file is missing") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise DatasetError(f"{path}: not a readable CIFAR pickle ({type(e).__name__}: {e})") from None
    if not isinstance(obj, dict):
        raise DatasetError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _field(batch: dict[str, Any], key: str, path: Path) -> Any:
    if key not in batch:
        raise DatasetError(f"{path}: field {key!r} is missing (fields: {sorted(batch)})")
    return batch[key]


def _labels(batch: dict[str, Any], key: str, path: Path, n: int, num_classes: int) -> np.ndarray:
    labels = np.asarray(_field(batch, key, path))
    if labels.ndim != 1 or labels.shape[0] != n or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(
            f"{path}: field {key!r} must hold {n} integer labels (one per image), got {labels.dtype} {labels.shape}"
        )
    bad = np.flatnonzero((labels < 0) | (labels >= num_classes))
    if bad.size:
        raise DatasetError(
            f"{path}: record {bad[0]} field {key!r} has label {labels[bad[0]]}, outside 0..{num_classes - 1}"
        )
    return labels.astype(np.int64)


def _names(meta: dict[str, Any], key: str, path: Path) -> list[str]:
    names = _field(meta, key, path)
    return [n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names]


def read_cifar(
    folder: str | os.PathLike,
    *,
    variant: str,
    split: str,
    classes: tuple[str, ...],
    coarse_classes: tuple[str, ...] = (),
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Read one split of an extracted CIFAR folder.

    Args:
        folder: ``cifar-10-batches-py`` or ``cifar-100-python``.
        variant: ``cifar10`` or ``cifar100``.
        split: ``train`` or ``test``.
        classes: class names in the official order; the meta file must agree.
        coarse_classes: CIFAR-100 coarse names; the meta file must agree.

    Returns:
        ``data`` uint8 (N, 3, 32, 32) and the label tensors (N,) int64 by name:
        ``labels`` for CIFAR-10, ``fine_labels`` and ``coarse_labels`` for CIFAR-100.

    Raises:
        DatasetError: naming the file, the record and the field that is wrong.
    """
    folder = Path(folder)
    meta_path = folder / _META[variant]
    meta = load_pickle(meta_path)
    label_keys = (
        {"labels": classes} if variant == "cifar10" else {"fine_labels": classes, "coarse_labels": coarse_classes}
    )
    for key, expected in label_keys.items():
        names_key = {"labels": "label_names", "fine_labels": "fine_label_names", "coarse_labels": "coarse_label_names"}[
            key
        ]
        names = _names(meta, names_key, meta_path)
        if tuple(names) != tuple(expected):
            raise DatasetError(
                f"{meta_path}: field {names_key!r} lists {names[:5]}... ({len(names)} names), "
                f"expected the official {len(expected)} names {list(expected[:5])}..."
            )
    chunks: list[np.ndarray] = []
    labels: dict[str, list[np.ndarray]] = {k: [] for k in label_keys}
    for name in _SPLIT_FILES[variant][split]:
        path = folder / name
        batch = load_pickle(path)
        data = np.asarray(_field(batch, "data", path))
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise DatasetError(
                f"{path}: field 'data' must be uint8 (N, 3072) (32x32 RGB planes), got {data.dtype} {data.shape}"
            )
        chunks.append(data)
        for key, names in label_keys.items():
            labels[key].append(_labels(batch, key, path, data.shape[0], len(names)))
    images = torch.from_numpy(np.concatenate(chunks).reshape(-1, 3, 32, 32))
    return images, {k: torch.from_numpy(np.concatenate(v)) for k, v in labels.items()}


_CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

CIFAR10 = DatasetInfo(
    name="cifar10",
    title="CIFAR-10",
    task="classification",
    classes=_CIFAR10_CLASSES,
    splits={"train": 50_000, "test": 10_000},
    image_size=(32, 32),
    channels=3,
    license="no licence stated; free for research, cite the technical report",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    citation="A. Krizhevsky. Learning Multiple Layers of Features from Tiny Images. Technical report, University of Toronto, 2009.",
    files=(
        DataFile(
            "cifar-10-python.tar.gz",
            urls=("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
            size=170_498_071,
            md5="c58f30108f718f92721af3b95e74349a",
            extracted="cifar-10-batches-py",
        ),
    ),
    description=(
        "60,000 colour 32x32 images in 10 classes. The python version: five training "
        "batches and one test batch, each a pickled dict with a (10000, 3072) uint8 'data' "
        "array (R, G, B planes) and a list of 'labels'; batches.meta names the classes."
    ),
)

_CIFAR100_FINE = (
    "apple",
    "aquarium_fish",
    "baby",
    "bear",
    "beaver",
    "bed",
    "bee",
    "beetle",
    "bicycle",
    "bottle",
    "bowl",
    "boy",
    "bridge",
    "bus",
    "butterfly",
    "camel",
    "can",
    "castle",
    "caterpillar",
    "cattle",
    "chair",
    "chimpanzee",
    "clock",
    "cloud",
    "cockroach",
    "couch",
    "crab",
    "crocodile",
    "cup",
    "dinosaur",
    "dolphin",
    "elephant",
    "flatfish",
    "forest",
    "fox",
    "girl",
    "hamster",
    "house",
    "kangaroo",
    "keyboard",
    "lamp",
    "lawn_mower",
    "leopard",
    "lion",
    "lizard",
    "lobster",
    "man",
    "maple_tree",
    "motorcycle",
    "mountain",
    "mouse",
    "mushroom",
    "oak_tree",
    "orange",
    "orchid",
    "otter",
    "palm_tree",
    "pear",
    "pickup_truck",
    "pine_tree",
    "plain",
    "plate",
    "poppy",
    "porcupine",
    "possum",
    "rabbit",
    "raccoon",
    "ray",
    "road",
    "rocket",
    "rose",
    "sea",
    "seal",
    "shark",
    "shrew",
    "skunk",
    "skyscraper",
    "snail",
    "snake",
    "spider",
    "squirrel",
    "streetcar",
    "sunflower",
    "sweet_pepper",
    "table",
    "tank",
    "telephone",
    "television",
    "tiger",
    "tractor",
    "train",
    "trout",
    "tulip",
    "turtle",
    "wardrobe",
    "whale",
    "willow_tree",
    "wolf",
    "woman",
    "worm",
)
_CIFAR100_COARSE = (
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
)

CIFAR100_INFO = DatasetInfo(
    name="cifar100",
    title="CIFAR-100",
    task="classification",
    classes=_CIFAR100_FINE,
    splits={"train": 50_000, "test": 10_000},
    image_size=(32, 32),
    channels=3,
    license="no licence stated; free for research, cite the technical report",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    citation=CIFAR10.citation,
    files=(
        DataFile(
            "cifar-100-python.tar.gz",
            urls=("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",),
            size=169_001_437,
            md5="eb9058c3a382ffc7106e4002c42a8d85",
            extracted="cifar-100-python",
        ),
    ),
    description=(
        "60,000 colour 32x32 images in 100 fine classes grouped into 20 coarse ones. Pickled "
        "'train' and 'test' dicts with 'data', 'fine_labels' and 'coarse_labels'; 'meta' names both."
    ),
    other_labels={"coarse": _CIFAR100_COARSE},
)


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

    def get_sample(self, index: int) -> Sample:
        """As :meth:`VisionDataset.get_sample`, with both label sets in ``meta``
        (``fine_label``, ``coarse_label``)."""
        sample = super().get_sample(index)
        i = sample.meta["index"]
        sample.meta["fine_label"] = int(self.fine_targets[i])
        sample.meta["coarse_label"] = int(self.coarse_targets[i])
        return sample


@register_dataset(CIFAR10, CIFAR100_INFO)
def load_cifar(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Transform | None,
    label: str = "fine",
) -> VisionDataset:
    """CIFAR-10 or CIFAR-100 (``label="fine"|"coarse"`` picks CIFAR-100's label set)."""
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
