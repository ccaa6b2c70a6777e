"""Training augmentation on whole batches, built from a YAML list of batch ops.

The file given to ``--augment`` (or ``TrainConfig.augment``) is a list of the
batched ops of :mod:`vistakit.transforms.batch`, e.g.::

    - {name: BatchHorizontalFlip, p: 0.5}
    - {name: BatchRandomCrop, padding: 2}
    - {BatchColorJitter: {brightness: 0.2}}

MixUp / CutMix come from ``mixup_alpha`` / ``cutmix_alpha``: when both are set,
each batch gets one of the two, chosen at random (as timm does).

The pipeline is called as ``augment(images, labels) -> (images, labels)`` on
(N, C, H, W) float images in [0, 1] and (N,) class indices; labels come back as
(N, num_classes) soft targets after a mix.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import yaml

from ..transforms import batch, get_transform_class

BatchAugment = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class BatchPipeline:
    """Batch ops applied in order, drawing from one seeded generator (saved in checkpoints).

    Args:
        ops: callables ``op(images, labels, generator=g) -> (images, labels)``.
        mixers: MixUp / CutMix ops; one of them, picked at random, ends each batch.
        seed: seed of the generator.
    """

    def __init__(self, ops: Sequence[Any], *, mixers: Sequence[Any] = (), seed: int = 0) -> None:
        self.ops, self.mixers = list(ops), list(mixers)
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for op in self.ops:
            images, labels = op(images, labels, generator=self.generator)
        if self.mixers:
            k = int(torch.randint(len(self.mixers), (1,), generator=self.generator))
            images, labels = self.mixers[k](images, labels, generator=self.generator)
        return images, labels

    def __repr__(self) -> str:
        names = [type(op).__name__ for op in self.ops + self.mixers]
        return f"BatchPipeline({', '.join(names)})"


def read_augment_spec(spec: str | os.PathLike | Sequence[Any] | dict[str, Any]) -> list[Any]:
    """The list of batch ops of a YAML file (or of an already parsed document)."""
    return _read_spec(spec)[0]


def _read_spec(spec: str | os.PathLike | Sequence[Any] | dict[str, Any]) -> tuple[list[Any], str]:
    if isinstance(spec, (str, os.PathLike)):
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(f"augmentation file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as e:
            raise ValueError(f"{path}: not valid YAML: {e}") from None
        spec, where = data, str(path)
    else:
        where = "augment"
    if isinstance(spec, dict):
        spec = spec.get("transforms", [spec]) if "name" not in spec or spec.get("name") == "BatchCompose" else [spec]
    if not isinstance(spec, list):
        raise ValueError(f"{where}: expected a list of batch ops, got {type(spec).__name__}")
    return spec, where


def build_augment(
    spec: str | os.PathLike | Sequence[Any] | dict[str, Any] | None,
    *,
    num_classes: int,
    mixup_alpha: float = 0.0,
    cutmix_alpha: float = 0.0,
    seed: int = 0,
) -> BatchPipeline | None:
    """The batch augmentation of a run, or None when there is none.

    Args:
        spec: YAML path, or the parsed list of ops (see the module notes); None: no ops.
        num_classes: size of the soft targets of MixUp / CutMix.
        mixup_alpha: MixUp's Beta parameter (0: off).
        cutmix_alpha: CutMix's Beta parameter (0: off).
        seed: seed of the pipeline's generator.

    Raises:
        ValueError: an unknown op (with the known ones), or bad arguments, naming the item.
    """
    ops = []
    if spec is not None:
        items, where = _read_spec(spec)
        for i, item in enumerate(items):
            if isinstance(item, dict) and "name" not in item and len(item) == 1:
                ((name, args),) = item.items()
                item = {"name": name, **(args or {})}
            if not isinstance(item, dict) or "name" not in item:
                raise ValueError(f"{where}[{i}]: expected {{name: BatchOp, ...}}, got {item!r}")
            args = {k: v for k, v in item.items() if k != "name"}
            name = str(item["name"])
            try:
                cls = get_transform_class(name, kind="batch")
            except ValueError as e:
                raise ValueError(f"{where}[{i}]: {e}") from None
            if name in ("BatchMixUp", "BatchCutMix"):
                args.setdefault("num_classes", num_classes)
            try:
                ops.append(cls(**args))
            except (TypeError, ValueError) as e:
                raise ValueError(f"{where}[{i}] ({name}): {e}") from None
    mixers = []
    if mixup_alpha > 0 or cutmix_alpha > 0:
        if mixup_alpha > 0:
            mixers.append(batch.BatchMixUp(alpha=mixup_alpha, num_classes=num_classes))
        if cutmix_alpha > 0:
            mixers.append(batch.BatchCutMix(alpha=cutmix_alpha, num_classes=num_classes))
    if not ops and not mixers:
        return None
    return BatchPipeline(ops, mixers=mixers, seed=seed)
