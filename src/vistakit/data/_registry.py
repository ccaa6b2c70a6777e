"""The one registry of data sets: each reader registers its card(s) where it is written.

::

    MNIST = DatasetInfo(name="mnist", ...)

    @register_dataset(MNIST, FASHION_MNIST)
    def load_mnist_like(info, split, *, root, download, transform) -> VisionDataset:
        ...

The card (:class:`DatasetInfo`) is the single source of truth about a data set;
the reader turns one split of its files into a dataset. :func:`list_datasets`,
:func:`dataset_info`, :func:`load_dataset` and ``vistakit datasets`` all read
this one table, so a card without a reader, or a reader without a card, cannot
exist. A reader's own options (``label=`` for CIFAR-100, ``target_type=`` for
CelebA ...) are its keyword-only parameters; :func:`load_dataset` rejects any
other option by name.
"""

from __future__ import annotations

import difflib
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ._base import Transform, VisionDataset
from ._info import DatasetInfo

#: ``reader(info, split, *, root, download, transform, **its_options) -> VisionDataset``
Reader = Callable[..., VisionDataset]

_COMMON = ("root", "download", "transform")
_SPLIT_ALIASES = {"valid": "val", "validation": "val", "training": "train", "testing": "test"}


@dataclass(frozen=True)
class _Entry:
    """One registered data set: its card, its reader and the reader's own options."""

    info: DatasetInfo
    reader: Reader
    options: tuple[str, ...]


_DATASETS: dict[str, _Entry] = {}


def _canonical(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def register_dataset(*cards: DatasetInfo) -> Callable[[Reader], Reader]:
    """Decorator registering a reader for one or more dataset cards.

    Args:
        *cards: the cards the reader reads (MNIST and Fashion-MNIST share one).

    The reader is called as ``reader(info, split, root=..., download=...,
    transform=..., **options)`` with the card of the requested data set and a
    split the card lists; ``root``, ``download`` and ``transform`` must be
    keyword-only parameters, and every further keyword-only parameter is an
    option of that data set.

    Raises:
        ValueError: a name is registered twice or is not in canonical form
            (lower case, ``-`` not ``_``).
        TypeError: the reader does not take the common keyword-only parameters.
    """
    if not cards:
        raise TypeError("register_dataset needs at least one DatasetInfo card")

    def wrap(reader: Reader) -> Reader:
        params = inspect.signature(reader).parameters
        keyword_only = [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        missing = [n for n in _COMMON if n not in keyword_only]
        if missing:
            raise TypeError(f"dataset reader {reader.__qualname__} must take keyword-only {missing}")
        options = tuple(n for n in keyword_only if n not in _COMMON)
        for card in cards:
            if card.name != _canonical(card.name):
                raise ValueError(
                    f"dataset name {card.name!r} must be lower case with '-', e.g. {_canonical(card.name)!r}"
                )
            if card.name in _DATASETS:
                raise ValueError(f"dataset {card.name!r} is registered twice")
            _DATASETS[card.name] = _Entry(card, reader, options)
        return reader

    return wrap


def _entry(name: str) -> _Entry:
    key = _canonical(name)
    if key in _DATASETS:
        return _DATASETS[key]
    squeezed = {k.replace("-", ""): k for k in _DATASETS}
    if key.replace("-", "") in squeezed:
        return _DATASETS[squeezed[key.replace("-", "")]]
    close = difflib.get_close_matches(key, list(_DATASETS), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown dataset {name!r}{hint} Known datasets: {', '.join(_DATASETS)}")


def list_datasets() -> list[str]:
    """Names of every registered data set, in registration order."""
    return list(_DATASETS)


def dataset_info(name: str) -> DatasetInfo:
    """The card of data set ``name``.

    Args:
        name: registry name; case and ``_``/``-`` do not matter (``Fashion_MNIST``).

    Raises:
        ValueError: for an unknown name (the close matches are suggested).
    """
    return _entry(name).info


def dataset_options(name: str) -> tuple[str, ...]:
    """The options :func:`load_dataset` accepts for ``name`` (the reader's own keywords)."""
    return _entry(name).options


def _check_split(info: DatasetInfo, split: str) -> str:
    split = _SPLIT_ALIASES.get(split, split)
    if info.splits and split not in info.splits:
        raise ValueError(f"{info.name} has splits {list(info.splits)}, not {split!r}")
    return split


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
        **options: per data set (see :func:`dataset_options`): ``label="fine"|"coarse"``
            (cifar100); ``target_type="attr"|"identity"|"bbox"|"landmarks"`` or a
            list of them (celeba); ``on_error="raise"|"skip"`` and ``mode="RGB"|"L"``
            (imagefolder).

    Returns:
        A ``torch.utils.data.Dataset`` of ``(image, target)`` with ``.classes``,
        ``.targets``, ``.info`` and ``get_sample(i)``. MNIST, Fashion-MNIST, CIFAR
        and digits are :class:`TensorImageDataset` holding ``.data`` (N, C, H, W) uint8.

    Raises:
        ValueError: unknown data set or split.
        TypeError: an option the data set does not take.
        DatasetError: malformed files (the message names the file and record).
        DatasetNotFoundError: files missing and not downloadable.
    """
    entry = _entry(name)
    info = entry.info
    split = _check_split(info, split)
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        takes = f"; it takes {', '.join(entry.options)}" if entry.options else ""
        raise TypeError(f"load_dataset({info.name!r}) takes no option(s) {unknown}{takes}")
    return entry.reader(info, split, root=root, download=download, transform=transform, **options)


@cache
def package_lines(filename: str) -> tuple[str, ...]:
    """The non-empty lines of a text file shipped in this package (class lists)."""
    text = resources.files(__package__).joinpath(filename).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())
