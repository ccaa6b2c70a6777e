"""Writers of small files in the real formats of each data set, for the reader tests.

They are written from the format descriptions (struct, pickle, scipy.io,
Pillow, plain text), independently of the readers under test.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image


def idx_bytes(arr: np.ndarray, *, type_code: int = 0x08) -> bytes:
    """An IDX file: 0x0000, type byte, ndim, big-endian uint32 dims, big-endian data."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    header = struct.pack(">HBB", 0, type_code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + np.ascontiguousarray(arr, dtype=dtype).tobytes()


def write_idx(path: Path, arr: np.ndarray, *, compress: bool = True, type_code: int = 0x08) -> Path:
    data = idx_bytes(arr, type_code=type_code)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_mnist_like(folder: Path, *, n_train: int = 30, n_test: int = 12, seed: int = 0, compress: bool = True):
    """The four files of MNIST/Fashion-MNIST; returns {split: (images (N,28,28), labels (N,))}."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        ext = ".gz" if compress else ""
        write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images, compress=compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels, compress=compress)
        out[split] = (images, labels)
    return out


def cifar_batch(data: np.ndarray, labels: dict[str, list[int]], name: str) -> bytes:
    """A batch pickled as the CIFAR python files are: a dict with byte-string keys, protocol 2."""
    batch = {b"batch_label": name.encode(), b"data": data, b"filenames": [f"img_{i}.png".encode() for i in range(len(data))]}
    batch.update({k.encode(): v for k, v in labels.items()})
    return pickle.dumps(batch, protocol=2)


def write_cifar(folder: Path, *, variant: str, classes, coarse=(), per_batch: int = 4, seed: int = 0, archive: bool = False):
    """The CIFAR python folder (or its .tar.gz); returns {split: (data (N,3072), {labelkey: labels})}."""
    rng = np.random.default_rng(seed)
    top = "cifar-10-batches-py" if variant == "cifar10" else "cifar-100-python"
    files: dict[str, bytes] = {}
    out = {}
    if variant == "cifar10":
        files["batches.meta"] = pickle.dumps({b"label_names": [c.encode() for c in classes], b"num_vis": 3072}, protocol=2)
        layout = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    else:
        files["meta"] = pickle.dumps(
            {b"fine_label_names": [c.encode() for c in classes], b"coarse_label_names": [c.encode() for c in coarse]}, protocol=2
        )
        layout = {"train": ["train"], "test": ["test"]}
    for split, names in layout.items():
        datas, labels = [], {}
        for name in names:
            data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
            if variant == "cifar10":
                lab = {"labels": rng.integers(0, len(classes), per_batch).tolist()}
            else:
                lab = {"fine_labels": rng.integers(0, len(classes), per_batch).tolist(),
                       "coarse_labels": rng.integers(0, len(coarse), per_batch).tolist()}
            files[name] = cifar_batch(data, lab, name)
            datas.append(data)
            for k, v in lab.items():
                labels.setdefault(k, []).extend(v)
        out[split] = (np.concatenate(datas), labels)
    if archive:
        folder.mkdir(parents=True, exist_ok=True)
        name = "cifar-10-python.tar.gz" if variant == "cifar10" else "cifar-100-python.tar.gz"
        with tarfile.open(folder / name, "w:gz") as tf:
            for fname, data in files.items():
                info = tarfile.TarInfo(f"{top}/{fname}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    else:
        (folder / top).mkdir(parents=True, exist_ok=True)
        for fname, data in files.items():
            (folder / top / fname).write_bytes(data)
    return out


def write_image(path: Path, pixels: np.ndarray) -> Path:
    """An image file (format from the extension) from (H, W, 3) or (H, W) uint8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def solid(value: int, size=(6, 5), channels: int = 3) -> np.ndarray:
    """A (H, W, C) uint8 image whose pixels are value, value+1, ... (distinct per value)."""
    h, w = size
    base = (np.arange(h * w * channels).reshape(h, w, channels) + value) % 256
    return base.astype(np.uint8)
