"""Helpers for the reference checks against the golden file shipped with the tests (tests only).

``reference_models.json.gz`` (next to this file) is the reference of every architecture
that torchvision 0.29.1 and timm 1.0.31 built: the deterministic ``fill``, each model's
state_dict layout (key, shape, dtype), parameter count, input size, published weights
(torchvision's enums, timm's pretrained_cfg) and the golden logits of the filled model
on two documented inputs, plus the ImageNet class names. It is the gzip of the
generator's ``models.json`` byte for byte (sha256 of the uncompressed file
006dc15f93a2c48195d41c62c0251dca39fe175a601274edaf517e24b7fa3162), so a fresh clone
checks all 50 architectures with no other folder; ``VISTAKIT_REFERENCE=PATH`` reads
another copy (.json or .json.gz).

The fill and the inputs follow the file's own ``fill`` description word for word.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

REFERENCE = Path(os.environ.get("VISTAKIT_REFERENCE", Path(__file__).resolve().parent / "reference_models.json.gz"))


@functools.lru_cache(maxsize=1)
def load_reference() -> dict:
    """name -> entry (with "source": torchvision|timm); plus "_categories"."""
    with (gzip.open if REFERENCE.suffix == ".gz" else open)(REFERENCE, "rt", encoding="utf-8") as f:
        raw = json.load(f)
    out = {}
    for src in ("torchvision", "timm"):
        for name, entry in raw[src]["models"].items():
            out[name] = {**entry, "source": src}
    out["_categories"] = raw["imagenet_categories"]
    return out


def reference_names() -> list[str]:
    """The architectures of the reference, sorted."""
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


AUX = {"googlenet", "inception_v3"}  # built with their aux heads, as in the published checkpoints


def reference_model(name: str) -> torch.nn.Module:
    """The model ``name`` as the reference lists it (aux heads where published), seed 0, eval mode."""
    from vistakit.models import create_model

    torch.manual_seed(0)
    return create_model(name, **({"aux_logits": True} if name in AUX else {})).eval()


def filled_logits(model: torch.nn.Module, size: int) -> torch.Tensor:
    """``model`` under the documented fill, run in float64 on the documented input: (2, classes).

    Fills and converts ``model`` in place; the first output where it returns several.
    """
    apply_fill(model)
    model = model.double()
    with torch.no_grad():
        out = model(reference_input(size).double())
    return out[0] if isinstance(out, (tuple, list)) else out


# Where the strict check fails, the same forward is run again with MKL's "compatible" code path:
# other GEMM kernels, so every float64 sum rounds differently. A network that this moves by more
# than the tolerance amplifies rounding itself (EfficientNetV2-M/L under this fill: 1e-16 grows
# about tenfold per block to 10% of the logits), and its golden logits can only be matched on the
# generator's own arithmetic. For those, what rounding cannot explain is checked instead: measured
# on such a network, a 1% change of one BatchNorm eps or 1e-6 added to one weight gives errors of
# 69-105% of the largest logit and correlations of 0.66-0.81 with the golden ones; rounding alone
# gives at most ~12% and above 0.99. BLAS builds without MKL ignore the variable: no spread, and
# the strict failure stands.
CHAOS_ENV = {"MKL_CBWR": "COMPATIBLE"}
CHAOS_MAX_ERROR = 0.3  # of max |golden|
CHAOS_MIN_CORRELATION = 0.98


def logits_on_other_arithmetic(name: str) -> np.ndarray:
    """:func:`filled_logits` of ``name`` in a fresh process with :data:`CHAOS_ENV` (read by MKL when it loads)."""
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "logits.npy"
        subprocess.run(
            [sys.executable, "-m", "tests.models._reference", name, str(out)],
            cwd=root,
            check=True,
            env={**os.environ, **CHAOS_ENV},
            timeout=600,
        )
        return np.load(out)


def check_chaotic_logits(ours: np.ndarray, other: np.ndarray, golden: np.ndarray) -> tuple[bool, bool, str]:
    """(chaotic, ok, message) for a network whose strict check failed.

    ``other``: the same forward on other arithmetic. Chaotic when that moves the logits by more
    than the strict tolerance; then ok when the golden error and correlation stay within what
    rounding explains.
    """
    g = np.asarray(golden, dtype=np.float64)
    scale = np.abs(g).max()
    spread = float(np.abs(ours - other).max() / scale)
    err = float(np.abs(ours - g).max() / scale)
    corr = float(np.corrcoef(ours.ravel(), g.ravel())[0, 1])
    chaotic = spread > 1e-6
    ok = chaotic and err <= CHAOS_MAX_ERROR and corr >= CHAOS_MIN_CORRELATION
    return (
        chaotic,
        ok,
        (
            f"float64 rounding alone moves the logits by {spread:.1e} of the largest; error against "
            f"the golden {err:.1e} (at most {CHAOS_MAX_ERROR}), correlation {corr:.4f} "
            f"(at least {CHAOS_MIN_CORRELATION})"
        ),
    )


def _parse_torchvision_transform(text: str) -> dict:
    """torchvision's ``ImageClassification(...)`` repr -> resize, crop, interpolation, mean, std."""

    def field(name):
        m = re.search(rf"{name}=\[([^\]]*)\]", text)
        return [float(v) for v in m.group(1).split(",")] if m else None

    interp = re.search(r"interpolation=InterpolationMode\.(\w+)", text)
    return {
        "resize": int(field("resize_size")[0]),
        "crop": int(field("crop_size")[0]),
        "interpolation": interp.group(1).lower() if interp else None,
        "mean": tuple(field("mean")),
        "std": tuple(field("std")),
    }


