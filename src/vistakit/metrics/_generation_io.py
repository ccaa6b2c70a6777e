"""Feeding FID / KID / IS: images from folders, tensors or datasets -> Inception features, cached."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .._download import cache_dir
from ._generation import (
    feature_statistics,
    frechet_distance,
    inception_score_from_probs,
    kid_from_features,
)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".gif"}


class FeatureExtractor(nn.Module):
    """Wraps a network that maps images to (pool features, class probabilities).

    Images of any size are resized to ``input_size`` x ``input_size`` with bilinear
    interpolation (no antialiasing, as the reference FID code does) after scaling
    uint8 to [0, 1]; the network's own input normalization follows.

    Attributes:
        name: what the report prints; scores from different extractors are not comparable.
        input_size: square side the network sees.
    """

    def __init__(self, net: nn.Module, *, name: str, input_size: int = 299,
                 normalize: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.net = net.eval()
        self.name = name
        self.input_size = input_size
        self._normalize = normalize

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 3, H, W) uint8 or float in [0, 1] -> ((N, D) features, (N, C) probabilities)."""
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        if x.shape[-2:] != (self.input_size, self.input_size):
            x = nn.functional.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear",
                                          align_corners=False)
        feats = self.net.forward_head(self.net.forward_features(self._normalize(x)), pre_logits=True)
        logits = self.net.get_classifier()(feats)
        return feats.double(), logits.double().softmax(dim=1)


_EXTRACTORS: dict[str, Callable[..., FeatureExtractor]] = {}


def register_extractor(name: str):
    """Register a factory ``fn(*, weights, device) -> FeatureExtractor`` under ``name``."""

    def wrap(fn):
        _EXTRACTORS[name] = fn
        return fn

    return wrap


def get_extractor(name: str | FeatureExtractor, *, weights=None, device: str = "cpu") -> FeatureExtractor:
    """An extractor by name ("fid_inception", "inception_v3") or passed through."""
    if isinstance(name, FeatureExtractor):
        return name.to(device)
    if name not in _EXTRACTORS:
        raise ValueError(f"unknown feature extractor {name!r}; known: {sorted(_EXTRACTORS)}")
    return _EXTRACTORS[name](weights=weights, device=device)


@dataclass(frozen=True)
class Features:
    """Features and class probabilities of one image set (or only its statistics)."""

    features: np.ndarray | None
    probs: np.ndarray | None
    mu: np.ndarray
    sigma: np.ndarray
    source: str
    extractor: str


