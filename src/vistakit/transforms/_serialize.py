"""Pipelines to and from YAML / JSON.

The canonical form is :meth:`Transform.to_dict` output::

    name: Compose
    seed: 0
    transforms:
      - {name: RandomResizedCrop, size: [224, 224], scale: [0.08, 1.0]}
      - {name: HorizontalFlip, p: 0.5}

For hand-written files a shorter form is also read: a top-level list (or a
mapping with ``transforms`` and no ``name``) is a Compose, and a list item may be
``{HorizontalFlip: {p: 0.5}}``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from . import _compose  # noqa: F401  (registers the composites)
from ._base import _REGISTRY, Transform, from_dict

__all__ = ["save_pipeline", "load_pipeline", "pipeline_from_config", "pipeline_to_yaml"]


def _normalise(item: Any, where: str) -> Any:
    """Expand the short form; ``where`` locates the item for error messages."""
    if isinstance(item, list):
        return [_normalise(v, f"{where}[{i}]") for i, v in enumerate(item)]
    if not isinstance(item, dict):
        return item
    if "name" not in item and len(item) == 1:
        ((key, value),) = item.items()
        if key not in _REGISTRY:
            raise ValueError(f"{where}: unknown transform {key!r}; known: {sorted(_REGISTRY)}")
        args = value or {}
        if not isinstance(args, dict):
            raise ValueError(f"{where}: arguments of {key} must be a mapping, got {args!r}")
        item = {"name": key, **args}
    if "name" in item:
        return {k: (_normalise(v, f"{where}.{k}".lstrip(".")) if k == "transforms" else v) for k, v in item.items()}
    return item


def pipeline_from_config(config: Any, *, where: str = "pipeline") -> Transform:
    """Build a transform from a parsed YAML/JSON document (see the module notes)."""
    if isinstance(config, list):
        config = {"name": "Compose", "transforms": config}
    elif isinstance(config, dict) and "name" not in config and "transforms" in config:
        config = {"name": "Compose", **config}
    try:
        config = _normalise(config, "")
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    if not isinstance(config, dict) or "name" not in config:
        raise ValueError(
            f"{where}: expected a transform mapping with 'name', a list of transforms, or a mapping "
            f"with 'transforms'; got {type(config).__name__}"
        )
    try:
        return from_dict(config)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def pipeline_to_yaml(transform: Transform) -> str:
    """The YAML text of a transform or pipeline."""
    return yaml.safe_dump(transform.to_dict(), sort_keys=False, default_flow_style=None)


def save_pipeline(transform: Transform, path: str | Path) -> Path:
    """Write a pipeline as YAML (``.yaml``/``.yml``) or JSON (``.json``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        text = pipeline_to_yaml(transform)
    elif suffix == ".json":
        text = json.dumps(transform.to_dict(), indent=2) + "\n"
    else:
        raise ValueError(f"{path}: unknown pipeline format {suffix!r}; expected .yaml, .yml or .json")
    path.write_text(text)
    return path


def load_pipeline(path: str | Path) -> Transform:
    """Read a pipeline written by :func:`save_pipeline` (or by hand, see the module notes)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such pipeline file")
    text = path.read_text()
    try:
        if path.suffix.lower() == ".json":
            config = json.loads(text)
        else:
            config = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as e:
        raise ValueError(f"{path}: cannot parse ({e})") from None
    return pipeline_from_config(config, where=str(path))