def published_weights_mismatches(spec, entry: dict) -> list[str]:
    """Differences between a ModelSpec's weights and the reference's published weights (empty: none).

    torchvision entries: every enum registered ("imagenet" = IMAGENET1K_V1, "imagenet_v2" =
    IMAGENET1K_V2) with the published file name, sha256 prefix, URL, metrics and eval transform.
    timm entries: the hub checkpoint of ``pretrained_cfg`` with its eval transform.
    """
    problems = []
    if entry["source"] == "torchvision":
        expected = {}
        for pw in entry["published_weights"]:
            version = pw["enum"].rsplit(".", 1)[1]
            tag = {"IMAGENET1K_V1": "imagenet", "IMAGENET1K_V2": "imagenet_v2"}.get(version)
            if tag is not None:
                expected[tag] = pw
        have = {w.tag: w for w in spec.weights}
        if sorted(have) != sorted(expected):
            problems.append(f"weights tags {sorted(have)}, expected {sorted(expected)}")
        for tag, pw in expected.items():
            w = have.get(tag)
            if w is None:
                continue
            file_name = pw["url"].rsplit("/", 1)[1]
            t = _parse_torchvision_transform(pw["transforms"])
            ours = {
                "file_name": w.file_name,
                "sha256": w.sha256,
                "url": [s.location for s in w.sources if s.kind == "url"],
                "top1": w.top1,
                "top5": w.top5,
                "origin": w.origin,
                "transform": (
                    w.transform.resize,
                    w.transform.crop,
                    w.transform.interpolation,
                    tuple(w.transform.mean),
                    tuple(w.transform.std),
                ),
            }
            theirs = {
                "file_name": file_name,
                "sha256": file_name.rsplit("-", 1)[1].split(".")[0],
                "url": [pw["url"]],
                "top1": pw["metrics"]["ImageNet-1K"]["acc@1"],
                "top5": pw["metrics"]["ImageNet-1K"]["acc@5"],
                "origin": f"torchvision {pw['enum']}",
                "transform": (t["resize"], t["crop"], t["interpolation"], t["mean"], t["std"]),
            }
            problems += [f"{tag}.{k}: {ours[k]!r}, expected {theirs[k]!r}" for k in ours if ours[k] != theirs[k]]
    else:
        cfg = entry["pretrained_cfg"]
        hub_id = cfg["hf_hub_id"]
        if len(spec.weights) != 1:
            return [f"{len(spec.weights)} weights entries, expected one"]
        w = spec.weights[0]
        crop = cfg["input_size"][-1]
        ours = {
            "file_name": w.file_name,
            "url": [s.location for s in w.sources],
            "transform": (
                w.transform.resize,
                w.transform.crop,
                w.transform.interpolation,
                tuple(w.transform.mean),
                tuple(w.transform.std),
            ),
        }
        theirs = {
            "file_name": f"{hub_id.split('/', 1)[1]}.safetensors",
            "url": [f"https://huggingface.co/{hub_id}/resolve/main/model.safetensors"],
            "transform": (
                int(math.floor(crop / cfg["crop_pct"])),
                crop,
                cfg["interpolation"],
                tuple(cfg["mean"]),
                tuple(cfg["std"]),
            ),
        }
        problems += [f"{k}: {ours[k]!r}, expected {theirs[k]!r}" for k in ours if ours[k] != theirs[k]]
    return problems


if __name__ == "__main__":  # python -m tests.models._reference NAME OUT.npy: see logits_on_other_arithmetic
    np.save(
        sys.argv[2],
        filled_logits(reference_model(sys.argv[1]), int(load_reference()[sys.argv[1]]["input_size"])).numpy(),
    )
