"""Transfer learning: freezing by the model's groups, discriminative learning rates, linear probes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from ..models import ImageClassifier, parameter_groups

_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def _keep_eval(module: nn.Module, _args) -> None:
    """Forward pre-hook of a frozen norm layer: its statistics never move."""
    module.training = False


def _replace_pre_hook(module: nn.Module, attr: str, hook: Any | None) -> Any | None:
    """Swap the forward pre-hook that ``module`` keeps under ``attr`` for ``hook`` (None: only remove it).

    Returns:
        The new hook's handle, or None.
    """
    old = getattr(module, attr, None)
    if old is not None:
        old.remove()
    handle = module.register_forward_pre_hook(hook) if hook is not None else None
    setattr(module, attr, handle)
    return handle


def _frozen_group_names(model: ImageClassifier, mode: str) -> set[str]:
    groups = [name for name, _ in parameter_groups(model)]
    stages = [g for g in groups if g.startswith("stage")]
    if mode == "none":
        return set()
    if mode == "backbone":
        return set(groups) - {"head"}
    m = re.fullmatch(r"stages:(\d+)", mode)
    if m:
        n = int(m.group(1))
        if n > len(stages):
            raise ValueError(f"--freeze stages:{n}: {type(model).__name__} has only {len(stages)} stages")
        return {"stem", *stages[:n]}
    raise ValueError(f"freeze mode {mode!r} not understood; expected 'backbone', 'stages:N' or 'none'")


def freeze(model: ImageClassifier, mode: str = "backbone") -> list[str]:
    """Freeze part of a classifier by its :meth:`group_matcher` groups.

    Frozen parameters get ``requires_grad=False`` (so no gradient and no optimizer
    state), and the BatchNorm layers whose parameters are all frozen stay in eval
    mode even under ``model.train()`` (their running statistics do not move).

    Args:
        model: a vistakit classifier.
        mode: "backbone" (everything but the head), "stages:N" (the stem and the
            first N stages), or "none" (unfreeze everything).

    Returns:
        The names of the frozen groups, input to output.
    """
    frozen_groups = _frozen_group_names(model, mode)
    frozen_params: set[int] = set()
    for name, params in parameter_groups(model):
        for _, p in params:
            p.requires_grad_(name not in frozen_groups)
            if name in frozen_groups:
                frozen_params.add(id(p))
    for mod in model.modules():
        if isinstance(mod, _BN_TYPES):
            own = list(mod.parameters(recurse=False))
            frozen = bool(own) and all(id(p) in frozen_params for p in own)
            _replace_pre_hook(mod, "_vistakit_freeze_hook", _keep_eval if frozen else None)
            if frozen:
                mod.eval()
    return [name for name, _ in parameter_groups(model) if name in frozen_groups]


def discriminative_param_groups(
    model: ImageClassifier, *, lr: float, lr_mult: float = 0.1, weight_decay: float = 0.0
) -> list[dict]:
    """Optimizer parameter groups with layer-wise learning rates.

    The head trains at ``lr``; each group closer to the input gets ``lr_mult`` times
    the one after it (stage N-1: ``lr * lr_mult``, ..., stem: ``lr * lr_mult**(N+1)``).
    Frozen parameters are left out. Biases and norm weights (1-D) get no weight decay.
    """
    groups = parameter_groups(model)
    out = []
    n = len(groups)
    for i, (name, params) in enumerate(groups):
        trainable = [(pn, p) for pn, p in params if p.requires_grad]
        if not trainable:
            continue
        group_lr = lr * lr_mult ** (n - 1 - i)
        decay = [p for _, p in trainable if p.ndim > 1]
        no_decay = [p for _, p in trainable if p.ndim <= 1]
        if decay:
            out.append({"params": decay, "lr": group_lr, "weight_decay": weight_decay, "name": name})
        if no_decay:
            out.append({"params": no_decay, "lr": group_lr, "weight_decay": 0.0, "name": f"{name}.no_decay"})
    return out


def linear_probe(
    train_x: np.ndarray, train_y: np.ndarray, *, C: float = 1.0, max_iter: int = 1000, standardize: bool = True
):
    """Fit a multinomial logistic-regression probe on frozen features (the cheapest transfer).

    Args:
        train_x: (N, D) features.
        train_y: (N,) integer labels.
        C: inverse L2 strength.
        max_iter: solver iterations.
        standardize: scale features to zero mean / unit variance first.

    Returns:
        A fitted scikit-learn pipeline with ``predict`` and ``predict_proba``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(train_x) != len(train_y):
        raise ValueError(f"linear_probe: {len(train_x)} feature rows but {len(train_y)} labels")
    if len(np.unique(train_y)) < 2:
        raise ValueError("linear_probe: needs at least two classes in train_y")
    steps: list = [StandardScaler()] if standardize else []
    steps.append(LogisticRegression(C=C, max_iter=max_iter))
    return make_pipeline(*steps).fit(train_x, train_y)


def labels_per_class_subset(
    targets: Sequence[int] | np.ndarray | torch.Tensor, *, per_class: int, seed: int = 0
) -> np.ndarray:
    """Indices of ``per_class`` examples of every class, drawn with a fixed seed (sorted).

    Raises:
        ValueError: when a class has fewer than ``per_class`` examples.
    """
    t = np.asarray(targets.cpu() if isinstance(targets, torch.Tensor) else targets)
    rng = np.random.default_rng(seed)
    out = []
    for c in np.unique(t):
        idx = np.flatnonzero(t == c)
        if len(idx) < per_class:
            raise ValueError(f"class {c} has only {len(idx)} examples, fewer than --labels-per-class {per_class}")
        out.append(rng.choice(idx, size=per_class, replace=False))
    return np.sort(np.concatenate(out))
