"""The one pre-logits loop: a model turned into (N, D) features over batches of images."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..models import ImageClassifier


@torch.no_grad()
def extract_features(
    model: nn.Module,
    data: Iterable,
    *,
    device: str | torch.device = "cpu",
    progress: bool = True,
    desc: str = "features",
) -> tuple[np.ndarray, np.ndarray]:
    """Pre-logit features of every batch.

    Args:
        model: a vistakit classifier (``forward_head(..., pre_logits=True)`` is used),
            or any module returning (N, D) features.
        data: iterable of ``(images, targets)`` batches, images (N, C, H, W) float.
        device: where to run.
        progress: show a progress bar.
        desc: the progress bar's label.

    Returns:
        ``(features (N, D) float32, targets (N,) or (N, ...))`` as numpy arrays.
    """
    model = model.eval().to(device)
    feats, targets = [], []
    for x, y in tqdm(data, desc=desc, disable=not progress, leave=False):
        x = x.to(device)
        if isinstance(model, ImageClassifier):
            f = model.forward_head(model.forward_features(x), pre_logits=True)
        else:
            f = model(x)
        feats.append(f.float().flatten(1).cpu().numpy())
        targets.append(torch.as_tensor(y).cpu().numpy())
    if not feats:
        raise ValueError("extract_features: the data gave no batches")
    return np.concatenate(feats), np.concatenate(targets)
