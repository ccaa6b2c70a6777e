"""FID / KID / IS of images: folders, tensors or datasets -> Inception features (cached) -> the scores.

The scores' maths lives in :mod:`vistakit.metrics` (:func:`~vistakit.metrics.frechet_distance`,
:func:`~vistakit.metrics.kid_from_features`, :func:`~vistakit.metrics.inception_score_from_probs`);
this module turns images into the features and class probabilities they take.

Feature extractors (scores from different extractors are not comparable, so every
result names the one used):

* ``"fid_inception"`` (the default): :func:`vistakit.models.fid_inception_v3`, the
  Inception v3 of the TensorFlow FID code, with pytorch-fid's
  ``pt_inception-2015-12-05-6726825d.pth`` weights (cache, else the published URL, the
  sha256 checked). Images are resized to 299x299 as pytorch-fid does (bilinear,
  half-pixel centres, no antialiasing; TensorFlow 1's own resize samples slightly
  differently, so images that are not 299x299 already score like pytorch-fid, close to
  but not bit-equal with the TensorFlow code) and scaled to [-1, 1]. Features: the
  2048-d output of the final average pool. Inception Score: the softmax over all 1008
  outputs of ``features @ fc.weight.T`` *without* the bias, as the reference IS code
  (openai/improved-gan multiplies the pool features by the graph's
  ``softmax/logits/MatMul`` weights only; torch-fidelity's "logits_unbiased" does the same).
* ``"inception_v3"``: the zoo's :func:`vistakit.models.inception_v3` with torchvision's
  ImageNet weights; the same resize and features, and its 1000-way softmax (with bias)
  for the Inception Score.

``weights``: ``"default"`` (the extractor's published weights), a checkpoint path, a
published tag, or None (random initialization: only for tests and benchmarks; the
extractor's name then says "random init").

Images: uint8 (0..255) or floats in [0, 1], RGB or gray (repeated to RGB). Images of
mixed sizes (folders, datasets) are each resized to the extractor's input size before
batching, the same resize as above.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .._download import cache_dir
from .._files import IMAGE_SUFFIXES, atomic_write, list_images
from ..metrics import (
    FeatureStatisticsWarning,
    feature_statistics,
    fid_from_features,
    frechet_distance,
    inception_score_from_probs,
    kid_from_features,
    rank_deficiency_message,
)
from ..models import create_model
from ._cache import FeatureCache, feature_key, files_fingerprint, module_fingerprint


def _resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N, C, H, W) float -> (N, C, size, size): pytorch-fid's bilinear resize (no antialiasing)."""
    if x.shape[-2:] == (size, size):
        return x
    return nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


