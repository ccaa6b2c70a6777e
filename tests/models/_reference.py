"""Helpers for the reference checks against ../shared/reference/models.json (tests only).

The fill and the inputs follow the file's own ``fill`` description word for word.
"""

from __future__ import annotations

import functools
import json
import math
import os
from pathlib import Path

import numpy as np
import torch

REFERENCE = Path(os.environ.get("VISTAKIT_REFERENCE", Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "models.json"))


@functools.lru_cache(maxsize=1)
def load_reference() -> dict:
    """name -> entry (with "source": torchvision|timm); plus "_categories"."""
    with open(REFERENCE) as f:
        raw = json.load(f)
    out = {}
    for src in ("torchvision", "timm"):
        for name, entry in raw[src]["models"].items():
            out[name] = {**entry, "source": src}
    out["_categories"] = raw["imagenet_categories"]
    return out


def reference_names() -> list[str]:
    if not REFERENCE.is_file():
        return []
    return sorted(k for k in load_reference() if not k.startswith("_"))


def _hash_u(n: int, k: int) -> np.ndarray:
    # float64 sin as torch computes it, like the generator of models.json. numpy's sin
    # differs from torch's in the last bit for ~0.1% of the arguments; the * 43758.5453
    # and the float32 cast turn that into one-ulp flips of some weights, which the
    # chaotic EfficientNetV2-M/L under this fill amplify to logit errors of 10-20%
    # (with torch's sin every reference model here matches its golden logits bit for bit).
    i = torch.arange(n, dtype=torch.float64)
    v = torch.sin(12.9898 * i + 78.233 * k) * 43758.5453
    return (2.0 * (v - torch.floor(v)) - 1.0).numpy()


def apply_fill(model: torch.nn.Module) -> None:
    """Overwrite every floating tensor of the state_dict with the documented fill."""
    sd = model.state_dict()
    with torch.no_grad():
        for k, key in enumerate(sorted(sd)):
            t = sd[key]
            if not t.is_floating_point():
                continue
            n = t.numel()
            u = _hash_u(n, k)
            if key.endswith("running_mean"):
                v = 0.1 * u
            elif key.endswith("running_var"):
                v = 1.0 + 0.5 * np.abs(u)
            elif t.ndim >= 2:
                fan_in = n / t.shape[0]
                v = u * math.sqrt(6.0 / fan_in)
            elif t.ndim == 1 and key.endswith("weight"):
                v = 1.0 + 0.1 * u
            else:
                v = 0.1 * u
            t.copy_(torch.from_numpy(v.reshape(tuple(t.shape))).to(t.dtype))


def reference_input(size: int) -> torch.Tensor:
    """The two documented test images, (2, 3, size, size) float32."""
    n = 3 * size * size
    x0 = _hash_u(n, 1000).reshape(3, size, size)
    u1 = _hash_u(n, 1001).reshape(3, size, size)
    c = np.arange(3, dtype=np.float64)[:, None, None]
    h = np.arange(size, dtype=np.float64)[None, :, None]
    w = np.arange(size, dtype=np.float64)[None, None, :]
    x1 = 0.3 * u1 + 1.5 * np.sin(2 * np.pi * (c + 1) * h / size) * np.cos(2 * np.pi * w / size)
    return torch.from_numpy(np.stack([x0, x1])).to(torch.float32)


def check_logits(ours: torch.Tensor, golden: np.ndarray) -> tuple[bool, str]:
    y = ours.detach().double().numpy()
    g = np.asarray(golden, dtype=np.float64)
    if y.shape != g.shape:
        return False, f"logits shape {y.shape}, golden {g.shape}"
    err = np.abs(y - g)
    tol = 1e-6 * np.abs(g).max() + 1e-9
    d, dg = y[0] - y[1], g[0] - g[1]
    derr = np.abs(d - dg)
    dtol = 1e-5 * np.abs(dg).max() + 1e-9
    ok = bool((err <= tol).all() and (derr <= dtol).all())
    return ok, f"max |y-g| = {err.max():.3e} (tol {tol:.3e}); max |d-dg| = {derr.max():.3e} (tol {dtol:.3e})"
