"""Search by embedding: image embeddings from any backbone, saved with how they were made.

:func:`embed_folder` / :func:`embed_dataset` / :func:`embed_images` run a classifier's
pre-logits (``forward_head(..., pre_logits=True)``, through :func:`extract_features`)
over images and return :class:`Embeddings`: the (N, D) features plus the paths, the
labels (for data sets), the model, the weights and the exact eval transform used.
:meth:`Embeddings.save` writes them to ``.npz`` (or ``.npy`` plus a ``.json`` beside
it), so :func:`search_similar` can embed a query image with exactly the same model,
weights and preprocessing and find its neighbours with the exact blocked cosine
search of :func:`vistakit.metrics.cosine_knn`;
:func:`write_similar_html` shows the query and its neighbours on one self-contained
page. With ``cache=`` a folder, the features go through the one feature cache
(:class:`FeatureCache`), so embedding the same images again costs nothing.

Preprocessing (:func:`embedding_transform`):

* ``weights`` names a published tag: that entry's :class:`EvalTransform` (with
  ``image_size`` given, the crop becomes ``image_size`` and the resize keeps the
  entry's resize/crop ratio);
* a checkpoint file or no weights: resize the shorter side to ``image_size`` (default:
  the model's ``ModelSpec.input_size``, 224 for a bare module), center-crop
  ``image_size``, bilinear, ImageNet mean/std.

A registered model without weights is built from a fixed seed (:data:`RANDOM_INIT_SEED`),
so its embeddings, too, can be reproduced for a query.

Grayscale images (1-channel data sets such as MNIST) are replicated to RGB: this works
with any pretrained weights, and a checkpoint trained on one channel still loads, its
first convolution summed-and-repeated by :func:`create_model` to the same function.
Pass ``in_chans=1`` only for a module built for one channel.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from .._files import IMAGE_SUFFIXES, atomic_write, list_images
from ..data import load_dataset
from ..metrics import cosine_knn
from ..models import EvalTransform, create_model, load_image, model_info, parse_weights, preprocess
from ._cache import FeatureCache, dataset_fingerprint, feature_key, files_fingerprint, module_fingerprint
from ._extract import extract_features

ModelLike = str | nn.Module
RANDOM_INIT_SEED = 0  # a registered model without weights is built from this seed: reproducible embeddings


@dataclass
class Embeddings:
    """Image embeddings and everything needed to embed one more image the same way.

    Attributes:
        features: (N, D) float32, one row per image.
        paths: (N,) where each row came from: a file path, or ``"<dataset>/<split>/<index>"``
            for images held in memory by a data set.
        labels: (N,) int64 (or (N, K) for multi-label targets) when the images came
            from a data set, else None.
        model: registry name of the model (a class name for a bare module).
        weights: the published tag or checkpoint path, or None (random init).
        transform: the eval preprocessing applied to every image.
        in_chans: channels the model saw (grey images replicated to RGB when 3).
        classes: class names the labels index into (data sets).
        source: where the images came from: ``{"kind": "folder", "root": ...}``,
            ``{"kind": "dataset", "name": ..., "split": ..., "root": ...}`` or
            ``{"kind": "images"}``.
    """

    features: np.ndarray
    paths: list[str]
    model: str
    weights: str | None
    transform: EvalTransform
    labels: np.ndarray | None = None
    in_chans: int = 3
    classes: list[str] | None = None
    source: dict[str, Any] = field(default_factory=lambda: {"kind": "images"})

    def __post_init__(self) -> None:
        self.features = np.asarray(self.features, dtype=np.float32)
        if self.features.ndim != 2:
            raise ValueError(f"features must be (N, D), got shape {self.features.shape}")
        if len(self.paths) != len(self.features):
            raise ValueError(f"{len(self.features)} feature rows but {len(self.paths)} paths")
        if self.labels is not None and len(self.labels) != len(self.features):
            raise ValueError(f"{len(self.features)} feature rows but {len(self.labels)} labels")

    def __len__(self) -> int:
        return int(self.features.shape[0])

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "weights": self.weights,
            "transform": asdict(self.transform),
            "in_chans": self.in_chans,
            "classes": self.classes,
            "source": self.source,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write to ``.npz`` or ``.npy`` (+ ``.json``), atomically.

        ``.npz`` holds the arrays ``features`` (N, D) float32, ``paths`` (N,) str,
        ``labels`` (data sets only), ``model``, ``weights`` ('' for none) and ``meta``
        (JSON: transform, in_chans, classes, source); it loads without pickle.
        ``.npy`` holds the features only; the rest goes to the ``.json`` file of the
        same stem (``feats.npy`` + ``feats.json``).

        Returns:
            The path written (the ``.npz`` or ``.npy``).
        """
        path = Path(path)
        if path.suffix not in (".npz", ".npy"):
            raise ValueError(f"{path}: embeddings are written to .npz or .npy, not {path.suffix or 'no suffix'!r}")
        buf = io.BytesIO()
        if path.suffix == ".npz":
            arrays: dict[str, np.ndarray] = {
                "features": self.features,
                "paths": np.array(self.paths, dtype=str),
                "model": np.array(self.model),
                "weights": np.array(self.weights or ""),
                "meta": np.array(json.dumps(self._meta())),
            }
            if self.labels is not None:
                arrays["labels"] = np.asarray(self.labels)
            np.savez(buf, **arrays)
            atomic_write(path, buf.getvalue())
            return path
        np.save(buf, self.features)
        atomic_write(path, buf.getvalue())
        side = {
            **self._meta(),
            "paths": self.paths,
            "labels": None if self.labels is None else np.asarray(self.labels).tolist(),
        }
        atomic_write(path.with_suffix(".json"), json.dumps(side).encode())
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Embeddings:
        """Read what :meth:`save` wrote (``.npz``, or ``.npy`` with its ``.json``)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such embeddings file")
        if path.suffix == ".npy":
            side = path.with_suffix(".json")
            if not side.is_file():
                raise FileNotFoundError(f"{path}: the paths and model are kept in {side}, which is missing")
            feats = np.load(path, allow_pickle=False)
            try:
                meta = json.loads(side.read_text())
                paths, labels = meta["paths"], meta.get("labels")
            except (ValueError, KeyError) as e:
                raise ValueError(f"{side}: not an embeddings description ({type(e).__name__}: {e})") from None
            labels = None if labels is None else np.asarray(labels)
        elif path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                missing = [k for k in ("features", "paths", "model", "meta") if k not in z]
                if missing:
                    raise ValueError(
                        f"{path}: missing array(s) {missing}; expected an embeddings file "
                        f"written by `vistakit embed` (features, paths, model, weights, meta)"
                    )
                feats, paths = z["features"], z["paths"].tolist()
                labels = z["labels"] if "labels" in z else None
                meta = json.loads(str(z["meta"]))
                meta["model"], meta["weights"] = str(z["model"]), str(z["weights"]) or None
        else:
            raise ValueError(f"{path}: expected a .npz or .npy embeddings file")
        try:
            transform = EvalTransform(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in meta["transform"].items()}
            )
            return cls(
                feats,
                list(paths),
                meta["model"],
                meta.get("weights"),
                transform,
                labels=labels,
                in_chans=int(meta.get("in_chans", 3)),
                classes=meta.get("classes"),
                source=meta.get("source") or {"kind": "images"},
            )
        except (KeyError, TypeError) as e:
            raise ValueError(f"{path}: embeddings metadata incomplete ({type(e).__name__}: {e})") from None


def embedding_transform(
    model: ModelLike, *, weights: str | os.PathLike | None = None, image_size: int | None = None
) -> EvalTransform:
    """The preprocessing embeddings of ``model`` with ``weights`` use (see the module doc)."""
    published = parse_weights(weights, model=model).weights if isinstance(model, str) and weights is not None else None
    if published is not None:  # a published tag: its eval transform
        t = published.transform
        if image_size is None or image_size == t.crop:
            return t
        return EvalTransform(
            resize=round(image_size * t.resize / t.crop),
            crop=image_size,
            interpolation=t.interpolation,
            mean=t.mean,
            std=t.std,
        )
    if isinstance(model, str) and weights is not None and not Path(weights).exists():
        try:
            model_info(model).get_weights(str(weights))  # raises, naming the tags there are
        except ValueError as e:
            raise ValueError(f"{e}; nor is it a checkpoint file") from None
    if image_size is None:
        image_size = model_info(model).input_size if isinstance(model, str) else 224
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}")
    return EvalTransform(resize=image_size, crop=image_size, interpolation="bilinear")  # ImageNet mean/std


def load_embedding_model(
    model: ModelLike, *, weights: str | os.PathLike | None = None, in_chans: int = 3
) -> tuple[nn.Module, str]:
    """``(module in eval mode, name)``: a registered model built with ``weights``, or a module as is.

    Without weights the model is initialised from the fixed seed :data:`RANDOM_INIT_SEED`
    (the global RNG is left untouched), so embeddings of a random-init model can be
    reproduced when a query is embedded later.
    """
    if isinstance(model, nn.Module):
        if weights is not None:
            raise ValueError("weights= applies to a registered model name; load them into the module yourself")
        return model.eval(), type(model).__name__
    if weights is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_INIT_SEED)
            return create_model(model, in_chans=in_chans).eval(), model
    return create_model(model, weights=weights, in_chans=in_chans).eval(), model


def _to_pil(image: torch.Tensor) -> Image.Image:
    """uint8 (C, H, W) with C = 1 or 3 -> a PIL image (L or RGB)."""
    arr = image.numpy()
    if image.dtype != torch.uint8 or arr.ndim != 3 or arr.shape[0] not in (1, 3):
        raise ValueError(f"expected a uint8 (1 or 3, H, W) image, got {image.dtype} {tuple(image.shape)}")
    return (
        Image.fromarray(arr[0], "L")
        if arr.shape[0] == 1
        else Image.fromarray(np.ascontiguousarray(arr.transpose(1, 2, 0)), "RGB")
    )


def _batches(
    load: Callable[[int], Image.Image],
    items: Sequence[int],
    *,
    transform: EvalTransform,
    in_chans: int,
    batch_size: int,
    workers: int,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Decode and preprocess the images ``load(i)`` of ``items`` in threads (Pillow releases the GIL),
    in order, batch by batch."""
    prep = lambda i: preprocess(load(i), transform, in_chans=in_chans)  # noqa: E731
    items = [int(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for start in range(0, len(items), batch_size):
            idx = items[start : start + batch_size]
            yield torch.stack(list(pool.map(prep, idx))), torch.as_tensor(idx)


class _Embedder:
    """A model, its weights and its preprocessing, loaded once: images -> (N, D) float32 features,
    through the feature cache when given one."""

    def __init__(
        self,
        model: ModelLike,
        *,
        weights: str | os.PathLike | None,
        image_size: int | None,
        in_chans: int,
        batch_size: int,
        device: str | torch.device,
        workers: int | None,
        progress: bool,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.transform = embedding_transform(model, weights=weights, image_size=image_size)
        self.net, self.name = load_embedding_model(model, weights=weights, in_chans=in_chans)
        self.in_chans, self.batch_size, self.device, self.progress = in_chans, batch_size, device, progress
        self.workers = workers or min(8, os.cpu_count() or 1)

    def __call__(
        self,
        load: Callable[[int], Image.Image],
        items: Sequence[int],
        *,
        desc: str,
        cache: str | os.PathLike | None = None,
        data: str | None = None,
    ) -> np.ndarray:
        """(len(items), D) features of the images ``load(i)``; ``cache``: a folder keyed by ``data``."""
        if len(items) == 0:
            raise ValueError(f"{desc}: no images to embed")

        def compute(idx: Sequence[int]) -> dict[str, np.ndarray]:
            batches = _batches(
                load,
                idx,
                transform=self.transform,
                in_chans=self.in_chans,
                batch_size=self.batch_size,
                workers=self.workers,
            )
            feats, _ = extract_features(self.net, batches, device=self.device, progress=self.progress, desc=desc)
            return {"features": feats.astype(np.float32, copy=False)}

        if cache is None:
            return compute(items)["features"]
        key = feature_key(
            model=self.name,
            weights=module_fingerprint(self.net, name=self.name),
            preprocessing={**asdict(self.transform), "in_chans": self.in_chans},
            data=str(data),
        )
        return FeatureCache.in_folder(cache, key, prefix="embed").rows(items, compute)[0]["features"]


def embed_images(
    model: ModelLike,
    paths: Sequence[str | os.PathLike],
    *,
    weights: str | os.PathLike | None = None,
    image_size: int | None = None,
    in_chans: int = 3,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    workers: int | None = None,
    progress: bool = False,
    cache: str | os.PathLike | None = None,
) -> Embeddings:
    """Embed image files.

    Args:
        model: a registered model name, or an ``nn.Module`` (a vistakit classifier's
            pre-logits are used; any other module must return (N, D) features).
        paths: image files.
        weights: a published tag, a checkpoint file, or None (random init).
        image_size: crop side (see the module doc for the default).
        in_chans: 3 (grey images replicated to RGB) or 1 for a one-channel model.
        batch_size: images per forward pass.
        device: where the model runs.
        workers: decoding threads (default: CPU count, at most 8).
        progress: show a progress bar.
        cache: a folder for the feature cache (:class:`FeatureCache`, keyed by the model's
            weights, the preprocessing and the files' paths, sizes and times): a second
            call embeds nothing again. None: no cache.

    Returns:
        :class:`Embeddings` with ``features`` (N, D) in the order of ``paths``.

    Raises:
        ValueError: an unreadable image (naming the file), unknown model or weights.
    """
    paths = [str(p) for p in paths]
    if not paths:
        raise ValueError("embed: no images to embed")
    embedder = _Embedder(
        model,
        weights=weights,
        image_size=image_size,
        in_chans=in_chans,
        batch_size=batch_size,
        device=device,
        workers=workers,
        progress=progress,
    )
    feats = embedder(
        lambda i: load_image(paths[i]),
        range(len(paths)),
        desc="embed",
        cache=cache,
        data=files_fingerprint(paths) if cache is not None else None,
    )
    return Embeddings(
        feats, paths, embedder.name, None if weights is None else str(weights), embedder.transform, in_chans=in_chans
    )


def embed_folder(model: ModelLike, folder: str | os.PathLike, **kwargs: Any) -> Embeddings:
    """Embed every image under ``folder`` (recursively, sorted by path); options as :func:`embed_images`."""
    files = list_images(folder)
    if not files:
        raise ValueError(f"{folder}: no images found (looked for {', '.join(IMAGE_SUFFIXES)}, recursively)")
    emb = embed_images(model, files, **kwargs)
    emb.source = {"kind": "folder", "root": str(Path(folder).resolve())}
    return emb


def _dataset_paths(ds, indices: Sequence[int]) -> list[str]:
    if hasattr(ds, "paths"):
        return [str(ds.paths[i]) for i in indices]
    name = getattr(getattr(ds, "info", None), "name", type(ds).__name__)
    return [f"{name}/{getattr(ds, 'split', '?')}/{i}" for i in indices]


def embed_dataset(
    model: ModelLike,
    dataset,
    *,
    indices: Sequence[int] | None = None,
    weights: str | os.PathLike | None = None,
    image_size: int | None = None,
    in_chans: int = 3,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    workers: int | None = None,
    progress: bool = False,
    root: str | os.PathLike | None = None,
    cache: str | os.PathLike | None = None,
) -> Embeddings:
    """Embed the images of a vistakit data set (its raw images: ``dataset.transform`` is not applied).

    Args:
        model, weights, image_size, in_chans, batch_size, device, workers, progress:
            as for :func:`embed_images`.
        dataset: a :class:`vistakit.data.VisionDataset` (``load_image(i)`` -> uint8 (C, H, W)).
        indices: only these items (default: all), in this order.
        root: the ``root=`` the data set was loaded with, recorded so the images can
            be shown again later (:func:`write_similar_html`).
        cache: a folder for the feature cache, rows kept by item index (keyed by
            :func:`dataset_fingerprint`): another subset of the same data set embeds
            only the items not embedded before. None: no cache.

    Returns:
        :class:`Embeddings` with ``labels`` (the data set's targets) and ``classes``.
    """
    idx = list(range(len(dataset))) if indices is None else [int(i) for i in indices]
    embedder = _Embedder(
        model,
        weights=weights,
        image_size=image_size,
        in_chans=in_chans,
        batch_size=batch_size,
        device=device,
        workers=workers,
        progress=progress,
    )
    info = getattr(dataset, "info", None)
    feats = embedder(
        lambda i: _to_pil(dataset.load_image(i)),
        idx,
        desc=f"embed {getattr(info, 'name', 'dataset')}",
        cache=cache,
        data=dataset_fingerprint(dataset) if cache is not None else None,
    )
    targets = getattr(dataset, "targets", None)
    labels = None if targets is None else torch.as_tensor(targets)[idx].numpy()
    source = {
        "kind": "dataset",
        "name": getattr(info, "name", None),
        "split": getattr(dataset, "split", None),
        "root": None if root is None else str(Path(root).resolve()),
    }
    return Embeddings(
        feats,
        _dataset_paths(dataset, idx),
        embedder.name,
        None if weights is None else str(weights),
        embedder.transform,
        labels=labels,
        in_chans=in_chans,
        classes=list(getattr(dataset, "classes", []) or []) or None,
        source=source,
    )


def dataset_embedder(
    model: ModelLike,
    *,
    weights: str | os.PathLike | None = None,
    image_size: int | None = None,
    in_chans: int = 3,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
    progress: bool = False,
    cache: str | os.PathLike | None = None,
) -> Callable[[Any, Sequence[int]], np.ndarray]:
    """``embed(dataset, indices) -> (len(indices), D)`` with one model loaded once, for
    :func:`vistakit.data.check_splits` (``near_duplicates=True, embed=...``); options as
    :func:`embed_dataset`."""
    embedder = _Embedder(
        model,
        weights=weights,
        image_size=image_size,
        in_chans=in_chans,
        batch_size=batch_size,
        device=device,
        workers=None,
        progress=progress,
    )

    def embed(dataset, indices: Sequence[int]) -> np.ndarray:
        idx = [int(i) for i in indices]
        if not idx:
            return np.zeros((0, 0), dtype=np.float32)
        return embedder(
            lambda i: _to_pil(dataset.load_image(i)),
            idx,
            desc="embed",
            cache=cache,
            data=dataset_fingerprint(dataset) if cache is not None else None,
        )

    return embed


@dataclass(frozen=True)
class Neighbour:
    """One search result: rank 1 is the most similar."""

    rank: int
    index: int
    similarity: float
    path: str
    label: str | None


def embed_query(
    embeddings: Embeddings,
    image: str | os.PathLike | Image.Image,
    *,
    model: nn.Module | None = None,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """(1, D) embedding of one image with the model, weights and transform of ``embeddings``.

    Args:
        embeddings: what the database was made with.
        image: an image file or a PIL image.
        model: the module, when ``embeddings`` came from a bare module (not a registered name).
        device: where the model runs.
    """
    if model is None:
        try:
            model_info(embeddings.model)
        except ValueError:
            raise ValueError(
                f"the embeddings were made with {embeddings.model!r}, which is not a registered model; "
                "pass the module as model="
            ) from None
        model, _ = load_embedding_model(embeddings.model, weights=embeddings.weights, in_chans=embeddings.in_chans)
    pil = image if isinstance(image, Image.Image) else load_image(image)
    x = preprocess(pil, embeddings.transform, in_chans=embeddings.in_chans)[None]
    feats, _ = extract_features(model, [(x, torch.zeros(1))], device=device, progress=False)
    if feats.shape[1] != embeddings.features.shape[1]:
        raise ValueError(
            f"the query embedding has {feats.shape[1]} dimensions, the database {embeddings.features.shape[1]}"
        )
    return feats


def search_similar(
    embeddings: Embeddings,
    query: str | os.PathLike | Image.Image | np.ndarray,
    *,
    k: int = 10,
    model: nn.Module | None = None,
    device: str | torch.device = "cpu",
) -> list[Neighbour]:
    """The ``k`` most similar images (cosine similarity, exact) to a query image or embedding.

    Args:
        embeddings: the database (:meth:`Embeddings.load`).
        query: an image file, a PIL image, or an already computed (D,) / (1, D) embedding.
        k: how many neighbours (at most the database size).
        model: see :func:`embed_query`.
        device: where the model runs.

    Returns:
        Neighbours, most similar first.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if isinstance(query, np.ndarray):
        q = query.reshape(1, -1)
    else:
        q = embed_query(embeddings, query, model=model, device=device)
    sims, idx = cosine_knn(q, embeddings.features, k=k)
    out = []
    for rank, (s, i) in enumerate(zip(sims[0].tolist(), idx[0].tolist()), start=1):
        out.append(Neighbour(rank, int(i), float(s), embeddings.paths[i], _label(embeddings, i)))
    return out


def _label(emb: Embeddings, i: int) -> str | None:
    if emb.labels is None:
        return None
    lab = np.asarray(emb.labels[i])
    if lab.ndim == 0 and emb.classes and 0 <= int(lab) < len(emb.classes):
        return emb.classes[int(lab)]
    return str(lab.tolist())


def neighbour_image(emb: Embeddings, index: int, *, _cache: dict | None = None) -> Image.Image | None:
    """The image behind row ``index``: its file, or the data set reloaded from ``source``; None if unavailable."""
    path = emb.paths[index]
    if os.path.isfile(path):
        try:
            return load_image(path)
        except ValueError:
            return None
    src = emb.source
    if src.get("kind") != "dataset" or not src.get("name"):
        return None
    cache = {} if _cache is None else _cache
    try:
        if "ds" not in cache:
            cache["ds"] = load_dataset(src["name"], src.get("split") or "train", root=src.get("root"), download=False)
        item = int(path.rsplit("/", 1)[-1])
        return _to_pil(cache["ds"].load_image(item))
    except (ValueError, OSError, IndexError):
        return None


def _thumb_uri(image: Image.Image | None, size: int) -> str | None:
    if image is None:
        return None
    im = image.convert("RGB") if image.mode not in ("RGB", "L") else image.copy()
    if max(im.size) < size:  # small images (MNIST) are enlarged without blurring
        scale = size / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.NEAREST)
    im.thumbnail((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #222; }}
.query {{ margin-bottom: 1.5em; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax({cell}px, 1fr)); gap: 12px; }}
figure {{ margin: 0; padding: 6px; border: 1px solid #ddd; border-radius: 4px; }}
img {{ display: block; max-width: {thumb}px; max-height: {thumb}px; margin: auto; image-rendering: auto; }}
figcaption {{ font-size: 12px; margin-top: 4px; word-break: break-all; }}
.missing {{ width: {thumb}px; height: {thumb}px; background: #eee; display: flex; align-items: center;
           justify-content: center; font-size: 12px; color: #888; margin: auto; }}
.meta {{ font-size: 13px; color: #555; }}
</style></head><body>
<h1>Nearest neighbours</h1>
<p class="meta">{meta}</p>
<div class="query"><h2>Query</h2><figure style="display:inline-block">{query}<figcaption>{query_caption}</figcaption></figure></div>
<h2>{n} neighbours by cosine similarity</h2>
<div class="grid">
{cells}
</div>
</body></html>
"""


def _img_tag(uri: str | None, alt: str) -> str:
    if uri is None:
        return '<div class="missing">image not available</div>'
    return f'<img src="{uri}" alt="{html.escape(alt, quote=True)}">'


def write_similar_html(
    path: str | os.PathLike,
    embeddings: Embeddings,
    query: str | os.PathLike | Image.Image,
    neighbours: Sequence[Neighbour],
    *,
    thumb_size: int = 160,
) -> Path:
    """A self-contained HTML page (thumbnails inlined as base64 PNG), written atomically.

    The query is on top; the neighbours follow in a grid, each with its rank, cosine
    similarity, path and label.

    Returns:
        ``path``.
    """
    qimg = query if isinstance(query, Image.Image) else load_image(query)
    qname = (getattr(query, "filename", "") or "<image>") if isinstance(query, Image.Image) else str(query)
    cache: dict = {}
    cells = []
    for nb in neighbours:
        uri = _thumb_uri(neighbour_image(embeddings, nb.index, _cache=cache), thumb_size)
        caption = f"#{nb.rank} &middot; cos {nb.similarity:.4f}<br>{html.escape(nb.path)}"
        if nb.label is not None:
            caption += f"<br>label: {html.escape(nb.label)}"
        cells.append(f"<figure>{_img_tag(uri, nb.path)}<figcaption>{caption}</figcaption></figure>")
    t = embeddings.transform
    meta = (
        f"model {embeddings.model}, weights {embeddings.weights or 'none (random init)'}; "
        f"{len(embeddings):,} images x {embeddings.features.shape[1]} dimensions; preprocessing: resize {t.resize}, "
        f"crop {t.crop}, {t.interpolation}"
    )
    page = _PAGE.format(
        title=html.escape(f"neighbours of {qname}"),
        cell=thumb_size + 20,
        thumb=thumb_size,
        meta=html.escape(meta),
        query=_img_tag(_thumb_uri(qimg, thumb_size), qname),
        query_caption=html.escape(qname),
        n=len(neighbours),
        cells="\n".join(cells),
    )
    atomic_write(path, page.encode("utf-8"))
    return Path(path)


__all__ = [
    "Embeddings",
    "Neighbour",
    "dataset_embedder",
    "embed_dataset",
    "embed_folder",
    "embed_images",
    "embed_query",
    "embedding_transform",
    "load_embedding_model",
    "neighbour_image",
    "search_similar",
    "write_similar_html",
]