class FeatureExtractor(nn.Module):
    """Wraps a classifier that maps images to (pool features, class probabilities).

    Images are scaled to [0, 1] (uint8 / 255), gray ones repeated to RGB, resized to
    ``input_size`` x ``input_size`` (bilinear, no antialiasing, as the reference FID
    code) and normalized by ``normalize``; the features are the network's pre-logits
    (``forward_head(..., pre_logits=True)``) and the probabilities the softmax of
    ``logits(features)``.

    Args:
        net: an :class:`~vistakit.models.ImageClassifier`; put in eval mode.
        name: what reports print; scores from different extractors are not comparable.
        input_size: square side the network sees.
        normalize: [0, 1] images -> the network's input.
        logits: features -> logits for the class probabilities (default: the network's
            classifier).

    Attributes:
        name, input_size: as given.
    """

    def __init__(
        self,
        net: nn.Module,
        *,
        name: str,
        input_size: int = 299,
        normalize: Callable[[torch.Tensor], torch.Tensor],
        logits: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.net = net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.name = name
        self.input_size = input_size
        self._normalize = normalize
        self._logits = logits
        self._fingerprint: str | None = None

    def train(self, mode: bool = True) -> FeatureExtractor:
        super().train(mode)
        self.net.eval()  # batch statistics would make features depend on the batch
        return self

    @property
    def fingerprint(self) -> str:
        """sha256 over the name and every tensor of the network: what the feature cache is keyed by.

        Two extractors with the same name but other weights (a random initialization,
        another file) never share cached features.
        """
        if self._fingerprint is None:
            self._fingerprint = module_fingerprint(self.net, name=self.name)
        return self._fingerprint

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 1 or 3, H, W) uint8, or float in [0, 1] -> ((N, D) features, (N, C) probabilities), float64."""
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"images must be (N, 1 or 3, H, W), got {tuple(images.shape)}")
        if images.dtype == torch.uint8:
            x = images.float() / 255.0
        else:
            x = images.float()
            lo, hi = float(x.min()), float(x.max())
            if lo < -1e-3 or hi > 1 + 1e-3 or not np.isfinite([lo, hi]).all():
                raise ValueError(
                    f"float images must be in [0, 1], got values in [{lo:.4g}, {hi:.4g}]; "
                    "scale generator outputs in [-1, 1] with (x + 1) / 2, or pass uint8 images"
                )
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = self._normalize(_resize(x, self.input_size))
        feats = self.net.forward_head(self.net.forward_features(x), pre_logits=True)
        logits = self._logits(feats) if self._logits is not None else self.net.get_classifier()(feats)
        return feats.double(), logits.double().softmax(dim=1)


_EXTRACTORS: dict[str, Callable[..., FeatureExtractor]] = {}


def register_extractor(name: str):
    """Register a factory ``fn(*, weights, device) -> FeatureExtractor`` under ``name``."""

    def wrap(fn):
        _EXTRACTORS[name] = fn
        return fn

    return wrap


def list_extractors() -> list[str]:
    """Names of the registered feature extractors."""
    return sorted(_EXTRACTORS)


def get_extractor(
    name: str | FeatureExtractor, *, weights: str | os.PathLike | None = "default", device: str = "cpu"
) -> FeatureExtractor:
    """An extractor by name ("fid_inception", "inception_v3"), or one passed through (moved to ``device``).

    Args:
        name: registered name or a :class:`FeatureExtractor`.
        weights: "default" (the extractor's published weights), a checkpoint path, a
            published tag, or None (random init: tests and benchmarks only).
        device: where the network runs.
    """
    if isinstance(name, FeatureExtractor):
        return name.to(device)
    if name not in _EXTRACTORS:
        raise ValueError(f"unknown feature extractor {name!r}; known: {', '.join(list_extractors())}")
    return _EXTRACTORS[name](weights=weights, device=device)


def _weights_label(weights: str | os.PathLike | None, tag: str, published: str) -> str:
    """How an extractor's name states its weights: the published ones by their file, else the file or tag given."""
    if weights is None:
        return "random init"
    if weights in ("default", tag):
        return published
    return Path(str(weights)).name


def _two_x_minus_one(x: torch.Tensor) -> torch.Tensor:
    return x * 2.0 - 1.0


@register_extractor("fid_inception")
def _fid_inception(*, weights: str | os.PathLike | None = "default", device: str = "cpu") -> FeatureExtractor:
    w = "fid" if weights == "default" else weights
    net = create_model("fid_inception_v3", num_classes=1008, weights=w)
    fc = net.get_classifier()
    return FeatureExtractor(
        net.to(device),
        name=f"fid_inception ({_weights_label(weights, 'fid', 'pt_inception-2015-12-05')})",
        input_size=299,
        normalize=_two_x_minus_one,  # [0, 1] -> [-1, 1], the FID graph's input scaling
        logits=lambda f: f @ fc.weight.T.to(f.dtype),  # no bias: the reference Inception Score code
    )


@register_extractor("inception_v3")
def _inception_v3(*, weights: str | os.PathLike | None = "default", device: str = "cpu") -> FeatureExtractor:
    w = "imagenet" if weights == "default" else weights
    # transform_input=False: torchvision's transform_input maps ImageNet-normalized inputs to
    # exactly 2x - 1 of the [0, 1] image, so the extractor feeds 2x - 1 directly
    net = create_model("inception_v3", weights=w, transform_input=False)
    return FeatureExtractor(
        net.to(device),
        name=f"inception_v3 ({_weights_label(weights, 'imagenet', 'torchvision ImageNet')})",
        input_size=299,
        normalize=_two_x_minus_one,
    )


@dataclass(frozen=True)
class Features:
    """Features and class probabilities of one image set, or only its statistics.

    Attributes:
        features: (N, D) float64, None for a statistics-only ``.npz``.
        probs: (N, C) class probabilities, None when unknown.
        mu: (D,) mean.
        sigma: (D, D) covariance.
        source: where the images came from.
        extractor: the extractor's name.
        count: number of images, None when unknown (a pytorch-fid ``.npz``).
    """

    features: np.ndarray | None
    probs: np.ndarray | None
    mu: np.ndarray
    sigma: np.ndarray
    source: str
    extractor: str
    count: int | None = None


def _image_files(folder: Path) -> list[Path]:
    files = list_images(folder)
    if not files:
        raise ValueError(f"{folder}: no images found (looked for {', '.join(IMAGE_SUFFIXES)}, recursively)")
    return files


def _image_chw(img: Any, where: str) -> torch.Tensor:
    """One image (tensor (C, H, W), PIL image or (H, W[, C]) array) -> (1, C, H, W) float in [0, 1]."""
    if not isinstance(img, torch.Tensor):
        arr = np.asarray(img.convert("RGB") if hasattr(img, "convert") else img)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3 or arr.shape[2] not in (1, 3):
            raise ValueError(f"{where}: expected an (H, W), (H, W, 1) or (H, W, 3) image, got shape {arr.shape}")
        img = torch.from_numpy(np.array(arr)).permute(2, 0, 1)  # a copy: PIL arrays are read-only
    if img.ndim != 3 or img.shape[0] not in (1, 3):
        raise ValueError(f"{where}: expected a (1 or 3, H, W) image tensor, got {tuple(img.shape)}")
    x = img[None].float() / 255.0 if img.dtype == torch.uint8 else img[None].float()
    return x.repeat(1, 3, 1, 1) if x.shape[1] == 1 else x


def _folder_batches(files: list[Path], batch_size: int, size: int) -> Iterator[torch.Tensor]:
    from PIL import Image

    for start in range(0, len(files), batch_size):
        batch = []
        for f in files[start : start + batch_size]:
            try:
                with Image.open(f) as im:
                    x = _image_chw(im, str(f))
            except (OSError, SyntaxError) as e:
                raise ValueError(f"{f}: not a readable image ({e})") from None
            batch.append(_resize(x, size))  # mixed sizes: each image resized to the extractor's input
        yield torch.cat(batch)


def _tensor_batches(t: torch.Tensor, batch_size: int) -> Iterator[torch.Tensor]:
    if t.ndim != 4 or t.shape[1] not in (1, 3):
        raise ValueError(f"image tensors must be (N, 1 or 3, H, W), got {tuple(t.shape)}")
    if len(t) == 0:
        raise ValueError("the image tensor is empty")
    for start in range(0, len(t), batch_size):
        yield t[start : start + batch_size]


def _dataset_batches(ds, batch_size: int, size: int) -> Iterator[torch.Tensor]:
    batch = []
    for i in range(len(ds)):
        item = ds[i]
        img = item[0] if isinstance(item, (tuple, list)) else item
        batch.append(_resize(_image_chw(img, f"dataset item {i}"), size))
        if len(batch) == batch_size:
            yield torch.cat(batch)
            batch = []
    if batch:
        yield torch.cat(batch)


def _folder_cache(files: list[Path], extractor: FeatureExtractor) -> FeatureCache:
    """The cache of a folder's features: keyed by the extractor's weights and the files' paths, sizes, times."""
    key = feature_key(
        model=extractor.name,
        weights=extractor.fingerprint,
        preprocessing={"input_size": extractor.input_size, "resize": "bilinear, no antialiasing"},
        data=files_fingerprint(files),
    )
    return FeatureCache.in_folder(cache_dir("features"), key, prefix="generation", arrays=("features", "probs"))


def _run(
    extractor: FeatureExtractor, batches: Iterator[torch.Tensor], total: int, name: str, progress: bool
) -> dict[str, np.ndarray]:
    """``{"features": (N, D), "probs": (N, C)}`` float64 of the images in ``batches``."""
    device = next(extractor.parameters()).device
    feats, probs = [], []
    with tqdm(
        total=total, desc=f"{extractor.name} features ({name})", unit="img", disable=not progress, leave=False
    ) as bar:
        for x in batches:
            f, p = extractor(x.to(device))
            feats.append(f.cpu().numpy())
            probs.append(p.cpu().numpy())
            bar.update(len(x))
    return {"features": np.concatenate(feats), "probs": np.concatenate(probs)}


def _npz_bytes(**arrays: Any) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _read_npz(path: Path, extractor: FeatureExtractor | None, name: str) -> Features:
    label = str(path)
    try:
        z = np.load(path)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable .npz file ({e})") from None
    with z:
        stored = str(z["extractor"]) if "extractor" in z else None
        if "features" in z:
            f = z["features"]
            mu, sigma = feature_statistics(f, name=name)
            ext = stored or (extractor.name if extractor is not None else "unknown (precomputed)")
            return Features(f, z["probs"] if "probs" in z else None, mu, sigma, label, ext, len(f))
        if "mu" in z and "sigma" in z:
            mu, sigma = z["mu"].astype(np.float64), z["sigma"].astype(np.float64)
            if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
                raise ValueError(f"{path}: 'mu' must be (D,) and 'sigma' (D, D), got {mu.shape} and {sigma.shape}")
            count = int(z["count"]) if "count" in z else None
            return Features(None, None, mu, sigma, label, stored or "unknown (precomputed)", count)
        raise ValueError(f"{path}: expected arrays 'mu' and 'sigma' (or 'features'), found {list(z.keys())}")


def compute_features(
    source,
    *,
    extractor: FeatureExtractor,
    batch_size: int = 50,
    cache: bool = True,
    progress: bool = True,
    name: str = "images",
) -> Features:
    """Features of an image set, streamed over batches.

    Args:
        source: a folder of images (searched recursively; mixed sizes are each resized
            to the extractor's input), a ``.npz`` file with ``mu`` and ``sigma``
            (pytorch-fid's format: statistics only) or with ``features``, an
            (N, C, H, W) tensor (uint8, or float in [0, 1]), or a dataset of
            ``(image, target)`` / image items (tensors (C, H, W), PIL images or arrays).
        extractor: the feature network.
        batch_size: images per forward pass.
        cache: for folders, keep the features in the cache (keyed by the files' paths,
            sizes and modification times and the extractor's weights), so a second
            comparison against the same folder costs nothing.
        progress: show a progress bar.
        name: what messages call this set ("real", "fake").

    Returns:
        :class:`Features`.

    Raises:
        ValueError: an empty or missing folder, an empty tensor or dataset, an unreadable
            image (named), float images outside [0, 1], an ``.npz`` without statistics.
    """
    label = str(source) if isinstance(source, (str, os.PathLike)) else f"<{type(source).__name__}>"
    size = extractor.input_size
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.suffix == ".npz":
            return _read_npz(path, extractor, name)
        if not path.is_dir():
            raise ValueError(f"{name}: {path} is not a folder of images or a .npz file")
        files = _image_files(path)

        def compute(idx: np.ndarray) -> dict[str, np.ndarray]:
            chosen = [files[i] for i in idx]
            return _run(extractor, _folder_batches(chosen, batch_size, size), len(chosen), name, progress)

        everything = np.arange(len(files))
        out = _folder_cache(files, extractor).rows(everything, compute)[0] if cache else compute(everything)
    elif isinstance(source, torch.Tensor):
        out = _run(extractor, _tensor_batches(source, batch_size), len(source), name, progress)
    elif hasattr(source, "__len__") and hasattr(source, "__getitem__"):
        if len(source) == 0:
            raise ValueError(f"{name}: the dataset is empty")
        out = _run(extractor, _dataset_batches(source, batch_size, size), len(source), name, progress)
    else:
        raise ValueError(f"{name}: expected a folder, a .npz file, a tensor or a dataset, got {type(source).__name__}")
    f, p = out["features"], out["probs"]
    mu, sigma = feature_statistics(f, name=name)
    return Features(f, p, mu, sigma, label, extractor.name, len(f))


def save_statistics(features: Features, path: str | os.PathLike) -> None:
    """Write ``mu`` and ``sigma`` (pytorch-fid's .npz format, which it reads as is) plus the extractor and count."""
    extra = {"count": np.array(features.count)} if features.count is not None else {}
    atomic_write(
        path, _npz_bytes(mu=features.mu, sigma=features.sigma, extractor=np.array(features.extractor), **extra)
    )


def _extractor_for(sources, extractor, weights, device) -> FeatureExtractor | None:
    """The extractor, unless every source is already features or statistics (then none is built)."""

    def precomputed(s) -> bool:
        return isinstance(s, Features) or (isinstance(s, (str, os.PathLike)) and Path(s).suffix == ".npz")

    if all(precomputed(s) for s in sources) and not isinstance(extractor, FeatureExtractor):
        return None
    return get_extractor(extractor, weights=weights, device=device)


def _features(src, extractor: FeatureExtractor | None, batch_size: int, progress: bool, name: str) -> Features:
    if isinstance(src, Features):
        return src
    if extractor is None:
        return _read_npz(Path(src), None, name)
    return compute_features(src, extractor=extractor, batch_size=batch_size, progress=progress, name=name)


def _check_comparable(a: Features, b: Features) -> None:
    if a.extractor != b.extractor and "unknown" not in a.extractor + b.extractor:
        raise ValueError(
            f"{a.source} has features of {a.extractor} and {b.source} of {b.extractor}: "
            "scores from different extractors are not comparable"
        )


def _distance(a: Features, b: Features, method: str) -> float:
    """The Fréchet distance of two sets; in the span of the samples when there are fewer than dimensions."""
    if a.mu.shape != b.mu.shape:
        raise ValueError(f"{a.source} has {a.mu.size}-d features and {b.source} {b.mu.size}-d ones")
    if (
        method == "eigh"
        and a.features is not None
        and b.features is not None
        and len(a.features) + len(b.features) < a.mu.size
    ):
        with warnings.catch_warnings():  # the statistics already warned (or the report notes it)
            warnings.simplefilter("ignore", FeatureStatisticsWarning)
            # the same number as below, from N1 x N2 products instead of a D x D problem
            return fid_from_features(a.features, b.features, method="eigh")
    return frechet_distance(a.mu, a.sigma, b.mu, b.sigma, method=method)


def fid(
    real,
    fake,
    *,
    extractor: str | FeatureExtractor = "fid_inception",
    weights: str | os.PathLike | None = "default",
    batch_size: int = 50,
    device: str = "cpu",
    progress: bool = True,
    method: str = "eigh",
) -> float:
    """Fréchet Inception Distance between two image sets.

    Args:
        real, fake: folders, ``.npz`` statistics, tensors, datasets or :class:`Features`
            (see :func:`compute_features`).
        extractor: "fid_inception" (the TensorFlow FID network; comparable with published
            FIDs), "inception_v3", or a :class:`FeatureExtractor`.
        weights: see :func:`get_extractor`.
        batch_size: images per forward pass.
        device: where the network runs.
        progress: show progress bars.
        method: :func:`frechet_distance`'s route; "eigh" (default, several times faster,
            equal to scipy's "sqrtm" to rounding) or "sqrtm".

    Warns:
        FeatureStatisticsWarning: fewer images than feature dimensions (2048): the score is
            biased upwards and not comparable with scores on more images.
    """
    ext = _extractor_for((real, fake), extractor, weights, device)
    a = _features(real, ext, batch_size, progress, "real")
    b = _features(fake, ext, batch_size, progress, "fake")
    _check_comparable(a, b)
    return _distance(a, b, method)


def kid(
    real,
    fake,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    extractor: str | FeatureExtractor = "fid_inception",
    weights: str | os.PathLike | None = "default",
    batch_size: int = 50,
    device: str = "cpu",
    progress: bool = True,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel Inception Distance ``(mean, std)`` over ``subsets`` random subsets of ``subset_size`` images.

    Sources as :func:`fid`; KID needs per-image features, so a statistics-only ``.npz``
    is an error. Subsets hold ``min(subset_size, len(real), len(fake))`` images.
    """
    ext = _extractor_for((real, fake), extractor, weights, device)
    a = _features(real, ext, batch_size, progress, "real")
    b = _features(fake, ext, batch_size, progress, "fake")
    _check_comparable(a, b)
    for s in (a, b):
        if s.features is None:
            raise ValueError(f"KID needs per-image features; {s.source} holds statistics (mu, sigma) only")
    return kid_from_features(a.features, b.features, subsets=subsets, subset_size=subset_size, seed=seed)


def inception_score(
    images,
    *,
    splits: int = 10,
    extractor: str | FeatureExtractor = "fid_inception",
    weights: str | os.PathLike | None = "default",
    batch_size: int = 50,
    device: str = "cpu",
    progress: bool = True,
) -> tuple[float, float]:
    """Inception Score ``(mean, std)`` over ``splits`` consecutive splits of the images' class probabilities.

    With "fid_inception", the probabilities are the reference IS code's (softmax over
    the 1008 bias-free logits; see the module docs).
    """
    ext = _extractor_for((images,), extractor, weights, device)
    a = _features(images, ext, batch_size, progress, "images")
    if a.probs is None:
        raise ValueError(f"the Inception Score needs class probabilities; {a.source} holds statistics only")
    return inception_score_from_probs(a.probs, splits=splits)


@dataclass(frozen=True)
class GenerationReport:
    """FID, KID and IS of one comparison, with the extractor that produced them.

    Attributes:
        extractor: the extractor's name (scores from different extractors are not comparable).
        real, fake: the sources.
        n_real, n_fake: image counts (None: statistics of unknown size).
        fid: Fréchet distance.
        kid: ``(mean, std)``, None when a side has statistics only.
        kid_subset_size: images per KID subset actually used.
        inception_score: ``(mean, std)`` of the fake images, None without probabilities.
        is_splits: splits actually used.
        notes: warnings and adjustments, in words (too few images, fewer splits, ...).
    """

    extractor: str
    real: str
    fake: str
    n_real: int | None
    n_fake: int | None
    fid: float
    kid: tuple[float, float] | None
    kid_subset_size: int | None
    inception_score: tuple[float, float] | None
    is_splits: int | None
    notes: tuple[str, ...] = ()

    def format(self) -> str:
        """The report as printed by ``vistakit evaluate --task generation``."""

        def count(n):
            return f"{n} images" if n is not None else "statistics only"

        lines = [
            f"extractor: {self.extractor}  (scores from different extractors are not comparable)",
            f"real:      {self.real} ({count(self.n_real)})",
            f"fake:      {self.fake} ({count(self.n_fake)})",
            f"FID:       {self.fid:.4f}",
            (
                f"KID:       {self.kid[0]:.4g} ± {self.kid[1]:.4g}  (subsets of {self.kid_subset_size})"
                if self.kid is not None
                else "KID:       n/a (needs per-image features on both sides)"
            ),
            (
                f"IS:        {self.inception_score[0]:.4f} ± {self.inception_score[1]:.4f}  "
                f"({self.is_splits} splits of the fake images)"
                if self.inception_score is not None
                else "IS:        n/a (needs the fake images' class probabilities)"
            ),
        ]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def generation_report(
    real,
    fake,
    *,
    extractor: str | FeatureExtractor = "fid_inception",
    weights: str | os.PathLike | None = "default",
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    is_splits: int = 10,
    batch_size: int = 50,
    device: str = "cpu",
    progress: bool = True,
    seed: int = 0,
) -> GenerationReport:
    """FID, KID and IS (of ``fake``) in one pass over each image set.

    Sources as :func:`fid`. Too few images for a full-rank covariance, fewer images than
    ``kid_subset_size`` or ``is_splits`` do not fail: the scores are computed on what
    there is and :attr:`GenerationReport.notes` says what that means.
    """
    ext = _extractor_for((real, fake), extractor, weights, device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeatureStatisticsWarning)  # the report's notes say it
        a = _features(real, ext, batch_size, progress, "real")
        b = _features(fake, ext, batch_size, progress, "fake")
    _check_comparable(a, b)
    notes: list[str] = []
    for s, side in ((a, "real"), (b, "fake")):
        if s.count is not None and s.count <= s.mu.size:
            notes.append(rank_deficiency_message(side, s.count, s.mu.size))
    unknown = [s for s in (a, b) if "unknown" in s.extractor]
    if len(unknown) == 2:
        notes.append(
            "neither statistics file says which network made it; the FID is only meaningful if both "
            "came from the same one"
        )
    elif unknown:
        other = b if unknown[0] is a else a
        notes.append(
            f"{unknown[0].source} does not say which network made its statistics; the scores are only "
            f"meaningful if it was {other.extractor}"
        )
    fid_value = _distance(a, b, "eigh")
    kid_value, used_size = None, None
    if a.features is not None and b.features is not None:
        used_size = min(kid_subset_size, len(a.features), len(b.features))
        if used_size < kid_subset_size:
            notes.append(
                f"KID subsets hold {used_size} images (fewer images than the {kid_subset_size} asked for); "
                "its mean stays unbiased but its spread is larger"
            )
        kid_value = kid_from_features(
            a.features, b.features, subsets=kid_subsets, subset_size=kid_subset_size, seed=seed
        )
    is_value, used_splits = None, None
    if b.probs is not None:
        used_splits = max(1, min(is_splits, len(b.probs)))
        if used_splits < is_splits:
            notes.append(f"IS over {used_splits} splits (only {len(b.probs)} fake images for {is_splits} splits)")
        is_value = inception_score_from_probs(b.probs, splits=used_splits)
    name = a.extractor if "unknown" not in a.extractor else b.extractor
    return GenerationReport(
        name, a.source, b.source, a.count, b.count, fid_value, kid_value, used_size, is_value, used_splits, tuple(notes)
    )
