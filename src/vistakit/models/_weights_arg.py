"""parse_weights: the one reading of a weights argument (published tag, checkpoint file or run folder).

``create_model(weights=)``, ``load_weights``, fine-tuning, embeddings and the CLI all call
it, so ``--weights imagenet`` means the same everywhere and does not depend on the files
in the current directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ._registry import Weights, model_info, published_tags

RUN_CONFIG = "config.yaml"
"""The file that marks a run folder (written by ``vistakit train`` / ``vistakit finetune``)."""
RUN_CHECKPOINTS = ("best.pt", "final.pt")
"""A run folder's weights, in the order they are taken: the best validation epoch, else a
finished ensemble member's final weights."""

WeightsKind = Literal["tag", "file", "run"]


@dataclass(frozen=True)
class WeightsArg:
    """A classified weights argument.

    Attributes:
        kind: "tag" (published weights of the model), "file" (a checkpoint file) or "run"
            (a run folder).
        value: the argument as given, as a string.
        model: the registered model it was read for (None when none was named).
        weights: for a tag, the model's published :class:`Weights` entry.
        path: the checkpoint file to load: the file itself, or the run's ``best.pt``
            (else ``final.pt``); None for a tag.
        run_dir: for a run, its folder.
    """

    kind: WeightsKind
    value: str
    model: str | None = None
    weights: Weights | None = None
    path: Path | None = None
    run_dir: Path | None = None

    @property
    def tag(self) -> str | None:
        """The published tag (kind "tag"), else None."""
        return self.weights.tag if self.weights is not None else None


def _run_checkpoint(folder: Path) -> Path:
    """The weights file of the run folder ``folder``, or FileNotFoundError saying what is missing."""
    for name in RUN_CHECKPOINTS:
        if (folder / name).is_file():
            if not (folder / RUN_CONFIG).is_file():
                raise FileNotFoundError(
                    f"weights {folder}: a folder with {name} but no {RUN_CONFIG}, so not a run "
                    "folder; pass the checkpoint file itself"
                )
            return folder / name
    members = sorted(p.name for p in folder.glob("member-*") if any((p / n).is_file() for n in RUN_CHECKPOINTS))
    if members:  # an ensemble run: its networks live in member-K/
        raise FileNotFoundError(
            f"weights {folder}: an ensemble run has no {RUN_CHECKPOINTS[0]} of its own; take one "
            f"of its networks, e.g. {folder / members[0]}"
        )
    raise FileNotFoundError(
        f"weights {folder}: a folder, but no {' or '.join(RUN_CHECKPOINTS)} there; a run folder "
        f"({RUN_CONFIG} and {RUN_CHECKPOINTS[0]}) is written by `vistakit train` or "
        "`vistakit finetune`"
    )


def parse_weights(value: str | os.PathLike, *, model: str | None = None) -> WeightsArg:
    """Classify a weights argument: a published tag of ``model``, a checkpoint file or a run folder.

    The rules, in order:

    1. A ``str`` that is a tag ``model``'s spec lists is that tag. A ``str`` spelled like a
       tag of any registered model ("imagenet", "imagenet_v2", ...) is a tag too, and an
       error when ``model`` does not publish it. Neither depends on the current
       directory: a file called ``imagenet`` there is reached as ``./imagenet``.
    2. Otherwise the value is a path (an ``os.PathLike`` always is): an existing file is a
       checkpoint file; an existing folder is a run folder, which must hold
       ``config.yaml`` and ``best.pt`` (or a finished ensemble member's ``final.pt``).

    The parser only classifies and validates; nothing is read or downloaded.

    Args:
        value: the argument (``--weights``, ``weights=``); None (random init) is the
            caller's business.
        model: the registered model name; without it only paths are accepted.

    Returns:
        The :class:`WeightsArg`.

    Raises:
        ValueError: an unknown model name; a tag ``model`` does not publish; a value
            that is neither a published tag of ``model`` nor an existing file or folder
            (a bare name, no suffix or separator).
        FileNotFoundError: a path-like value (suffix, separator, ``os.PathLike``) that
            does not exist; a folder that is not a run folder.
    """
    if value is None:
        raise TypeError("parse_weights: no weights argument (None means random init; handle it before parsing)")
    text = os.fspath(value)
    if not isinstance(text, str):
        raise TypeError(f"parse_weights: expected a tag or a path, got {type(value).__name__}")
    if not text:
        raise ValueError("weights: an empty argument is neither a published tag nor a path")
    spec = model_info(model) if model is not None else None
    if isinstance(value, str):
        own = [w.tag for w in spec.weights] if spec is not None else []
        if value in own:
            return WeightsArg("tag", text, model, weights=spec.get_weights(value))
        if value in published_tags():
            if spec is None:
                raise ValueError(f"weights {value!r} is a published tag: name the model it is for")
            spec.get_weights(value)  # raises: the model publishes other weights (or none)
    path = Path(text)
    if path.is_file():
        return WeightsArg("file", text, model, path=path)
    if path.is_dir():
        return WeightsArg("run", text, model, path=_run_checkpoint(path), run_dir=path)
    known = (", ".join(w.tag for w in spec.weights) or "none") if spec is not None else None
    looks_like_path = not isinstance(value, str) or bool(path.suffix) or os.sep in text or "/" in text
    if looks_like_path:
        tail = f" (nor a published tag of {model}; available: {known})" if spec is not None else ""
        raise FileNotFoundError(f"weights {text}: no such checkpoint file or run folder{tail}")
    if spec is None:
        raise ValueError(
            f"weights {text!r}: not an existing file or run folder (name the model to use a published tag)"
        )
    raise ValueError(
        f"model {model!r} has no weights {text!r}: neither a published tag of {model} "
        f"(available: {known}) nor an existing file or run folder"
    )
