"""The IDX format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 TYPE NDIM``, then NDIM
big-endian uint32 sizes, then the values in row-major order. Images are
``0x00000803`` (uint8, 3 dims: count, rows, columns), labels ``0x00000801``
(uint8, 1 dim). Files may be gzip-compressed (detected by content, not name).
The whole buffer is read once and viewed with numpy: no per-image Python.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from ._base import TensorImageDataset, Transform, VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import fetch_files

# IDX type byte -> big-endian numpy dtype.
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | os.PathLike) -> bytes:
    """The content of ``path``, decompressed when it is gzip.

    Raises:
        DatasetError: naming the file, for a truncated or corrupt gzip stream.
    """
    raw = Path(path).read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    # zlib straight away (gzip wrapper, CRC and length checked) is about a third
    # faster than gzip.decompress; files with several gzip members take the slow path.
    d = zlib.decompressobj(wbits=31)
    try:
        out = d.decompress(raw)
        if d.unused_data:
            return gzip.decompress(raw)
    except (gzip.BadGzipFile, zlib.error, EOFError, OSError) as e:
        raise DatasetError(f"{path}: corrupt gzip data ({e}); fetch the file again") from None
    if not d.eof:
        raise DatasetError(
            f"{path}: truncated gzip stream (the file ends before the end-of-stream marker); "
            "the file is incomplete, fetch it again"
        )
    return out


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read any IDX file into a numpy array of its declared shape and type.

    Args:
        path: an IDX file, gzip-compressed or not.

    Returns:
        Array of shape (d0, d1, ...) as the header declares, native byte order
        (a zero-copy view for uint8 data).

    Raises:
        DatasetError: for a wrong magic number, an unknown type, or a data size
            that disagrees with the header (truncated or padded file).
    """
    buf = read_bytes(path)
    if len(buf) < 4:
        raise DatasetError(f"{path}: {len(buf)} bytes, too short for an IDX header")
    zero, type_code, ndim = struct.unpack(">HBB", buf[:4])
    magic = int.from_bytes(buf[:4], "big")
    if zero != 0 or type_code not in _IDX_TYPES or ndim == 0:
        raise DatasetError(
            f"{path}: magic number 0x{magic:08x} is not an IDX header "
            "(expected 0x0000TTDD: two zero bytes, a type byte in 08/09/0B/0C/0D/0E, the number of dimensions)"
        )
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise DatasetError(f"{path}: truncated IDX header ({len(buf)} bytes, {header} needed for {ndim} dimensions)")
    dims = struct.unpack(f">{ndim}I", buf[4:header])
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(buf) - header
    if actual != expected:
        kind = "truncated" if actual < expected else "has trailing bytes"
        raise DatasetError(
            f"{path}: header declares shape {dims} ({expected} bytes of {dtype.name} data) but the file "
            f"holds {actual} bytes after the header: the file {kind}"
        )
    arr = np.frombuffer(buf, dtype=dtype, offset=header).reshape(dims)
    return arr if dtype.itemsize == 1 else arr.astype(dtype.newbyteorder("="))


def read_idx_images(path: str | os.PathLike) -> torch.Tensor:
    """Read an IDX image file (magic 0x00000803) to uint8 (N, 1, H, W)."""
    arr = read_idx(path)
    if arr.dtype != np.uint8 or arr.ndim != 3:
        raise DatasetError(
            f"{path}: expected an IDX image file (magic 0x00000803: uint8, 3 dimensions), "
            f"got {arr.dtype.name} with shape {arr.shape}"
        )
    return torch.from_numpy(arr.copy()).unsqueeze(1)


def read_idx_labels(path: str | os.PathLike, *, num_classes: int) -> torch.Tensor:
    """Read an IDX label file (magic 0x00000801) to int64 (N,), checking the class range."""
    arr = read_idx(path)
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise DatasetError(
            f"{path}: expected an IDX label file (magic 0x00000801: uint8, 1 dimension), "
            f"got {arr.dtype.name} with shape {arr.shape}"
        )
    bad = np.flatnonzero(arr >= num_classes)
    if bad.size:
        raise DatasetError(
            f"{path}: record {bad[0]} has label {arr[bad[0]]}, outside the class range 0..{num_classes - 1} "
            f"({bad.size} such records)"
        )
    return torch.from_numpy(arr.astype(np.int64))


