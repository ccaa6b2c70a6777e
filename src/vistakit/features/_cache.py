"""The one feature cache: rows of features by item index, under one key, in one ``.npz`` file.

The key (:func:`feature_key`) says what made the features: the model, its weights, the
preprocessing and the data (:func:`files_fingerprint` of a file list,
:func:`dataset_fingerprint` of a data set), plus what else the caller tells apart (a
split). A file holding another key is never read back: it is replaced by the next write.

File format (:class:`FeatureCache`): an ``.npz`` with ``key`` (the key as JSON),
``index`` ((M,) int64, the items' indices, sorted) and one array per stored quantity
with M rows (``features``, ``probs``, ``labels``, ...); it loads without pickle and is
written atomically (:func:`vistakit._files.atomic_write`). Rows missing from the file
are computed and added, so a larger subset of the same data reuses every row already
there.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Subset, TensorDataset

from .._files import atomic_write


def feature_key(
    *, model: str, weights: str | None, preprocessing: Mapping[str, Any], data: str, **extra: Any
) -> dict[str, Any]:
    """The key cached features are stored under: what made them.

    Args:
        model: the model's name.
        weights: what identifies its weights (a tag, a file, :func:`module_fingerprint`), None for none.
        preprocessing: everything done to an image before the network (sizes, interpolation, mean, std).
        data: the data's fingerprint (:func:`files_fingerprint`, :func:`dataset_fingerprint`).
        **extra: anything else the caller tells apart (``split=``).

    Returns:
        The key as a JSON-compatible dict (tuples become lists), equal to itself read back.
    """
    key = {"model": model, "weights": weights, "preprocessing": dict(preprocessing), "data": data, **extra}
    return json.loads(json.dumps(key, sort_keys=True))


def key_digest(key: Mapping[str, Any]) -> str:
    """A 32-hex-digit name for ``key`` (sha256 of its sorted JSON)."""
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]


def files_fingerprint(files: Sequence[str | os.PathLike]) -> str:
    """sha256 over each file's resolved path, size and modification time, in order."""
    h = hashlib.sha256()
    for f in files:
        p = Path(f)
        st = p.stat()
        h.update(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def module_fingerprint(module: nn.Module, *, name: str = "") -> str:
    """sha256 over ``name`` and every tensor of ``module``'s state dict: two networks that differ
    in any weight never share cached features."""
    h = hashlib.sha256(name.encode())
    for key, t in module.state_dict().items():
        h.update(key.encode())
        h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def dataset_fingerprint(dataset: Any) -> str:
    """What identifies a data set's images, cheaply.

    In-memory images (a two-tensor ``TensorDataset``, or tensor ``data`` with ``targets``):
    their shape, every target and every ``N // 64``-th image; images read from files
    (``paths``): :func:`files_fingerprint` of them; anything else: its type and length.
    The type, the length and the class of a per-item ``transform`` are always included.
    A :class:`~torch.utils.data.Subset` is fingerprinted as the data set it views plus
    its indices.
    """
    h = hashlib.sha256()
    if isinstance(dataset, Subset):
        h.update(dataset_fingerprint(dataset.dataset).encode())
        h.update(np.asarray(list(dataset.indices), np.int64).tobytes())
        return h.hexdigest()[:16]
    transform = getattr(dataset, "transform", None)
    h.update(f"{type(dataset).__name__}:{len(dataset)}:{type(transform).__name__ if transform else ''}".encode())
    if isinstance(dataset, TensorDataset):
        images, targets = dataset.tensors[0], dataset.tensors[-1]
    else:
        images, targets = getattr(dataset, "data", None), getattr(dataset, "targets", None)
    paths = getattr(dataset, "paths", None)
    if isinstance(images, torch.Tensor):
        h.update(str(tuple(images.shape)).encode())
        if targets is not None:
            h.update(torch.as_tensor(targets).numpy().tobytes())
        step = max(1, len(images) // 64)
        h.update(images[::step].contiguous().numpy().tobytes())
    elif paths is not None:
        h.update(files_fingerprint(list(paths)).encode())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class CachedRows:
    """What a cache file holds.

    Attributes:
        key: the key the rows were made under.
        index: (M,) int64 item indices, sorted.
        arrays: each stored quantity, (M, ...) rows in the order of ``index``.
    """

    key: dict[str, Any]
    index: np.ndarray
    arrays: dict[str, np.ndarray]


class FeatureCache:
    """Rows of features by item index, under one key, in one ``.npz`` file (see the module doc).

    Args:
        path: the cache file (``.npz``); None keeps nothing (every row is computed), so
            callers have one code path with or without a cache.
        key: what made the features (:func:`feature_key`).
        arrays: the quantities stored per item; a file lacking one of them is not used.

    Example:
        >>> cache = FeatureCache.in_folder(folder, feature_key(model=..., weights=..., preprocessing=..., data=...))
        >>> rows, computed = cache.rows(indices, lambda missing: {"features": embed(missing)})
    """

    def __init__(
        self, path: str | os.PathLike | None, key: Mapping[str, Any], *, arrays: Sequence[str] = ("features",)
    ) -> None:
        self.path = None if path is None else Path(path)
        if self.path is not None and self.path.suffix != ".npz":
            raise ValueError(f"{self.path}: feature caches are .npz files")
        self.key = json.loads(json.dumps(dict(key), sort_keys=True))
        self.arrays = tuple(arrays)

    @classmethod
    def in_folder(
        cls,
        folder: str | os.PathLike,
        key: Mapping[str, Any],
        *,
        prefix: str = "features",
        arrays: Sequence[str] = ("features",),
    ) -> FeatureCache:
        """A cache file in ``folder`` named by the key's digest: ``{prefix}_{key_digest(key)}.npz``."""
        return cls(Path(folder) / f"{prefix}_{key_digest(key)}.npz", key, arrays=arrays)

    @staticmethod
    def load(path: str | os.PathLike) -> CachedRows:
        """Read a cache file, whatever its key.

        Raises:
            ValueError: not a feature cache file (naming the file and what is wrong).
        """
        path = Path(path)
        try:
            z = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: not a readable feature cache ({type(e).__name__}: {e})") from None
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ValueError(f"{path}: not a feature cache (a single array, not an .npz archive)")
        with z:
            if "key" not in z or "index" not in z:
                raise ValueError(f"{path}: not a feature cache (no 'key' or 'index' array)")
            try:
                key = json.loads(str(z["key"]))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: the cache key is not JSON ({e})") from None
            index = z["index"].astype(np.int64)
            arrays = {k: z[k] for k in z.files if k not in ("key", "index")}
        for name, a in arrays.items():
            if len(a) != len(index):
                raise ValueError(f"{path}: array {name!r} has {len(a)} rows for {len(index)} indices")
        return CachedRows(key, index, arrays)

    def read(self) -> CachedRows | None:
        """The rows stored under this key; None when the file is missing, unreadable, holds
        another key or lacks one of :attr:`arrays`."""
        if self.path is None or not self.path.is_file():
            return None
        try:
            stored = self.load(self.path)
        except ValueError:
            return None
        if stored.key != self.key or any(a not in stored.arrays for a in self.arrays):
            return None
        return CachedRows(stored.key, stored.index, {a: stored.arrays[a] for a in self.arrays})

    def write(self, index: np.ndarray, arrays: Mapping[str, np.ndarray]) -> Path | None:
        """Replace the file with these rows under this key (atomically); rows are sorted by index.

        Returns:
            The file written (None for a cache without a file).
        """
        index = np.asarray(index, np.int64)
        order = np.argsort(index, kind="stable")
        missing = [a for a in self.arrays if a not in arrays]
        if missing:
            raise ValueError(f"{self.path}: rows lack the array(s) {missing}")
        for name in self.arrays:
            if len(arrays[name]) != len(index):
                raise ValueError(f"{self.path}: array {name!r} has {len(arrays[name])} rows for {len(index)} indices")
        if self.path is None:
            return None
        buf = io.BytesIO()
        np.savez(
            buf,
            key=np.array(json.dumps(self.key, sort_keys=True)),
            index=index[order],
            **{a: np.asarray(arrays[a])[order] for a in self.arrays},
        )
        return atomic_write(self.path, buf.getvalue())

    def rows(
        self, indices: Sequence[int] | np.ndarray, compute: Callable[[np.ndarray], Mapping[str, np.ndarray]]
    ) -> tuple[dict[str, np.ndarray], int]:
        """The rows of ``indices``: those in the file reused, the others computed and added.

        Args:
            indices: item indices, in the order wanted (repeats allowed).
            compute: ``compute(missing)`` -> each of :attr:`arrays` for the sorted, unique
                ``missing`` indices, one row per index.

        Returns:
            ``(arrays in the order of indices, number of rows computed now)``.
        """
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if not len(indices):
            raise ValueError(f"feature cache {self.path}: no items asked for")
        have = self.read()
        have_idx = have.index if have is not None else np.zeros(0, np.int64)
        missing = np.setdiff1d(indices, have_idx)  # sorted, unique; not empty unless all rows are in the file
        if not len(missing):
            stored_idx, stored = have_idx, have.arrays
        else:
            new = compute(missing)
            for name in self.arrays:
                if name not in new or len(new[name]) != len(missing):
                    got = "nothing" if name not in new else f"{len(new[name])} rows"
                    raise ValueError(
                        f"feature cache {self.path}: computing {len(missing)} rows gave {got} for {name!r}"
                    )
            stored_idx = np.concatenate([have_idx, missing])
            order = np.argsort(stored_idx, kind="stable")
            stored_idx = stored_idx[order]
            stored = {
                name: np.concatenate(([have.arrays[name]] if have is not None else []) + [np.asarray(new[name])])[order]
                for name in self.arrays
            }
            self.write(stored_idx, stored)
        pos = np.searchsorted(stored_idx, indices)
        return {name: a[pos] for name, a in stored.items()}, int(len(missing))