def _list_images(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ValueError(f"{folder}: no images found (looked for {', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def _folder_batches(files: list[Path], batch_size: int, size: int) -> Iterator[torch.Tensor]:
    from PIL import Image

    for start in range(0, len(files), batch_size):
        batch = []
        for f in files[start : start + batch_size]:
            try:
                with Image.open(f) as im:
                    arr = np.asarray(im.convert("RGB"))
            except (OSError, SyntaxError, ValueError) as e:
                raise ValueError(f"{f}: not a readable image ({e})") from None
            x = torch.from_numpy(arr.copy()).permute(2, 0, 1)[None].float() / 255.0
            if x.shape[-2:] != (size, size):  # mixed sizes: each image resized to the extractor's input
                x = nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
            batch.append(x)
        yield torch.cat(batch)


def _tensor_batches(t: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
    if t.ndim != 4 or t.shape[1] not in (1, 3):
        raise ValueError(f"image tensors must be (N, 1 or 3, H, W), got {tuple(t.shape)}")
    if len(t) == 0:
        raise ValueError("the image tensor is empty")
    for start in range(0, len(t), batch_size):
        yield t[start : start + batch_size]


def _dataset_batches(ds, batch_size: int) -> Iterator[torch.Tensor]:
    batch = []
    for i in range(len(ds)):
        item = ds[i]
        img = item[0] if isinstance(item, (tuple, list)) else item
        batch.append(torch.as_tensor(img))
        if len(batch) == batch_size:
            yield torch.stack(batch)
            batch = []
    if batch:
        yield torch.stack(batch)


def _folder_key(files: list[Path], extractor: str) -> str:
    h = hashlib.sha256(extractor.encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def compute_features(source, *, extractor: FeatureExtractor, batch_size: int = 50, cache: bool = True,
                     progress: bool = True, name: str = "images") -> Features:
    """Features of an image set.

    Args:
        source: a folder of images (searched recursively), a ``.npz`` file with ``mu`` and
            ``sigma`` (pytorch-fid's format: statistics only) or with ``features``, an
            (N, C, H, W) tensor (uint8, or float in [0, 1]), or a dataset of
            ``(image, target)`` / image items.
        extractor: the feature network.
        batch_size: images per forward pass.
        cache: for folders, keep the features in the cache (keyed by the files' paths,
            sizes and times and the extractor), so a second comparison costs nothing.
        progress: show a progress bar.
        name: what error messages call this set.

    Returns:
        :class:`Features`.
    """
    label = str(source) if isinstance(source, (str, os.PathLike)) else f"<{type(source).__name__}>"
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix == ".npz":
            with np.load(path) as z:
                if "features" in z:
                    f = z["features"]
                    mu, sigma = feature_statistics(f, name=name)
                    return Features(f, z["probs"] if "probs" in z else None, mu, sigma, label, extractor.name)
                if "mu" in z and "sigma" in z:
                    return Features(None, None, z["mu"].astype(np.float64), z["sigma"].astype(np.float64), label,
                                    str(z["extractor"]) if "extractor" in z else "unknown (precomputed)")
                raise ValueError(f"{path}: expected arrays 'mu' and 'sigma' (or 'features'), found {list(z.keys())}")
        if not path.is_dir():
            raise ValueError(f"{path}: not a folder of images or a .npz file")
        files = _list_images(path)
        cfile = cache_dir("features") / f"{_folder_key(files, extractor.name)}.npz"
        if cache and cfile.is_file():
            with np.load(cfile) as z:
                f, p = z["features"], z["probs"]
            mu, sigma = feature_statistics(f, name=name)
            return Features(f, p, mu, sigma, label, extractor.name)
        batches, total = _folder_batches(files, batch_size, extractor.input_size), len(files)
    elif isinstance(source, torch.Tensor):
        batches, total = _tensor_batches(source, batch_size), len(source)
    elif hasattr(source, "__len__") and hasattr(source, "__getitem__"):
        if len(source) == 0:
            raise ValueError(f"{name}: the dataset is empty")
        batches, total = _dataset_batches(source, batch_size), len(source)
    else:
        raise ValueError(f"{name}: expected a folder, a .npz file, a tensor or a dataset, got {type(source).__name__}")
    device = next(extractor.parameters()).device
    feats, probs = [], []
    with tqdm(total=total, desc=f"{extractor.name} features ({name})", unit="img", disable=not progress,
              leave=False) as bar:
        for x in batches:
            f, p = extractor(x.to(device))
            feats.append(f.cpu().numpy())
            probs.append(p.cpu().numpy())
            bar.update(len(x))
    f, p = np.concatenate(feats), np.concatenate(probs)
    if isinstance(source, (str, os.PathLike)) and cache:
        from .._download import atomic_write_bytes
        import io

        buf = io.BytesIO()
        np.savez(buf, features=f, probs=p, meta=json.dumps({"source": label, "extractor": extractor.name}))
        atomic_write_bytes(cfile, buf.getvalue())
    mu, sigma = feature_statistics(f, name=name)
    return Features(f, p, mu, sigma, label, extractor.name)


def save_statistics(features: Features, path: str | os.PathLike) -> None:
    """Write ``mu`` and ``sigma`` (pytorch-fid's .npz format) plus the extractor's name."""
    import io

    from .._download import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, mu=features.mu, sigma=features.sigma, extractor=np.array(features.extractor))
    atomic_write_bytes(path, buf.getvalue())


def _features(src, extractor, batch_size, progress, name) -> Features:
    return src if isinstance(src, Features) else compute_features(src, extractor=extractor, batch_size=batch_size,
                                                                  progress=progress, name=name)


def fid(real, fake, *, extractor: str | FeatureExtractor = "fid_inception", weights=None, batch_size: int = 50,
        device: str = "cpu", progress: bool = True) -> float:
    """Fréchet Inception Distance between two image sets (see :func:`compute_features` for sources)."""
    ext = None if all(isinstance(s, Features) for s in (real, fake)) else get_extractor(extractor, weights=weights, device=device)
    a = _features(real, ext, batch_size, progress, "real")
    b = _features(fake, ext, batch_size, progress, "fake")
    if a.extractor != b.extractor and "unknown" not in (a.extractor + b.extractor):
        raise ValueError(f"real features come from {a.extractor} and fake from {b.extractor}: scores are not comparable")
    return frechet_distance(a.mu, a.sigma, b.mu, b.sigma)


def kid(real, fake, *, subsets: int = 100, subset_size: int = 1000, extractor: str | FeatureExtractor = "fid_inception",
        weights=None, batch_size: int = 50, device: str = "cpu", progress: bool = True, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance ``(mean, std)`` over subsets (needs features, not only statistics)."""
    ext = None if all(isinstance(s, Features) for s in (real, fake)) else get_extractor(extractor, weights=weights, device=device)
    a = _features(real, ext, batch_size, progress, "real")
    b = _features(fake, ext, batch_size, progress, "fake")
    if a.features is None or b.features is None:
        raise ValueError("KID needs per-image features; a statistics-only .npz (mu, sigma) is not enough")
    return kid_from_features(a.features, b.features, subsets=subsets, subset_size=subset_size, seed=seed)


def inception_score(images, *, splits: int = 10, extractor: str | FeatureExtractor = "fid_inception", weights=None,
                    batch_size: int = 50, device: str = "cpu", progress: bool = True) -> tuple[float, float]:
    """Inception Score ``(mean, std)`` over ``splits`` splits of the images' class probabilities."""
    ext = None if isinstance(images, Features) else get_extractor(extractor, weights=weights, device=device)
    a = _features(images, ext, batch_size, progress, "images")
    if a.probs is None:
        raise ValueError("the Inception Score needs class probabilities; a statistics-only .npz is not enough")
    return inception_score_from_probs(a.probs, splits=splits)