def load_idx_pair(
    images: str | os.PathLike, labels: str | os.PathLike, *, num_classes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Read a matching pair of image and label files.

    Returns:
        ``data`` uint8 (N, 1, H, W) and ``targets`` int64 (N,).

    Raises:
        DatasetError: when either file is malformed or their counts disagree.
    """
    data = read_idx_images(images)
    targets = read_idx_labels(labels, num_classes=num_classes)
    if data.shape[0] != targets.shape[0]:
        raise DatasetError(
            f"{images} holds {data.shape[0]} images but {labels} holds {targets.shape[0]} labels; "
            "the two files must come from the same split"
        )
    return data, targets


def _idx_files(bases: tuple[str, ...], names_md5_size: tuple[tuple[str, str, int, str], ...]) -> tuple[DataFile, ...]:
    return tuple(
        DataFile(name, urls=tuple(b + name for b in bases), size=size, md5=md5, splits=(split,))
        for name, md5, size, split in names_md5_size
    )


_MNIST_LIKE_NOTE = (
    "Four IDX files (big-endian header, then raw uint8 pixels), gzip-compressed as "
    "published; the decompressed files are accepted as well."
)

MNIST = DatasetInfo(
    name="mnist",
    title="MNIST handwritten digits",
    task="classification",
    classes=tuple(str(i) for i in range(10)),
    splits={"train": 60_000, "test": 10_000},
    image_size=(28, 28),
    channels=1,
    license="CC BY-SA 3.0 (as stated by the data set's maintainers)",
    homepage="http://yann.lecun.com/exdb/mnist/",
    citation=(
        "Y. LeCun, L. Bottou, Y. Bengio and P. Haffner. Gradient-based learning applied to "
        "document recognition. Proceedings of the IEEE, 86(11):2278-2324, 1998."
    ),
    files=_idx_files(
        (
            "http://yann.lecun.com/exdb/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        (
            ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422, "train"),
            ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28_881, "train"),
            ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1_648_877, "test"),
            ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4_542, "test"),
        ),
    ),
    description="70,000 grey 28x28 images of handwritten digits 0-9. " + _MNIST_LIKE_NOTE,
)

FASHION_MNIST = DatasetInfo(
    name="fashion-mnist",
    title="Fashion-MNIST (Zalando article images)",
    task="classification",
    classes=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    splits={"train": 60_000, "test": 10_000},
    image_size=(28, 28),
    channels=1,
    license="MIT",
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    citation=(
        "H. Xiao, K. Rasul and R. Vollgraf. Fashion-MNIST: a Novel Image Dataset for "
        "Benchmarking Machine Learning Algorithms. arXiv:1708.07747, 2017."
    ),
    files=_idx_files(
        (
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        (
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880, "train"),
            ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29_515, "train"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4_422_102, "test"),
            ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5_148, "test"),
        ),
    ),
    description=(
        "70,000 grey 28x28 images of clothing in 10 classes, a drop-in replacement for MNIST. "
        + _MNIST_LIKE_NOTE
        + " Debian's package dataset-fashion-mnist installs them under "
        "/usr/share/datasets/fashion-mnist/ (recompressed without the gzip file name, so "
        "the .gz bytes differ from the published md5 while the data are the same)."
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)


@register_dataset(MNIST, FASHION_MNIST)
def load_mnist_like(
    info: DatasetInfo, split: str, *, root: str | os.PathLike | None, download: bool, transform: Transform | None
) -> VisionDataset:
    """MNIST or Fashion-MNIST: the split's image and label IDX files, in memory."""
    found = fetch_files(info, split=split, root=root, download=download)
    prefix = "train" if split == "train" else "t10k"
    data, targets = load_idx_pair(
        found[f"{prefix}-images-idx3-ubyte.gz"].path,
        found[f"{prefix}-labels-idx1-ubyte.gz"].path,
        num_classes=info.num_classes,
    )
    return TensorImageDataset(data, targets, info=info, split=split, transform=transform)
