"""Looking at a whole data set: statistics, unreadable files, duplicates and leaks.

Every image is hashed (BLAKE2b, 16 bytes) over its decoded pixels, so exact
duplicates inside a split and leaks between splits (the same pixels in train
and test) are found by comparing digests. In-memory data sets are hashed row
by row over one contiguous uint8 buffer; file data sets are decoded in threads
(Pillow releases the GIL while decoding).

Near duplicates between splits (``near_duplicates=True``) are images of a later
split whose embedding has a cosine similarity of at least a threshold with some
image of an earlier split, found with the exact blocked search of
:func:`vistakit.metrics.cosine_knn`. The default embedding is cheap,
fixed and offline: each image area-downsampled to 16x16 (every channel), flattened
and mean-centred over the whole image, so cosine similarity is the Pearson
correlation of the thumbnails. It ignores brightness shifts and contrast scaling
and tolerates noise, re-encoding and small resizes; it is computed in the same
decoding pass as the digests. Any other embedding (a pretrained backbone, through
:func:`vistakit.features.dataset_embedder`) can be passed as ``embed=``.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ._base import TensorImageDataset, VisionDataset
from ._errors import DatasetError
from ._imagefolder import SPLIT_NAMES
from ._registry import dataset_info, load_dataset

_CHUNK = 4096
THUMBNAIL_SIZE = 16
THUMBNAIL_EMBEDDING = f"thumbnail {THUMBNAIL_SIZE}x{THUMBNAIL_SIZE}, mean-centred"


@dataclass
class ImageScan:
    """What one pass over the images of a split found.

    Attributes:
        digests: (N,) ``S16`` pixel digests; ``b""`` for unreadable images.
        unreadable: (index, reason) of each image that could not be decoded.
        channel_sum: (C,) sum of pixel values in 0..1.
        channel_sumsq: (C,) sum of squared pixel values in 0..1.
        pixels: pixels per channel summed over readable images.
        min_size: smallest (H, W) seen; max_size: largest.
        thumbnails: (N, C * 16 * 16) float32 from :func:`thumbnail_embeddings` when
            asked for (zero rows for unreadable images), else None.
    """

    digests: np.ndarray
    unreadable: list[tuple[int, str]]
    channel_sum: np.ndarray
    channel_sumsq: np.ndarray
    pixels: int
    min_size: tuple[int, int] | None
    max_size: tuple[int, int] | None
    thumbnails: np.ndarray | None = None


def thumbnail_embeddings(images: torch.Tensor, *, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    """The default near-duplicate embedding of a batch of images.

    Args:
        images: (N, C, H, W) uint8 (or float on the same 0..255 scale).
        size: thumbnail side.

    Returns:
        (N, C * size * size) float32: each image area-averaged to ``size`` x ``size``
        (``adaptive_avg_pool2d``; smaller images are repeated up), flattened, minus
        its own mean. Constant images give a zero row (similar to nothing).
    """
    x = torch.nn.functional.adaptive_avg_pool2d(images.float(), size).flatten(1)
    return (x - x.mean(dim=1, keepdim=True)).numpy()


def _digest(buf: memoryview | bytes) -> bytes:
    return hashlib.blake2b(buf, digest_size=16).digest()


def _scan_tensor(ds: TensorImageDataset, n: int, thumbnails: bool = False) -> ImageScan:
    data = ds.data[:n]
    flat = np.ascontiguousarray(data.numpy()).reshape(n, -1)
    digests = np.array([_digest(row) for row in flat], dtype="S16") if n else np.zeros(0, "S16")
    c = data.shape[1]
    s = torch.zeros(c, dtype=torch.float64)
    sq = torch.zeros(c, dtype=torch.float64)
    for chunk in data.split(_CHUNK):
        x = chunk.to(torch.float64)
        s += x.sum(dim=(0, 2, 3))
        sq += (x * x).sum(dim=(0, 2, 3))
    hw = (int(data.shape[2]), int(data.shape[3]))
    thumbs = None
    if thumbnails:
        thumbs = (
            np.concatenate([thumbnail_embeddings(chunk) for chunk in data.split(_CHUNK)])
            if n
            else (np.zeros((0, c * THUMBNAIL_SIZE**2), np.float32))
        )
    return ImageScan(digests, [], s.numpy() / 255.0, sq.numpy() / 255.0**2, n * hw[0] * hw[1], hw, hw, thumbs)


def _scan_one(ds: VisionDataset, i: int, thumbnails: bool = False):
    try:
        img = ds.load_image(i)
    except DatasetError as e:
        return None, str(e)
    arr = np.ascontiguousarray(img.numpy())
    shape = np.asarray(arr.shape, dtype=np.int64).tobytes()
    x = arr.reshape(arr.shape[0], -1).astype(np.float64)
    thumb = thumbnail_embeddings(img[None])[0] if thumbnails else None
    return (_digest(shape + arr.tobytes()), x.sum(1), (x * x).sum(1), arr.shape[1:], thumb), None


def scan_images(
    ds: VisionDataset,
    *,
    workers: int | None = None,
    limit: int | None = None,
    progress: bool = False,
    thumbnails: bool = False,
) -> ImageScan:
    """Decode (or read) every image once: digests, channel sums, sizes, failures.

    Args:
        ds: any vistakit dataset.
        workers: decoding threads for file data sets (default: CPU count, at most 8).
        limit: only the first ``limit`` images.
        progress: show a progress bar.
        thumbnails: also compute :func:`thumbnail_embeddings` in the same pass.
    """
    n = len(ds) if limit is None else min(limit, len(ds))
    if isinstance(ds, TensorImageDataset):
        return _scan_tensor(ds, n, thumbnails)
    workers = workers or min(8, os.cpu_count() or 1)
    channels = 1 if getattr(ds, "mode", "RGB") == "L" else 3
    digests = np.zeros(n, dtype="S16")
    unreadable: list[tuple[int, str]] = []
    s = np.zeros(channels)
    sq = np.zeros(channels)
    pixels = 0
    hmin = wmin = math.inf
    hmax = wmax = 0
    thumbs = np.zeros((n, channels * THUMBNAIL_SIZE**2), np.float32) if thumbnails else None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(lambda i: _scan_one(ds, i, thumbnails), range(n))
        bar = tqdm(results, total=n, disable=not progress, desc=f"{ds.info.name} {ds.split}", leave=False)
        for i, (res, err) in enumerate(bar):
            if err is not None:
                unreadable.append((i, err))
                continue
            digest, cs, csq, (h, w), thumb = res
            digests[i] = digest
            if thumbs is not None:
                thumbs[i] = thumb
            s += cs
            sq += csq
            pixels += h * w
            hmin, wmin, hmax, wmax = min(hmin, h), min(wmin, w), max(hmax, h), max(wmax, w)
    sizes = (None, None) if pixels == 0 else ((int(hmin), int(wmin)), (int(hmax), int(wmax)))
    return ImageScan(digests, unreadable, s / 255.0, sq / 255.0**2, pixels, *sizes, thumbs)


def class_counts(ds: VisionDataset, n: int | None = None) -> dict[str, int]:
    """Images per class (for multi-label targets: positives per class)."""
    t = ds.targets if n is None else ds.targets[:n]
    if t.ndim == 2:
        counts = t.sum(dim=0)
    else:
        counts = (
            torch.bincount(t, minlength=len(ds.classes))
            if t.numel()
            else torch.zeros(len(ds.classes), dtype=torch.int64)
        )
    names = list(ds.classes) + [f"#{i}" for i in range(len(ds.classes), counts.shape[0])]
    return {names[i]: int(c) for i, c in enumerate(counts)}


@dataclass
class DatasetStats:
    """Per-channel mean and std (pixel values in 0..1) and class balance of a split."""

    name: str
    split: str
    num_images: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_counts: dict[str, int]
    min_size: tuple[int, int] | None
    max_size: tuple[int, int] | None
    unreadable: int = 0

    def format(self) -> str:
        """A readable multi-line summary."""
        fmt = lambda v: "(" + ", ".join(f"{x:.4f}" for x in v) + ")"  # noqa: E731
        size = (
            "?"
            if self.min_size is None
            else (
                f"{self.min_size[0]}x{self.min_size[1]}"
                if self.min_size == self.max_size
                else f"{self.min_size[0]}x{self.min_size[1]} .. {self.max_size[0]}x{self.max_size[1]}"
            )
        )
        lines = [
            f"{self.name} {self.split}: {self.num_images:,} images, size (HxW) {size}"
            + (f", {self.unreadable} unreadable" if self.unreadable else ""),
            f"mean {fmt(self.mean)}  std {fmt(self.std)}  (per channel, pixel values scaled to 0..1)",
            "class balance:",
        ]
        total = sum(self.class_counts.values()) or 1
        width = max((len(k) for k in self.class_counts), default=0)
        for k, v in self.class_counts.items():
            lines.append(f"  {k:<{width}}  {v:>8,}  {100 * v / total:5.1f}%")
        return "\n".join(lines)


def stats_from_scan(ds: VisionDataset, scan: ImageScan, n: int) -> DatasetStats:
    mean = scan.channel_sum / max(scan.pixels, 1)
    var = np.maximum(scan.channel_sumsq / max(scan.pixels, 1) - mean**2, 0.0)
    return DatasetStats(
        ds.info.name,
        ds.split,
        n,
        tuple(float(m) for m in mean),
        tuple(float(math.sqrt(v)) for v in var),
        class_counts(ds, n),
        scan.min_size,
        scan.max_size,
        len(scan.unreadable),
    )


def dataset_stats(
    ds: VisionDataset, *, workers: int | None = None, limit: int | None = None, progress: bool = False
) -> DatasetStats:
    """Per-channel mean/std and class balance of a loaded split.

    Args:
        ds: a dataset from :func:`load_dataset`.
        workers: decoding threads for file data sets.
        limit: only the first ``limit`` images.
        progress: show a progress bar.
    """
    n = len(ds) if limit is None else min(limit, len(ds))
    return stats_from_scan(ds, scan_images(ds, workers=workers, limit=limit, progress=progress), n)


@dataclass
class SplitCheck:
    """Findings inside one split.

    Attributes:
        duplicate_groups: groups of indices whose images are pixel-identical.
        conflicting_groups: the duplicate groups whose members carry different labels.
        imbalance: largest class count over smallest (inf when a class is empty).
    """

    split: str
    num_images: int
    unreadable: list[tuple[int, str]]
    class_counts: dict[str, int]
    imbalance: float
    duplicate_groups: list[list[int]]
    conflicting_groups: list[list[int]] = field(default_factory=list)

    @property
    def num_duplicates(self) -> int:
        """Images that repeat an earlier image of the split."""
        return sum(len(g) - 1 for g in self.duplicate_groups)


@dataclass
class Leak:
    """Images of ``split_b`` whose pixels also occur in ``split_a``.

    Attributes:
        count: how many images of ``split_b`` leak.
        examples: (index in split_a, index in split_b) pairs.
    """

    split_a: str
    split_b: str
    count: int
    examples: list[tuple[int, int]]


@dataclass
class NearLeak:
    """Images of ``split_b`` that are near (not exact) copies of images of ``split_a``.

    Attributes:
        count: how many images of ``split_b`` have an image of ``split_a`` with cosine
            similarity at least ``threshold`` (exact leaks are counted in :class:`Leak`
            and left out here).
        examples: (index in split_a, index in split_b, cosine similarity), the nearest
            image of split_a for each, most similar first.
        threshold: the cosine similarity used.
    """

    split_a: str
    split_b: str
    count: int
    examples: list[tuple[int, int, float]]
    threshold: float


@dataclass
class CheckReport:
    """What :func:`check_dataset` found."""

    name: str
    splits: dict[str, SplitCheck]
    leaks: list[Leak]
    load_errors: dict[str, str] = field(default_factory=dict)
    imbalance_threshold: float = 1.5
    near_leaks: list[NearLeak] = field(default_factory=list)
    near_embedding: str | None = None

    @property
    def problems(self) -> list[str]:
        """One line per problem: unreadable data, duplicates, label conflicts, leaks."""
        out = [f"{s}: cannot be read: {e}" for s, e in self.load_errors.items()]
        for s in self.splits.values():
            if s.unreadable:
                out.append(f"{s.split}: {len(s.unreadable)} unreadable image(s)")
            if s.duplicate_groups:
                out.append(
                    f"{s.split}: {s.num_duplicates} exact duplicate image(s) in {len(s.duplicate_groups)} group(s)"
                )
            if s.conflicting_groups:
                out.append(f"{s.split}: {len(s.conflicting_groups)} duplicate group(s) with different labels")
        out += [f"{lk.split_b}: {lk.count} image(s) also in {lk.split_a} (leak)" for lk in self.leaks if lk.count]
        out += [
            f"{lk.split_b}: {lk.count} near duplicate(s) of {lk.split_a} images (cosine >= {lk.threshold:g})"
            for lk in self.near_leaks
            if lk.count
        ]
        return out

    @property
    def warnings(self) -> list[str]:
        """Class imbalance above the threshold (not an error in itself)."""
        return [
            f"{s.split}: class imbalance {s.imbalance:.2f} (largest/smallest class) above {self.imbalance_threshold}"
            for s in self.splits.values()
            if s.imbalance > self.imbalance_threshold
        ]

    @property
    def ok(self) -> bool:
        """True when nothing is unreadable, duplicated or leaked."""
        return not self.problems

    def format(self, *, max_examples: int = 5) -> str:
        """A readable report with counts and example indices."""
        lines = [f"check {self.name}"]
        for split, err in self.load_errors.items():
            lines.append(f"  {split}: CANNOT BE READ: {err}")
        for s in self.splits.values():
            counts = list(s.class_counts.values())
            balance = (
                f"{min(counts):,}..{max(counts):,} per class, imbalance {s.imbalance:.2f}" if counts else "no classes"
            )
            lines.append(f"  {s.split}: {s.num_images:,} images; {balance}")
            empty = [k for k, v in s.class_counts.items() if v == 0]
            if empty:
                lines.append(
                    f"    empty classes: {', '.join(empty[:max_examples])}"
                    + (" ..." if len(empty) > max_examples else "")
                )
            if s.unreadable:
                lines.append(f"    unreadable: {len(s.unreadable)}")
                lines += [f"      [{i}] {r}" for i, r in s.unreadable[:max_examples]]
            if s.duplicate_groups:
                lines.append(
                    f"    exact duplicates: {s.num_duplicates} image(s) in {len(s.duplicate_groups)} group(s), e.g. "
                    + "; ".join(str(g[:4]) for g in s.duplicate_groups[:max_examples])
                )
            if s.conflicting_groups:
                lines.append(
                    f"    duplicates with different labels: {len(s.conflicting_groups)} group(s), e.g. "
                    + "; ".join(str(g[:4]) for g in s.conflicting_groups[:max_examples])
                )
        for lk in self.leaks:
            if lk.count:
                ex = ", ".join(f"{lk.split_a}[{a}]={lk.split_b}[{b}]" for a, b in lk.examples[:max_examples])
                lines.append(
                    f"  leak {lk.split_a} -> {lk.split_b}: {lk.count} image(s) of {lk.split_b} also in {lk.split_a}, e.g. {ex}"
                )
            else:
                lines.append(f"  leak {lk.split_a} -> {lk.split_b}: none")
        for lk in self.near_leaks:
            head = f"  near duplicates {lk.split_a} -> {lk.split_b} (cosine >= {lk.threshold:g}, {self.near_embedding})"
            if lk.count:
                ex = ", ".join(
                    f"{lk.split_a}[{a}]~{lk.split_b}[{b}] ({s:.3f})" for a, b, s in lk.examples[:max_examples]
                )
                lines.append(f"{head}: {lk.count} image(s) of {lk.split_b} close to one in {lk.split_a}, e.g. {ex}")
            else:
                lines.append(f"{head}: none")
        problems, warns = self.problems, self.warnings
        lines.append("warnings: " + ("; ".join(warns) if warns else "none"))
        lines.append("result: " + ("OK" if not problems else f"{len(problems)} problem(s): " + "; ".join(problems)))
        return "\n".join(lines)


def duplicate_groups(digests: np.ndarray) -> list[list[int]]:
    """Groups (sorted, by first index) of indices with equal non-empty digests."""
    valid = np.flatnonzero(digests != b"")
    if valid.size == 0:
        return []
    _, inverse, counts = np.unique(digests[valid], return_inverse=True, return_counts=True)
    dup = np.flatnonzero(counts > 1)
    if dup.size == 0:
        return []
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(counts)])
    groups = [valid[order[bounds[g] : bounds[g + 1]]].tolist() for g in dup]
    return sorted(groups, key=lambda g: g[0])


def find_leaks(
    digests_a: np.ndarray, digests_b: np.ndarray, *, max_examples: int = 20
) -> tuple[int, list[tuple[int, int]]]:
    """How many images of b occur in a, with (index in a, index in b) examples."""
    in_a = np.isin(digests_b, digests_a[digests_a != b""]) & (digests_b != b"")
    idx_b = np.flatnonzero(in_a)
    first_a: dict[bytes, int] = {}
    for i, d in enumerate(digests_a.tolist()):
        first_a.setdefault(d, i)
    return int(idx_b.size), [(first_a[digests_b[j]], int(j)) for j in idx_b[:max_examples]]


def find_near_leaks(
    embeddings_a: np.ndarray,
    embeddings_b: np.ndarray,
    *,
    threshold: float = 0.995,
    exclude_b: np.ndarray | None = None,
    max_examples: int = 20,
    chunk: int = 4096,
) -> tuple[int, list[tuple[int, int, float]]]:
    """How many rows of b have a row of a with cosine similarity >= ``threshold``.

    Each image of b is matched to its nearest image of a by the exact blocked search
    :func:`~vistakit.metrics.cosine_knn` (k=1), b in chunks so memory stays
    at (chunk, chunk) similarities whatever the sizes.

    Args:
        embeddings_a: (N, D).
        embeddings_b: (M, D).
        threshold: minimal cosine similarity, in (0, 1].
        exclude_b: (M,) bool, rows of b not to count (e.g. exact leaks).
        max_examples: examples kept.
        chunk: rows of b (and of a) per matrix product.

    Returns:
        ``(count, [(index in a, index in b, similarity), ...])``, examples most similar first.
    """
    from ..metrics import cosine_knn

    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    a, b = np.asarray(embeddings_a), np.asarray(embeddings_b)
    if len(a) == 0 or len(b) == 0:
        return 0, []
    best_a, best_s = np.zeros(len(b), np.int64), np.zeros(len(b), np.float32)
    for start in range(0, len(b), chunk):
        s, i = cosine_knn(b[start : start + chunk], a, k=1, block_size=chunk)
        best_s[start : start + chunk], best_a[start : start + chunk] = s[:, 0], i[:, 0]
    hit = best_s >= np.float32(threshold)
    if exclude_b is not None:
        hit &= ~np.asarray(exclude_b, dtype=bool)
    idx_b = np.flatnonzero(hit)
    top = idx_b[np.argsort(-best_s[idx_b], kind="stable")[:max_examples]]
    return int(idx_b.size), [(int(best_a[j]), int(j), float(best_s[j])) for j in top]


def _imbalance(counts: Sequence[int]) -> float:
    if not counts:
        return 1.0
    lo, hi = min(counts), max(counts)
    return math.inf if lo == 0 else hi / lo


def check_splits(
    datasets: Mapping[str, VisionDataset],
    *,
    name: str = "",
    workers: int | None = None,
    imbalance_threshold: float = 1.5,
    load_errors: Mapping[str, str] | None = None,
    progress: bool = False,
    near_duplicates: bool = False,
    near_threshold: float = 0.995,
    embed: Callable[[VisionDataset, Sequence[int]], np.ndarray] | None = None,
    embedding_name: str | None = None,
) -> CheckReport:
    """Check loaded splits: unreadable images, balance, duplicates, leaks between splits.

    Args:
        datasets: split name -> dataset, in the order leaks are looked for
            (an image of a later split found in an earlier one is a leak).
        name: data set name for the report.
        workers: decoding threads for file data sets.
        imbalance_threshold: largest/smallest class ratio above which a warning is given.
        load_errors: splits that could not be loaded at all, with the reason.
        progress: show progress bars.
        near_duplicates: also look for near duplicates between splits (see the module doc).
        near_threshold: cosine similarity from which two images are near duplicates.
        embed: ``embed(dataset, indices) -> (len(indices), D)`` embeddings to compare
            (called with the readable images only); default :func:`thumbnail_embeddings`.
        embedding_name: what the report calls ``embed``.
    """
    if near_duplicates and not 0.0 < near_threshold <= 1.0:
        raise ValueError(f"near-duplicate threshold must be in (0, 1], got {near_threshold}")
    splits: dict[str, SplitCheck] = {}
    digests: dict[str, np.ndarray] = {}
    embeddings: dict[str, np.ndarray | None] = {}
    for split, ds in datasets.items():
        scan = scan_images(ds, workers=workers, progress=progress, thumbnails=near_duplicates and embed is None)
        digests[split] = scan.digests
        if near_duplicates:
            embeddings[split] = scan.thumbnails if embed is None else _embed_readable(ds, scan, embed)
        groups = duplicate_groups(scan.digests)
        conflicting = []
        if ds.targets.ndim == 1:
            t = ds.targets.numpy()
            conflicting = [g for g in groups if len(set(t[g].tolist())) > 1]
        counts = class_counts(ds)
        splits[split] = SplitCheck(
            split, len(ds), scan.unreadable, counts, _imbalance(list(counts.values())), groups, conflicting
        )
    leaks = []
    names = list(datasets)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            count, examples = find_leaks(digests[a], digests[b])
            leaks.append(Leak(a, b, count, examples))
    near: list[NearLeak] = []
    if near_duplicates:
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                exact = np.isin(digests[b], digests[a][digests[a] != b""]) & (digests[b] != b"")
                count, examples = (
                    (0, [])
                    if embeddings[a] is None or embeddings[b] is None
                    else find_near_leaks(embeddings[a], embeddings[b], threshold=near_threshold, exclude_b=exact)
                )
                near.append(NearLeak(a, b, count, examples, near_threshold))
    return CheckReport(
        name,
        splits,
        leaks,
        dict(load_errors or {}),
        imbalance_threshold,
        near,
        (embedding_name or ("custom embedding" if embed else THUMBNAIL_EMBEDDING)) if near_duplicates else None,
    )


def _embed_readable(
    ds: VisionDataset, scan: ImageScan, embed: Callable[[VisionDataset, Sequence[int]], np.ndarray]
) -> np.ndarray | None:
    """``embed`` over the readable images of ``ds``; unreadable ones get zero rows (similar to nothing).
    None when no image is readable."""
    bad = {i for i, _ in scan.unreadable}
    readable = [i for i in range(len(scan.digests)) if i not in bad]
    if not readable:
        return None
    feats = np.asarray(embed(ds, readable), dtype=np.float32)
    if feats.ndim != 2 or len(feats) != len(readable):
        raise ValueError(f"embed() returned shape {feats.shape} for {len(readable)} images; expected (N, D)")
    out = np.zeros((len(scan.digests), feats.shape[1]), np.float32)
    out[readable] = feats
    return out


def default_splits(name: str, root: str | os.PathLike | None) -> list[str]:
    """The splits :func:`check_dataset` looks at: the card's (without ``all``), or
    for ``imagefolder`` the split folders present (else the root as ``train``)."""
    info = dataset_info(name)
    if info.name == "imagefolder":
        if root is None:
            raise ValueError("imagefolder needs root=")
        present = [s for s in SPLIT_NAMES if (Path(root) / s).is_dir()]
        return present or ["train"]
    return [s for s in info.splits if s != "all"]


def check_dataset(
    name: str,
    *,
    splits: Sequence[str] | None = None,
    root: str | os.PathLike | None = None,
    download: bool = True,
    workers: int | None = None,
    imbalance_threshold: float = 1.5,
    progress: bool = False,
    near_duplicates: bool = False,
    near_threshold: float = 0.995,
    embed: Callable[[VisionDataset, Sequence[int]], np.ndarray] | None = None,
    embedding_name: str | None = None,
    **options,
) -> CheckReport:
    """Load every split of a data set and check it (see :func:`check_splits`).

    A split whose files are malformed is reported (with the reader's message)
    instead of stopping the check. For image folders unreadable images are
    listed one by one.

    Args:
        name: registered data set name.
        splits: which splits (default: all of the card's, ``all`` excluded).
        root, download, **options: as for :func:`load_dataset`.
        workers: decoding threads for file data sets.
        imbalance_threshold: largest/smallest class ratio above which a warning is given.
        progress: show progress bars.
        near_duplicates, near_threshold, embed, embedding_name: near duplicates
            between splits, as for :func:`check_splits`.
    """
    info = dataset_info(name)
    loaded: dict[str, VisionDataset] = {}
    errors: dict[str, str] = {}
    for split in splits or default_splits(info.name, root):
        try:
            loaded[split] = load_dataset(info.name, split, root=root, download=download, **options)
        except DatasetError as e:
            errors[split] = str(e)
    return check_splits(
        loaded,
        name=info.name,
        workers=workers,
        imbalance_threshold=imbalance_threshold,
        load_errors=errors,
        progress=progress,
        near_duplicates=near_duplicates,
        near_threshold=near_threshold,
        embed=embed,
        embedding_name=embedding_name,
    )
