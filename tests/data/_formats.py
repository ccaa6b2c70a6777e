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
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import savemat


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
    batch = {
        b"batch_label": name.encode(),
        b"data": data,
        b"filenames": [f"img_{i}.png".encode() for i in range(len(data))],
    }
    batch.update({k.encode(): v for k, v in labels.items()})
    return pickle.dumps(batch, protocol=2)


def write_cifar(
    folder: Path, *, variant: str, classes, coarse=(), per_batch: int = 4, seed: int = 0, archive: bool = False
):
    """The CIFAR python folder (or its .tar.gz); returns {split: (data (N,3072), {labelkey: labels})}."""
    rng = np.random.default_rng(seed)
    top = "cifar-10-batches-py" if variant == "cifar10" else "cifar-100-python"
    files: dict[str, bytes] = {}
    out = {}
    if variant == "cifar10":
        files["batches.meta"] = pickle.dumps(
            {b"label_names": [c.encode() for c in classes], b"num_vis": 3072}, protocol=2
        )
        layout = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    else:
        files["meta"] = pickle.dumps(
            {b"fine_label_names": [c.encode() for c in classes], b"coarse_label_names": [c.encode() for c in coarse]},
            protocol=2,
        )
        layout = {"train": ["train"], "test": ["test"]}
    for split, names in layout.items():
        datas, labels = [], {}
        for name in names:
            data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
            if variant == "cifar10":
                lab = {"labels": rng.integers(0, len(classes), per_batch).tolist()}
            else:
                lab = {
                    "fine_labels": rng.integers(0, len(classes), per_batch).tolist(),
                    "coarse_labels": rng.integers(0, len(coarse), per_batch).tolist(),
                }
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


CELEBA_N = 7
CELEBA_PARTITION = [0, 0, 1, 2, 0, 2, 1]


def write_celeba(root, *, attributes, seed=0, attr_rows=None, zip_images=False):
    """CelebA's five annotation files and img_align_celeba/ (or its zip) for CELEBA_N images.

    Returns the true targets by type: attr 0/1 (CELEBA_N, 40), identity (CELEBA_N,), bbox (CELEBA_N, 4), landmarks (CELEBA_N, 10).
    """
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    names = [f"{i:06d}.jpg" for i in range(1, CELEBA_N + 1)]
    attr = rng.choice([-1, 1], size=(CELEBA_N, 40))
    ident = rng.integers(1, 10177, CELEBA_N)
    bbox = rng.integers(0, 300, (CELEBA_N, 4))
    marks = rng.integers(0, 200, (CELEBA_N, 10))
    # The real files pad values with double spaces; keep that.
    lines = [str(CELEBA_N), " ".join(attributes) + " "] + (
        attr_rows or [f"{n} " + " ".join(f"{v:2d}" for v in row) for n, row in zip(names, attr)]
    )
    (root / "list_attr_celeba.txt").write_text("\n".join(lines) + "\n")
    (root / "identity_CelebA.txt").write_text("".join(f"{n} {i}\n" for n, i in zip(names, ident)))
    (root / "list_bbox_celeba.txt").write_text(
        f"{CELEBA_N}\nimage_id x_1 y_1 width height\n"
        + "".join(f"{n}     {' '.join(f'{v:4d}' for v in r)}\n" for n, r in zip(names, bbox))
    )
    header = "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y"
    (root / "list_landmarks_align_celeba.txt").write_text(
        f"{CELEBA_N}\n{header}\n" + "".join(f"{n} {' '.join(f'{v:4d}' for v in r)}\n" for n, r in zip(names, marks))
    )
    (root / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, p in zip(names, CELEBA_PARTITION)))
    for i, n in enumerate(names):
        write_image(root / "img_align_celeba" / n, solid(i, size=(218 // 10, 178 // 10)))
    if zip_images:
        with zipfile.ZipFile(root / "img_align_celeba.zip", "w") as zf:
            for n in names:
                zf.write(root / "img_align_celeba" / n, f"img_align_celeba/{n}")
                (root / "img_align_celeba" / n).unlink()
        (root / "img_align_celeba").rmdir()
    return {"attr": (attr + 1) // 2, "identity": ident, "bbox": bbox, "landmarks": marks}


FLOWERS_LABELS = [3, 1, 102, 3, 7, 1, 50, 2]  # 1-based classes of images 1..8
FLOWERS_SETID = {"trnid": [2, 5], "valid": [1, 8], "tstid": [3, 4, 6, 7]}


def write_flowers(root, *, labels=FLOWERS_LABELS, setid=FLOWERS_SETID, archive=False):
    """imagelabels.mat, setid.mat and jpg/ (or 102flowers.tgz) for len(labels) images."""
    root.mkdir(parents=True, exist_ok=True)
    # Shapes as in the official files: (1, N) double rows.
    savemat(root / "imagelabels.mat", {"labels": np.array([labels], dtype=np.float64)})
    savemat(root / "setid.mat", {k: np.array([v], dtype=np.float64) for k, v in setid.items()})
    for i in range(1, len(labels) + 1):
        write_image(root / "jpg" / f"image_{i:05d}.jpg", solid(i, size=(10, 12)))
    if archive:
        with tarfile.open(root / "102flowers.tgz", "w:gz") as tf:
            tf.add(root / "jpg", arcname="jpg")
        for p in (root / "jpg").iterdir():
            p.unlink()
        (root / "jpg").rmdir()


def write_devkit(root, ilsvrc_ids_by_wnid: dict[str, int], ground_truth: list[int], *, archive: bool):
    """The ImageNet devkit's meta.mat (synsets: ILSVRC2012_ID, WNID, words, num_children) and the ground-truth file."""
    rows = [(i, w, f"words {w}", 0) for w, i in ilsvrc_ids_by_wnid.items()]
    rows.append((1001, "n00001740", "entity", 5))  # an inner node, as in the real meta.mat
    dtype = [("ILSVRC2012_ID", "O"), ("WNID", "O"), ("words", "O"), ("num_children", "O")]
    synsets = np.array(rows, dtype=dtype).reshape(-1, 1)
    meta = io.BytesIO()
    savemat(meta, {"synsets": synsets})
    gt = ("\n".join(str(g) for g in ground_truth) + "\n").encode()
    files = {
        "ILSVRC2012_devkit_t12/data/meta.mat": meta.getvalue(),
        "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt": gt,
    }
    if archive:
        with tarfile.open(root / "ILSVRC2012_devkit_t12.tar.gz", "w:gz") as tf:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    else:
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
